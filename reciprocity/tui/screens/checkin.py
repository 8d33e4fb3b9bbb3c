"""The closeness check-in: one partner, privately, places themselves on the IOS circles."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Label

from reciprocity.tui.widgets.circles import IOSCircles


class CheckInScreen(Screen[int | None]):
    """Ask one partner how close they feel, before play or `after` it.

    Dismisses with their choice, 1 (apart) to 7 (almost fully overlapping), or None if they
    skip. The screen shows nothing of the other partner's answer.
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("s", "skip", "Skip")]
    AUTO_FOCUS = "IOSCircles"

    def __init__(self, name: str, *, after: bool, partner: str = "your partner") -> None:
        """A check-in for the partner called `name`; `after` is True at the end of the game."""
        super().__init__()
        self.player = name
        self.after = after
        self.partner = partner

    @property
    def title_text(self) -> str:
        """The question, warm and by name."""
        if self.after:
            return f"{self.player}, how close do you feel now, after playing?"
        return f"{self.player}, how close do you feel right now?"

    def compose(self) -> ComposeResult:
        """The question, a line about it, and the circles."""
        with Vertical(id="checkin-body"):
            yield Label(self.title_text, classes="title", markup=False)
            yield Label(
                "Choose the circles that fit best. Only you see it until the end.",
                classes="muted",
                markup=False,
            )
            yield IOSCircles(partner=self.partner)
            yield Label(
                "There is no right answer, and you may skip.",
                classes="hint",
                markup=False,
            )
        yield Footer()

    @on(IOSCircles.Chosen)
    def _chosen(self, message: IOSCircles.Chosen) -> None:
        message.stop()
        self.dismiss(message.value)

    def action_skip(self) -> None:
        """Leave the check-in out this time."""
        self.dismiss(None)
