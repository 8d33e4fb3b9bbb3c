"""The game drawn as a chart: each turn in order, at the level it was played, marked by outcome.

The sharer's colour tells whose turn it was; the marker tells how it ended. When there are
more turns than columns, neighbouring turns share a column and the most telling mark shows.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.geometry import Size
from textual.reactive import reactive
from textual.widget import Widget

from reciprocity.engine import Outcome, Seat
from reciprocity.engine.summary import TurnPoint

MARKERS: dict[Outcome, str] = {
    Outcome.SUPPORTED: "●",
    Outcome.REPAIRED: "♥",
    Outcome.NOT_YET: "◐",
    Outcome.UNREPAIRED: "○",
    Outcome.PASSED: "·",
}
"""The mark for each outcome: full for support, a heart for a repair, half for not yet."""

LEGEND: dict[Outcome, str] = {
    Outcome.SUPPORTED: "supported",
    Outcome.REPAIRED: "repaired",
    Outcome.NOT_YET: "not yet",
    Outcome.UNREPAIRED: "let go",
    Outcome.PASSED: "passed",
}
"""Kind words for each outcome in the legend."""

# When turns share a column, the mark that tells most about the game wins.
_PRIORITY = (
    Outcome.REPAIRED,
    Outcome.NOT_YET,
    Outcome.UNREPAIRED,
    Outcome.SUPPORTED,
    Outcome.PASSED,
)

NO_TURNS = "No turns were played."


def columns_for(turns: int, width: int) -> list[int]:
    """The column of each of `turns` turns in a plot `width` wide.

    A turn gets two columns when all fit that way, one when they fit, and otherwise
    neighbouring turns share a column.
    """
    if turns == 0 or width <= 0:
        return []
    if 2 * turns - 1 <= width:
        return [2 * i for i in range(turns)]
    if turns <= width:
        return list(range(turns))
    per_column = math.ceil(turns / width)
    return [i // per_column for i in range(turns)]


class TimelineChart(Widget):
    """The turns of a game as a chart: turns left to right, levels bottom (1) to top (deepest).

    Partner A's turns are drawn in one theme colour and partner B's in another.
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "timeline--a",
        "timeline--b",
        "timeline--axis",
        "timeline--legend",
    }

    points: reactive[tuple[TurnPoint, ...]] = reactive((), layout=True)
    """The turns, in order, from `Summary.timeline`."""

    def __init__(
        self,
        points: Sequence[TurnPoint] = (),
        *,
        depth: int = 1,
        names: Mapping[Seat, str] | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        """A chart of `points` on levels 1..`depth`, with the partners' `names` in the legend."""
        super().__init__(name=name, id=id, classes=classes)
        self.set_reactive(TimelineChart.points, tuple(points))
        self.depth = depth
        self.names = dict(names or {})

    def name_of(self, seat: Seat) -> str:
        """A partner's display name for the legend."""
        return self.names.get(seat) or f"Partner {seat.value.upper()}"

    @property
    def levels(self) -> int:
        """How many level rows the chart has: the deck's depth, or more if a turn went deeper."""
        return max(self.depth, 1, *(point.level for point in self.points))

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        """A row a level, the axis, and two legend rows; one row when there are no turns."""
        return self.levels + 3 if self.points else 1

    def _style(self, component: str) -> Style:
        return self.get_component_rich_style(component)

    def marks(self, width: int) -> dict[tuple[int, int], TurnPoint]:
        """The turn shown at each (level, column) of a plot `width` wide."""
        shown: dict[tuple[int, int], TurnPoint] = {}
        for point, column in zip(self.points, columns_for(len(self.points), width), strict=True):
            key = (point.level, column)
            there = shown.get(key)
            if there is None or _PRIORITY.index(point.outcome) <= _PRIORITY.index(there.outcome):
                shown[key] = point
        return shown

    def render(self) -> Text:
        """The chart, its axes and its legend, or a kind line when nothing was played."""
        axis = self._style("timeline--axis")
        legend_style = self._style("timeline--legend")
        if not self.points:
            return Text(NO_TURNS, style=legend_style)
        sharer = {Seat.A: self._style("timeline--a"), Seat.B: self._style("timeline--b")}
        width = self.size.width or 76
        gutter = len(str(self.levels))
        plot = max(1, width - gutter - 2)
        marks = self.marks(plot)
        used = max(column for _, column in marks) + 1
        lines: list[Text] = []
        for level in range(self.levels, 0, -1):
            line = Text(f"{level:>{gutter}} ┤", style=axis)
            for column in range(used):
                point = marks.get((level, column))
                if point is None:
                    line.append(" ")
                else:
                    line.append(MARKERS[point.outcome], sharer[point.sharer])
            lines.append(line)
        after = "turns →"
        rule = "─" * min(plot, used + 1)
        if gutter + 2 + len(rule) + 1 + len(after) > width:
            after = ""
        lines.append(Text(f"{' ' * gutter} └{rule} {after}".rstrip(), style=axis))
        outcomes = Text(" " * (gutter + 2))
        for outcome, words in LEGEND.items():
            outcomes.append(MARKERS[outcome])
            outcomes.append(f" {words}  ", legend_style)
        lines.append(outcomes)
        people = Text(" " * (gutter + 2))
        for seat in Seat:
            people.append("■ ", sharer[seat])
            people.append(f"{self.name_of(seat)}'s turns  ", legend_style)
        lines.append(people)
        for line in lines:
            line.truncate(width)
            line.rstrip()
        return Text("\n").join(lines)
