"""What travels between a room and a player's screen: per-seat views.

Each seat sees the table and its own private choices, never the partner's limit or lines.
Models are frozen and forbid unknown fields.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from reciprocity.deck import CardKind
from reciprocity.engine import Outcome, Phase, Seat
from reciprocity.engine.summary import Summary


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CardView(_Frozen):
    """The card on the table."""

    id: str
    text: str
    kind: CardKind
    level: int


class PartnerView(_Frozen):
    """What everyone may know about a partner: never their limit or lines."""

    name: str | None
    limit_set: bool
    checked_in: bool
    checked_out: bool
    progress: int
    connected: bool = True


class PrivateView(_Frozen):
    """A seat's own private choices, shown only to that seat."""

    limit: int | None
    lines: tuple[str, ...]
    ios_before: int | None
    ios_after: int | None


class SeatView(_Frozen):
    """Everything one seat's screen shows, numbered with the room's `seq`."""

    type: Literal["view"] = "view"
    seq: int
    seat: Seat
    phase: Phase
    deck_id: str
    deck_title: str
    level_names: tuple[str, ...]
    level: int
    ceiling: int
    ceiling_text: str
    advance_after: int
    sharer: Seat
    a: PartnerView
    b: PartnerView
    card: CardView | None
    drawable: tuple[int, ...]
    passed_this_turn: bool
    paused: bool
    ready: tuple[Seat, ...]
    checkin: bool
    turns: int
    ended_by: Seat | None
    notice: str | None
    last_outcome: Outcome | None
    me: PrivateView
    summary: Summary | None

    def partner(self, seat: Seat) -> PartnerView:
        """The public view of a seat's partner."""
        return self.a if seat is Seat.A else self.b

    def name(self, seat: Seat) -> str:
        """A seat's display name."""
        return self.partner(seat).name or f"Partner {seat.value.upper()}"

    @property
    def listener(self) -> Seat:
        """The seat responding this turn."""
        return self.sharer.other

    @property
    def depth(self) -> int:
        """The deck's deepest level."""
        return len(self.level_names)
