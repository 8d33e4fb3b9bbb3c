"""A game's summary, derived from its events and the times they were recorded.

Summaries keep outcomes, never words, and never a partner's limit or lines.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from reciprocity.engine.messages import (
    CardPassed,
    CheckedIn,
    Event,
    GameEnded,
    GameStarted,
    Joined,
    LevelChanged,
    LimitSet,
    Paused,
    TurnEnded,
)
from reciprocity.engine.state import Outcome, Seat


@dataclass(frozen=True, slots=True)
class TurnPoint:
    """One card's turn on the timeline."""

    minute: float
    sharer: Seat
    level: int
    outcome: Outcome
    card: str = ""


@dataclass(frozen=True, slots=True)
class SeatTotals:
    """One partner's side of the game."""

    name: str = ""
    shares: int = 0
    supported: int = 0
    passes: int = 0
    depth_sum: int = 0
    ios_before: int | None = None
    ios_after: int | None = None

    @property
    def average_depth(self) -> float:
        """The mean level of the cards they shared."""
        return self.depth_sum / self.shares if self.shares else 0.0


@dataclass(frozen=True, slots=True)
class Summary:
    """What happened in a game, for the closing screen and the history."""

    a: SeatTotals = SeatTotals()
    b: SeatTotals = SeatTotals()
    deepest_level: int = 1
    turns: int = 0
    repairs: int = 0
    not_yet: int = 0
    unrepaired: int = 0
    pauses: int = 0
    limit_changes: int = 0
    minutes: float = 0.0
    ended: bool = False
    timeline: tuple[TurnPoint, ...] = field(default=())

    def seat(self, seat: Seat) -> SeatTotals:
        """One partner's totals."""
        return self.a if seat is Seat.A else self.b

    @property
    def passes(self) -> int:
        """Passes by both partners."""
        return self.a.passes + self.b.passes

    @property
    def support_rate(self) -> float:
        """The share of completed turns met with support or repaired (0 when none)."""
        met = self.a.supported + self.b.supported
        return met / self.turns if self.turns else 0.0


def summarize(events: Iterable[tuple[float, Event]]) -> Summary:
    """Fold (time, event) pairs into a Summary. Times are seconds since the epoch."""
    totals = {Seat.A: SeatTotals(), Seat.B: SeatTotals()}
    timeline: list[TurnPoint] = []
    counts = {"turns": 0, "repairs": 0, "not_yet": 0, "unrepaired": 0, "pauses": 0, "limits": 0}
    deepest, start, last, ended = 1, None, None, False
    for at, event in events:
        start = at if start is None else start
        last = at
        match event:
            case Joined(seat=seat, name=name):
                totals[seat] = _with(totals[seat], name=name)
            case CheckedIn(seat=seat, score=score):
                key = "ios_after" if ended else "ios_before"
                totals[seat] = _with(totals[seat], **{key: score})
            case LimitSet():
                counts["limits"] += 1
            case GameStarted():
                start = at
                counts["limits"] = 0
            case CardPassed(seat=seat, level=level, card=card):
                totals[seat] = _with(totals[seat], passes=totals[seat].passes + 1)
                point = TurnPoint(_minutes(start, at), seat, level, Outcome.PASSED, card)
                timeline.append(point)
            case TurnEnded(sharer=seat, level=level, outcome=outcome, card=card):
                counts["turns"] += 1
                counts["repairs"] += outcome is Outcome.REPAIRED
                counts["not_yet"] += outcome is Outcome.NOT_YET
                counts["unrepaired"] += outcome is Outcome.UNREPAIRED
                mine = totals[seat]
                totals[seat] = _with(
                    mine,
                    shares=mine.shares + 1,
                    supported=mine.supported + outcome.counts_toward_depth,
                    depth_sum=mine.depth_sum + level,
                )
                timeline.append(TurnPoint(_minutes(start, at), seat, level, outcome, card))
            case LevelChanged(level=level):
                deepest = max(deepest, level)
            case Paused():
                counts["pauses"] += 1
            case GameEnded():
                ended = True
    return Summary(
        a=totals[Seat.A],
        b=totals[Seat.B],
        deepest_level=deepest,
        turns=counts["turns"],
        repairs=counts["repairs"],
        not_yet=counts["not_yet"],
        unrepaired=counts["unrepaired"],
        pauses=counts["pauses"],
        limit_changes=counts["limits"],
        minutes=_minutes(start, last),
        ended=ended,
        timeline=tuple(timeline),
    )


def _with(totals: SeatTotals, **changes: object) -> SeatTotals:
    from dataclasses import replace

    return replace(totals, **changes)  # type: ignore[arg-type]


def _minutes(start: float | None, at: float | None) -> float:
    if start is None or at is None:
        return 0.0
    return round((at - start) / 60, 2)
