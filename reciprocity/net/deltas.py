"""A seat's view on the client's side: the whole view the relay sent, brought up to date by
each `delta` that follows on from it.

A delta that does not follow on from the view held (its `since` is not that view's `seq`, or
its changes do not make a valid view) is a gap: the client asks, once, for the whole view
again (`ViewPlease`) and waits for it, showing the view it has meanwhile.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from reciprocity.protocol import ViewDelta, ViewPlease
from reciprocity.seat_view import SeatView


class FollowedView:
    """The latest whole view of a seat, as deltas bring it up to date."""

    def __init__(self) -> None:
        #: The latest whole view, once one came.
        self.view: SeatView | None = None
        self._data: dict[str, Any] | None = None
        self._asked = False

    def follow(self, message: SeatView | ViewDelta) -> SeatView | ViewPlease | None:
        """The whole view after `message`; or, at a gap, a `ViewPlease` to send (None if one
        was sent already and no whole view has come since)."""
        if isinstance(message, SeatView):
            self._data, self._asked = message.model_dump(mode="json"), False
            self.view = message
            return message
        data = self._data
        if data is not None and message.since == data["seq"]:
            merged = {**data, **message.changes, "seq": message.seq}
            try:
                view = SeatView.model_validate(merged)
            except ValidationError:
                pass
            else:
                self._data, self.view = merged, view
                return view
        if self._asked:
            return None
        self._asked = True
        return ViewPlease()
