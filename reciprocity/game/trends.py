"""What changes across past games: support, depth and totals, as numbers, bars and words."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from reciprocity.game.history import GameRecord, percent
from reciprocity.text import plural

#: The most games a trend line draws (the latest ones).
TREND_GAMES = 40
_BARS = "▁▂▃▄▅▆▇█"


@dataclass(frozen=True, slots=True)
class Trends:
    """What changes across games, oldest game first."""

    games: int
    support: tuple[float, ...]
    levels: tuple[int, ...]
    repairs: int
    passes: int
    minutes: float
    overall_support: float | None

    @property
    def deepest(self) -> int:
        """The deepest level any game reached (0 with no games)."""
        return max(self.levels, default=0)


def trends(records: Sequence[GameRecord]) -> Trends:
    """Trends over games given newest first (as `past_games` gives them)."""
    oldest_first = list(reversed(records))
    turns = sum(r.summary.turns for r in records)
    met = sum(r.summary.a.supported + r.summary.b.supported for r in records)
    return Trends(
        games=len(records),
        support=tuple(r.summary.support_rate for r in oldest_first if r.summary.turns),
        levels=tuple(r.summary.deepest_level for r in oldest_first),
        repairs=sum(r.summary.repairs for r in records),
        passes=sum(r.summary.passes for r in records),
        minutes=sum(r.summary.minutes for r in records),
        overall_support=met / turns if turns else None,
    )


def sparkline(values: Sequence[float], low: float = 0.0, high: float | None = None) -> str:
    """Values as a line of bars from ▁ to █, on a scale from `low` to `high` (the largest)."""
    if not values:
        return ""
    top = max(values) if high is None else high
    span = top - low
    bars = []
    for value in values:
        share = (value - low) / span if span > 0 else 1.0
        bars.append(_BARS[round(min(1.0, max(0.0, share)) * (len(_BARS) - 1))])
    return "".join(bars)


def bar_height(bar: str) -> float:
    """How tall one of `sparkline`'s bars is, from 0 (▁) to 1 (█)."""
    return _BARS.index(bar) / (len(_BARS) - 1) if bar in _BARS else 0.0


def support_note(t: Trends) -> str:
    """The support rate in words: `last game 83% · overall 76%`."""
    if not t.support:
        return "no turns yet"
    return f"last game {percent(t.support[-1])} · overall {percent(t.overall_support)}"


def level_note(t: Trends) -> str:
    """The deepest level in words: `last game 3 · deepest 5`."""
    if not t.levels:
        return "no games yet"
    return f"last game {t.levels[-1]} · deepest {t.deepest}"


def duration(total_minutes: float) -> str:
    """Minutes as `2 h 5 min`, `40 min`, or `under a minute`."""
    whole = round(total_minutes)
    if whole < 1:
        return "under a minute"
    hours, mins = divmod(whole, 60)
    return f"{hours} h {mins} min" if hours else f"{mins} min"


def totals_note(t: Trends) -> str:
    """The totals in words: `3 games · 4 repairs · 2 passes · 1 h 5 min together`."""
    return " · ".join(
        (
            plural(t.games, "game"),
            plural(t.repairs, "repair"),
            plural(t.passes, "pass", "passes"),
            f"{duration(t.minutes)} together",
        )
    )


def trend_lines(records: Sequence[GameRecord]) -> list[str]:
    """The Trends block under the table: support rate, deepest level and totals."""
    t = trends(records)
    latest = f"the last {TREND_GAMES} games" if t.games > TREND_GAMES else "oldest to newest"
    support = sparkline(t.support[-TREND_GAMES:], 0.0, 1.0)
    levels = sparkline(t.levels[-TREND_GAMES:], 0.0)
    return [
        f"Trends ({latest})",
        f"  Support rate   {support}  {support_note(t)}".rstrip(),
        f"  Deepest level  {levels}  {level_note(t)}",
        f"  {totals_note(t)}",
    ]
