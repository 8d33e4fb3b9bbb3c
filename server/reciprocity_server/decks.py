"""The decks a relay offers, read from disk by the shell and handed to the core by id.

`DeckShelf` is called with a deck's id: decks handed in first (an in-process relay passes the
host's own deck this way), then the shipped decks and those in the data folder's deck folder.
The files are read again only when one changes, so rooms with the same deck share one `Deck`
and a room costs no deck of its own.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping

from reciprocity.deck import Deck
from reciprocity.deck_files import available_decks, shipped_decks_dir
from reciprocity.paths import user_decks_dir


class DeckShelf:
    """The relay's decks by id (the first of an id wins), looked up as the core asks."""

    def __init__(self, decks: Mapping[str, Deck] | None = None) -> None:
        self.decks = dict(decks or {})
        self._library: dict[str, Deck] = {}
        self._files: tuple[tuple[str, int, int], ...] | None = None

    def __call__(self, deck_id: str) -> Deck | None:
        if deck_id in self.decks:
            return self.decks[deck_id]
        return self._read().get(deck_id)

    def _read(self) -> dict[str, Deck]:
        """The decks on disk by id, read again only when a file changes."""
        files = _deck_files()
        if files != self._files:
            library: dict[str, Deck] = {}
            for entry in available_decks():
                if entry.deck is not None:
                    library.setdefault(entry.deck.id, entry.deck)
            self._library, self._files = library, files
        return self._library


def _deck_files() -> tuple[tuple[str, int, int], ...]:
    """Each deck file's path, change time and size: what `available_decks` would read."""
    files = []
    for folder in (shipped_decks_dir(), user_decks_dir()):
        for path in sorted(folder.glob("*.toml")):
            with contextlib.suppress(OSError):  # gone since the listing: it is not there
                stat = path.stat()
                files.append((str(path), stat.st_mtime_ns, stat.st_size))
    return tuple(files)
