"""Words to keep after the game: a private note to yourself, and appreciation for your partner.

`save_note` is the only place in Reciprocity where a typed word is written to disk, and only
because the player chose to keep it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
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


def save_note(folder: Path, name: str, note: str) -> Path:
    """Write a partner's private note to a new timestamped `.txt` file in `folder`.

    This is the only place where words a player typed are written to disk, and it happens only
    when they chose to keep a note. The folder is made readable by this user alone (0o700) and
    the file likewise (0o600). Returns the new file's path; an existing file is never replaced.
    """
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder.chmod(0o700)
    now = datetime.now()
    slug = re.sub(r"[^a-z0-9]+", "-", name.casefold()).strip("-")[:24] or "note"
    stem = f"{now:%Y-%m-%d_%H-%M-%S}_{slug}"
    text = f"A note from {name}, {now:%d %B %Y, %H:%M}\n\n{note.strip()}\n"
    for attempt in range(1, 1000):
        path = folder / (f"{stem}.txt" if attempt == 1 else f"{stem}-{attempt}.txt")
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            os.fchmod(file.fileno(), 0o600)
            file.write(text)
        return path
    raise FileExistsError(f"Could not find a free file name for a note in {folder}")


class NotesScreen(Screen[WrittenNotes | None]):
    """A private note and a line of appreciation. Ctrl+S saves; Escape skips (None)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("escape", "skip", "Skip"),
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
