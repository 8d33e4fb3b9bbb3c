"""A slow breathing guide for pauses: in for 4 seconds, out for 6, round and round.

A disc grows as you breathe in and shrinks as you breathe out, with a count beneath it.
It redraws only when what it shows changes (a few times a second), so it costs little.
With animations off (`App.animation_level == "none"`) it shows a still picture instead.
"""

from __future__ import annotations

import math
import time
from typing import ClassVar, Literal

from rich.text import Text
from textual.geometry import Size
from textual.reactive import reactive, var
from textual.timer import Timer
from textual.widget import Widget

BREATHE_IN = 4
"""Seconds to breathe in."""
BREATHE_OUT = 6
"""Seconds to breathe out."""
CYCLE = BREATHE_IN + BREATHE_OUT
"""Seconds in one breath."""

FPS = 10
"""How often the guide checks the time; it redraws only when the picture changes."""
ROWS = 10
"""The disc's canvas height, in rows."""
COLUMNS = 21
"""The disc's canvas width, in columns."""
SMALLEST = 2.5
"""The disc's radius, in half-rows, with the lungs empty."""
LARGEST = 9.5
"""The disc's radius, in half-rows, with the lungs full."""

Phase = Literal["in", "out"]
"""Breathing in or out."""


def phase_at(elapsed: float) -> Phase:
    """Breathing in or out, `elapsed` seconds into a breath."""
    return "in" if elapsed % CYCLE < BREATHE_IN else "out"


def count_at(elapsed: float) -> int:
    """The number shown: 4, 3, 2, 1 while breathing in, then 6 down to 1 while breathing out."""
    t = elapsed % CYCLE
    if t < BREATHE_IN:
        return BREATHE_IN - int(t)
    return BREATHE_OUT - int(t - BREATHE_IN)


def radius_at(elapsed: float) -> float:
    """The disc's radius (in half-rows), eased so it grows and shrinks gently."""
    t = elapsed % CYCLE
    if t < BREATHE_IN:
        grown = (1 - math.cos(math.pi * t / BREATHE_IN)) / 2
    else:
        grown = (1 + math.cos(math.pi * (t - BREATHE_IN) / BREATHE_OUT)) / 2
    return SMALLEST + (LARGEST - SMALLEST) * grown


def disc(radius: float) -> list[str]:
    """A disc of `radius` drawn with half blocks, `ROWS` rows by `COLUMNS` columns.

    Each cell holds two square-ish pixels, one above the other, so the disc looks round.
    """
    cx, cy = COLUMNS / 2, ROWS
    lines: list[str] = []
    for row in range(ROWS):
        chars: list[str] = []
        for column in range(COLUMNS):
            dx = column + 0.5 - cx
            top = (dx**2 + (2 * row + 0.5 - cy) ** 2) <= radius**2
            bottom = (dx**2 + (2 * row + 1.5 - cy) ** 2) <= radius**2
            chars.append("█" if top and bottom else "▀" if top else "▄" if bottom else " ")
        lines.append("".join(chars))
    return lines


class BreathingGuide(Widget):
    """A disc that grows for 4 seconds and shrinks for 6, with "Breathe in… 4 3 2 1" beneath.

    It always starts at the first frame of a breath in. Set `running` to False to hold the
    current frame (snapshot tests do), and `elapsed` to show any moment of the breath.
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "breathing--in",
        "breathing--out",
        "breathing--count",
        "breathing--words",
    }

    running: reactive[bool] = reactive(True)
    """Whether the guide moves. False holds the frame it shows."""

    elapsed: var[float] = var(0.0)
    """Seconds into the current breath, 0 up to (not including) 10."""

    def __init__(
        self,
        *,
        running: bool = True,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        """A guide at the start of a breath in, moving unless `running` is False."""
        super().__init__(name=name, id=id, classes=classes)
        self.set_reactive(BreathingGuide.running, running)
        self._timer: Timer | None = None
        self._last = time.monotonic()
        self._frame: tuple[Phase, int, float] | None = None

    @property
    def still(self) -> bool:
        """True when animations are off, and the guide shows a still picture."""
        return self.is_attached and self.app.animation_level == "none"

    @property
    def phase(self) -> Phase:
        """ "in" or "out": what the guide asks for now."""
        return phase_at(self.elapsed)

    @property
    def count(self) -> int:
        """The second of the phase it shows: 4..1 breathing in, 6..1 breathing out."""
        return count_at(self.elapsed)

    @property
    def words(self) -> str:
        """The line beneath the disc, such as "Breathe in… 4 3 2"."""
        if self.still:
            return "Breathe in for 4… and out for 6…"
        first = BREATHE_IN if self.phase == "in" else BREATHE_OUT
        counted = " ".join(str(n) for n in range(first, self.count - 1, -1))
        return f"Breathe {self.phase}… {counted}"

    def on_mount(self) -> None:
        """Start the clock, unless animations are off."""
        if self.still:
            return
        self._last = time.monotonic()
        self._timer = self.set_interval(1 / FPS, self._tick, pause=not self.running)

    def watch_running(self, running: bool) -> None:
        """Hold or resume the breath where it is."""
        if self._timer is None:
            return
        self._last = time.monotonic()
        if running:
            self._timer.resume()
        else:
            self._timer.pause()

    def watch_elapsed(self) -> None:
        """Redraw only when the picture or the count changes."""
        frame = (self.phase, self.count, round(radius_at(self.elapsed) * 2) / 2)
        if frame != self._frame:
            self._frame = frame
            self.refresh()

    def advance(self, seconds: float) -> None:
        """Move the breath on by `seconds`."""
        self.elapsed = (self.elapsed + seconds) % CYCLE

    def _tick(self) -> None:
        now = time.monotonic()
        self.advance(now - self._last)
        self._last = now

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        """The disc, a blank row, and the words."""
        return ROWS + 2

    def render(self) -> Text:
        """The disc and the count, centred."""
        width = self.size.width or COLUMNS
        radius = (SMALLEST + LARGEST) / 2 if self.still else radius_at(self.elapsed)
        shape = self.get_component_rich_style(f"breathing--{self.phase}")
        lines = [Text(line, style=shape) for line in disc(radius)]
        words = Text(self.words, style=self.get_component_rich_style("breathing--words"))
        if not self.still:
            words.stylize(
                self.get_component_rich_style("breathing--count"),
                len(words) - 1,
            )
        rendered = [*lines, Text(), words]
        for line in rendered:
            line.align("center", width)
        return Text("\n").join(rendered)
