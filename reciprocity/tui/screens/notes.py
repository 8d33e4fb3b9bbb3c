"""Words to keep after the game: a private note to yourself, and appreciation for your partner.

A kept note is written by `reciprocity.kept.save_note`, the one writer of private files, and
only because the player chose to keep it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Input, Label, TextArea

MAX_APPRECIATION = 200
"""The longest line of appreciation, in characters."""


@dataclass(frozen=True, slots=True)
class WrittenNotes:
    """What one partner wrote at the end. Either part may be empty."""

    note: str
    """A private note to themselves, to keep on this machine only."""
    appreciation: str
    """One line of appreciation for their partner, to show them and then forget."""


class NotesScreen(Screen[WrittenNotes | None]):
    """A private note and a line of appreciation. Ctrl+S saves; Escape skips (None)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("escape", "skip", "Skip"),
        # Tab moves the focus before the keys after it are handed out (a priority binding is
        # the app's, not the note's): keys typed quickly after Tab never reach the note.
        Binding("tab", "app.focus_next", "Next field", show=False, priority=True),
        Binding("shift+tab", "app.focus_previous", "Previous field", show=False, priority=True),
    ]

    def __init__(self, name: str, partner: str) -> None:
        """Notes for the partner called `name`, whose partner is called `partner`."""
        super().__init__()
        self.player = name
        self.partner = partner

    def compose(self) -> ComposeResult:
        """Two fields and what becomes of each."""
        with Vertical(id="notes-body"):
            yield Label(f"{self.player}, a few words before you go", classes="title", markup=False)
            yield Label(
                "A private note to yourself "
                f"(kept only on this machine, never shown to {self.partner})",
                classes="notes-label",
                markup=False,
            )
            yield TextArea(id="notes-note", soft_wrap=True, show_line_numbers=False)
            yield Label(
                f"One line of appreciation for {self.partner}", classes="notes-label", markup=False
            )
            yield Input(
                id="notes-appreciation",
                placeholder="Thank you for…",
                max_length=MAX_APPRECIATION,
            )
            yield Label(
                "Both are optional. Nothing else you typed today was kept.",
                classes="hint",
                markup=False,
            )
        yield Footer()

    @property
    def written(self) -> WrittenNotes:
        """What is written so far, without surrounding blank space."""
        return WrittenNotes(
            note=self.query_one("#notes-note", TextArea).text.strip(),
            appreciation=self.query_one("#notes-appreciation", Input).value.strip(),
        )

    @on(Input.Submitted, "#notes-appreciation")
    def _submitted(self) -> None:
        self.action_save()

    def action_save(self) -> None:
        """Keep what was written."""
        self.dismiss(self.written)

    def action_skip(self) -> None:
        """Leave without keeping anything."""
        self.dismiss(None)
