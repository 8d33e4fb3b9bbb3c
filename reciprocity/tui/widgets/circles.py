"""The Inclusion of Other in the Self scale: seven pairs of circles, from apart to overlapping.

Aron, Aron and Smollan (1992) drew closeness as two circles, "self" and "other", that move
from apart (1) to almost fully overlapping (7). Here each circle is a rounded box, three
rows tall; where the two meet, their lines join, and the shared space is shaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

LOWEST = 1
"""The circles apart."""
HIGHEST = 7
"""The circles almost one."""

#: Who a cell of the drawing belongs to: the left circle, the right one, both, or the
#: shared space inside both.
Owner = Literal["you", "partner", "both", "overlap"]

# Box-drawing lines as the set of directions they reach: up, down, left, right.
_UP, _DOWN, _LEFT, _RIGHT = 1, 2, 4, 8
_LINES: dict[int, str] = {
    _LEFT | _RIGHT: "─",
    _UP | _DOWN: "│",
    _RIGHT | _DOWN: "╭",
    _LEFT | _DOWN: "╮",
    _RIGHT | _UP: "╰",
    _LEFT | _UP: "╯",
    _LEFT | _RIGHT | _DOWN: "┬",
    _LEFT | _RIGHT | _UP: "┴",
    _UP | _DOWN | _RIGHT: "├",
    _UP | _DOWN | _LEFT: "┤",
    _UP | _DOWN | _LEFT | _RIGHT: "┼",
}
_SHADE = "░"
_ROWS = 3


def _box(width: int) -> list[list[int]]:
    """One circle, as direction bits per cell: a rounded box `width` wide and three rows tall."""
    last = width - 1
    top = [_RIGHT | _DOWN, *[_LEFT | _RIGHT] * (last - 1), _LEFT | _DOWN]
    middle = [_UP | _DOWN, *[0] * (last - 1), _UP | _DOWN]
    bottom = [_RIGHT | _UP, *[_LEFT | _RIGHT] * (last - 1), _LEFT | _UP]
    return [top, middle, bottom]


def draw_pair(offset: int, width: int) -> list[list[tuple[str, Owner | None]]]:
    """Two circles `width` wide, the right one starting `offset` columns after the left one.

    Returns rows of (character, owner) cells. Lines that cross are joined (`┬`, `┴`), and
    the space inside both circles is shaded.
    """
    box = _box(width)
    span = offset + width
    rows: list[list[tuple[str, Owner | None]]] = []
    for y in range(_ROWS):
        row: list[tuple[str, Owner | None]] = []
        for x in range(span):
            left = box[y][x] if x < width else 0
            right = box[y][x - offset] if 0 <= x - offset < width else 0
            inside_both = 0 < x < width - 1 and 0 < x - offset < width - 1
            if left and right:
                row.append((_LINES[left | right], "both"))
            elif left:
                row.append((_LINES[left], "you"))
            elif right:
                row.append((_LINES[right], "partner"))
            elif inside_both and 0 < y < _ROWS - 1:
                row.append((_SHADE, "overlap"))
            else:
                row.append((" ", None))
        rows.append(row)
    return rows


def layout(available: int) -> tuple[int, list[int]]:
    """The circle width and the seven offsets that fit `available` columns.

    The offsets run from 7 (apart) down to 1 (almost one circle); the circles are as wide as
    fits, from 6 columns (76 columns in all) down to 4 (62 in all).
    """
    offsets = list(range(HIGHEST, LOWEST - 1, -1))
    for width in (6, 5, 4):
        if sum(offsets) + HIGHEST * width + (HIGHEST - 1) <= available:
            return width, offsets
    return 4, offsets


class IOSCircles(Widget, can_focus=True):
    """The closeness circles, 1 (apart) to 7 (almost fully overlapping), one highlighted.

    Left/right or the keys 1-7 move the highlight; Enter posts `IOSCircles.Chosen`.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left", "move(-1)", "Apart", key_display="←"),
        Binding("right", "move(1)", "Closer", key_display="→"),
        Binding("enter", "choose", "Choose"),
        *[Binding(str(n), f"pick({n})", show=False) for n in range(LOWEST, HIGHEST + 1)],
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "ioscircles--you",
        "ioscircles--partner",
        "ioscircles--both",
        "ioscircles--overlap",
        "ioscircles--dim",
        "ioscircles--number",
        "ioscircles--selected",
    }

    value: reactive[int] = reactive(4)
    """The highlighted circles, 1 to 7."""

    @dataclass
    class Chosen(Message):
        """A partner chose their place on the circles."""

        circles: IOSCircles
        """The widget they chose on."""
        value: int
        """Their choice, 1 (apart) to 7 (almost fully overlapping)."""

        @property
        def control(self) -> IOSCircles:
            """The widget the choice was made on."""
            return self.circles

    def __init__(
        self,
        value: int = 4,
        *,
        me: str = "you",
        partner: str = "your partner",
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        """Circles with `value` highlighted, the left one labelled `me`, the right `partner`."""
        super().__init__(name=name, id=id, classes=classes)
        self.me = me
        self.partner = partner
        self.set_reactive(IOSCircles.value, self.validate_value(value))
        self._spans: list[tuple[int, int]] = []

    def validate_value(self, value: int) -> int:
        """Keep the choice on the scale."""
        return max(LOWEST, min(HIGHEST, value))

    def action_move(self, step: int) -> None:
        """Move the highlight towards apart (-1) or closer (+1)."""
        self.value += step

    def action_pick(self, value: int) -> None:
        """Highlight the circles numbered `value`."""
        self.value = value

    def action_choose(self) -> None:
        """Choose the highlighted circles."""
        self.post_message(self.Chosen(self, self.value))

    def on_click(self, event: events.Click) -> None:
        """A click highlights the circles under it; a second click on them chooses them."""
        offset = event.get_content_offset(self)
        if offset is None:
            return
        for number, (start, end) in enumerate(self._spans, LOWEST):
            if start <= offset.x < end:
                if number == self.value:
                    self.action_choose()
                self.value = number
                return

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        """Three rows of circles, a row of numbers, a blank row and a legend."""
        return _ROWS + 3

    def _style(self, component: str) -> Style:
        return self.get_component_rich_style(component)

    def render(self) -> Text:
        """Draw the seven pairs, their numbers and a legend."""
        available = self.size.width or 76
        width, offsets = layout(available)
        pairs = [draw_pair(offset, width) for offset in offsets]
        total = sum(len(pair[0]) for pair in pairs) + HIGHEST - 1
        indent = max(0, (available - total) // 2)
        dim = self._style("ioscircles--dim")
        owners: dict[Owner, Style] = {
            "you": self._style("ioscircles--you"),
            "partner": self._style("ioscircles--partner"),
            "both": self._style("ioscircles--both"),
            "overlap": self._style("ioscircles--overlap"),
        }
        lines = [Text(" " * indent) for _ in range(_ROWS + 1)]
        self._spans = []
        x = indent
        for number, pair in enumerate(pairs, LOWEST):
            chosen = number == self.value
            span = len(pair[0])
            for y, row in enumerate(pair):
                for char, owner in row:
                    if owner is None:
                        lines[y].append(char)
                    else:
                        lines[y].append(char, owners[owner] if chosen else dim)
            label = f"[{number}]" if chosen else str(number)
            pad = span - len(label)
            lines[_ROWS].append(" " * (pad // 2))
            lines[_ROWS].append(
                label,
                self._style("ioscircles--selected" if chosen else "ioscircles--number"),
            )
            lines[_ROWS].append(" " * (pad - pad // 2))
            self._spans.append((x, x + span))
            x += span
            if number < HIGHEST:
                for line in lines:
                    line.append(" ")
                x += 1
        legend = Text.assemble(
            ("left circle: ", dim),
            (self.me, owners["you"]),
            ("     right circle: ", dim),
            (self.partner, owners["partner"]),
        )
        legend.align("center", available)
        return Text("\n").join([*lines, Text(), legend])
