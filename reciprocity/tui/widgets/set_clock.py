"""The time left in the set, in a facilitated session whose clock runs: one line.

The relay sends the seconds left with every view; between views this counts them down. At
two minutes left it gives the players a calm notice, once a set.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from textual.reactive import reactive
from textual.widgets import Static

from reciprocity.game.pacing import NOTICE_SECONDS, notice_line, set_line

if TYPE_CHECKING:
    from reciprocity.protocol import SeatView


class SetClock(Static):
    """The set's clock, shown only while the facilitator's clock has started."""

    view: reactive[SeatView | None] = reactive(None)

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", markup=False, id=id)
        self.display = False
        self._since = time.monotonic()
        #: The level (set) whose notice was given.
        self._noticed: int | None = None

    def on_mount(self) -> None:
        """Count down every second."""
        self.set_interval(1.0, self._tick)

    def watch_view(self) -> None:
        """A new view: the seconds left start again from the relay's word."""
        self._since = time.monotonic()
        self._tick()

    def left(self) -> float | None:
        """Seconds left in the set now, or None when no clock has started."""
        clock = self.view.clock if self.view is not None else None
        if clock is None:
            return None
        if not clock.running:
            return clock.left
        return max(0.0, clock.left - (time.monotonic() - self._since))

    def _tick(self) -> None:
        view = self.view
        left = self.left()
        if view is None or view.clock is None or left is None or view.summary is not None:
            self.display = False
            return
        self.display = True
        self.update(set_line(view.clock, left))
        level = view.open_level or view.level
        if view.clock.running and 0 < left <= NOTICE_SECONDS and self._noticed != level:
            self._noticed = level
            self.notify(notice_line(view.clock), title="Time", markup=False, timeout=20)
