"""The facilitator's one line for every player's screen, such as "Five minutes left"."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Label

from reciprocity.protocol import MAX_ANNOUNCEMENT


class AnnounceScreen(ModalScreen[str | None]):
    """Ask for the line; Enter sends it (dismissed with the text), Escape cancels (None)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def compose(self) -> ComposeResult:
        """The question, the line, and a word on what becomes of it."""
        with Vertical(id="announce-dialog"):
            yield Label("A line for every player's screen", classes="title", markup=False)
            yield Input(
                placeholder="Five minutes left…", max_length=MAX_ANNOUNCEMENT, id="announce-text"
            )
            yield Label(
                "Enter sends it. It is shown, and never kept.", classes="hint", markup=False
            )
        yield Footer()

    @on(Input.Submitted)
    def _send(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(" ".join(event.value.split()) or None)

    def action_cancel(self) -> None:
        """Send nothing."""
        self.dismiss(None)
