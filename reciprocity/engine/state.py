"""The game's state: frozen, and nothing in it but facts the rules need."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reciprocity.deck import Deck


class Seat(StrEnum):
    """One of the two partners' places at the table."""

    A = "a"
    B = "b"

    @property
    def other(self) -> Seat:
        """The partner across the table."""
        return Seat.B if self is Seat.A else Seat.A


class Phase(StrEnum):
    """Where the game is. The turn runs draw → share → respond → land, then the repair loop."""

    SETUP = "setup"
    DRAW = "draw"
    SHARE = "share"
    RESPOND = "respond"
    LAND = "land"
    NAME_HURT = "name_hurt"
    REPAIR = "repair"
    FORGIVE = "forgive"
    CLOSING = "closing"
    FINISHED = "finished"


#: The phases of a turn in play, where a pause or a limit change may come at any moment.
IN_PLAY = frozenset(
    {
        Phase.DRAW,
        Phase.SHARE,
        Phase.RESPOND,
        Phase.LAND,
        Phase.NAME_HURT,
        Phase.REPAIR,
        Phase.FORGIVE,
    }
)


class Outcome(StrEnum):
    """How a card's turn ended."""

    SUPPORTED = "supported"
    REPAIRED = "repaired"
    NOT_YET = "not_yet"
    UNREPAIRED = "unrepaired"
    PASSED = "passed"

    @property
    def counts_toward_depth(self) -> bool:
        """Supported and repaired shares move the pair deeper."""
        return self in (Outcome.SUPPORTED, Outcome.REPAIRED)


class Felt(StrEnum):
    """What the sharer may tick when a response landed well."""

    UNDERSTOOD = "understood"
    ACCEPTED = "accepted"
    CARED_FOR = "cared_for"


@dataclass(frozen=True, slots=True)
class Partner:
    """One partner's part of the state. Their limit and lines are private to them."""

    name: str | None = None
    limit: int | None = None
    lines: frozenset[str] = frozenset()
    checked_in: bool = False
    ios_before: int | None = None
    checked_out: bool = False
    ios_after: int | None = None
    progress: int = 0


@dataclass(frozen=True, slots=True)
class GameState:
    """Everything the rules know about one game. Build it with `new_game`, then fold events."""

    deck: Deck
    seed: int
    checkin: bool = True
    phase: Phase = Phase.SETUP
    a: Partner = field(default_factory=Partner)
    b: Partner = field(default_factory=Partner)
    level: int = 1
    sharer: Seat = Seat.A
    card: str | None = None
    card_level: int | None = None
    dealt: frozenset[str] = frozenset()
    draws: int = 0
    passed_this_turn: bool = False
    turns: int = 0
    paused: bool = False
    ready: frozenset[Seat] = frozenset()
    ended_by: Seat | None = None
    #: The game was ended while the other partner was away: only `ended_by` checks out.
    ended_away: bool = False
    #: In a facilitated session, the deepest level open to everyone (None: no such cap).
    open_level: int | None = None
    #: The facilitator has paused everyone (apart from the pair's own `paused`).
    held: bool = False
    #: A level the facilitator's clock moved everyone to, which this pair has yet to reach.
    moving_to: int | None = None

    def partner(self, seat: Seat) -> Partner:
        """The partner in a seat."""
        return self.a if seat is Seat.A else self.b

    def with_partner(self, seat: Seat, **changes: object) -> GameState:
        """A copy with one partner's fields changed."""
        updated = replace(self.partner(seat), **changes)  # type: ignore[arg-type]
        return replace(self, a=updated) if seat is Seat.A else replace(self, b=updated)

    def name(self, seat: Seat) -> str:
        """The partner's display name, or a stand-in before they have given one."""
        return self.partner(seat).name or f"Partner {seat.value.upper()}"

    @property
    def listener(self) -> Seat:
        """The partner who is not sharing this turn."""
        return self.sharer.other

    @property
    def ceiling(self) -> int:
        """The lower of the two limits: play never goes deeper. It never says whose it is."""
        a, b = self.a.limit, self.b.limit
        if a is None:
            return self.deck.depth if b is None else b
        return a if b is None else min(a, b)

    @property
    def reach(self) -> int:
        """How deep the pair may play now: the ceiling, held back by the level open to
        everyone. Facilitator pacing only ever holds back; it never pushes a pair deeper."""
        if self.open_level is None:
            return self.ceiling
        return min(self.ceiling, self.open_level)

    @property
    def lines(self) -> frozenset[str]:
        """Topics either partner does not want dealt at all."""
        return self.a.lines | self.b.lines
