"""What one seat sees of a room (`SeatView`): the table, and its own private choices, never
the partner's limit or lines. Built by the room (`reciprocity.game.room`), sent by the relay
whole or as what changed, and drawn by the screens."""

from __future__ import annotations

from typing import Literal

from reciprocity.deck import CardKind
from reciprocity.engine import Outcome, Phase, Seat
from reciprocity.engine.summary import Summary
from reciprocity.pacing_wire import SetTime, WireModel


class CardView(WireModel):
    """The card on the table."""

    id: str
    text: str
    kind: CardKind
    level: int


class PartnerView(WireModel):
    """What everyone may know about a partner: never their limit or lines."""

    name: str | None
    limit_set: bool
    checked_in: bool
    checked_out: bool
    progress: int
    connected: bool = True


class PrivateView(WireModel):
    """A seat's own private choices, shown only to that seat."""

    limit: int | None
    lines: tuple[str, ...]
    ios_before: int | None
    ios_after: int | None


class SeatView(WireModel):
    """Everything one seat's screen shows, numbered with the room's `seq`."""

    type: Literal["view"] = "view"
    seq: int
    seat: Seat
    phase: Phase
    deck_id: str
    deck_title: str
    level_names: tuple[str, ...]
    #: The deck's topic tags, so that a partner without the deck can still draw their lines.
    tags: tuple[str, ...] = ()
    level: int
    ceiling: int
    ceiling_text: str
    advance_after: int
    sharer: Seat
    a: PartnerView
    b: PartnerView
    card: CardView | None
    drawable: tuple[int, ...]
    #: The `type` tags of the commands this seat may send now, sorted (the engine's
    #: `legal_commands`): a screen offers these and restates no rule.
    legal: tuple[str, ...]
    passed_this_turn: bool
    paused: bool
    held: bool
    open_level: int | None
    ready: tuple[Seat, ...]
    checkin: bool
    turns: int
    ended_by: Seat | None
    notice: str | None
    last_outcome: Outcome | None
    me: PrivateView
    summary: Summary | None
    #: In a facilitated session whose clock has started: the time left in the set.
    clock: SetTime | None = None
    #: The level the facilitator's clock moved everyone to, which this pair reaches (within
    #: its limits) when the turn it is on ends; None when no move waits.
    moving_to: int | None = None

    def partner(self, seat: Seat) -> PartnerView:
        """The public view of a seat's partner."""
        return self.a if seat is Seat.A else self.b

    def name(self, seat: Seat) -> str:
        """A seat's display name."""
        return self.partner(seat).name or f"Partner {seat.value.upper()}"

    @property
    def away(self) -> str | None:
        """The partner's name while they are away from a game not yet finished (over the
        network: their screen dropped, quit, or died), else None."""
        partner = self.partner(self.seat.other)
        if partner.name and not partner.connected and self.phase is not Phase.FINISHED:
            return partner.name
        return None

    @property
    def depth(self) -> int:
        """The deck's deepest level."""
        return len(self.level_names)
