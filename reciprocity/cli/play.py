"""`reciprocity play` (and `reciprocity` alone): a game on one shared terminal, or home."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from reciprocity.tui.app import ReciprocityApp

if TYPE_CHECKING:
    from reciprocity.deck import Deck


def play_command(args: argparse.Namespace) -> int:
    """Open the app: the new-game form for `play`, the home screen without a command."""
    playing = args.command == "play"
    deck: Deck | None = None
    if playing and args.deck:  # checked now, so that a mistake is one line here
        from reciprocity.deck_files import find_deck  # pydantic: only when a deck is named

        deck = find_deck(args.deck)
    names = tuple(args.names) if getattr(args, "names", None) else None
    checkin = not getattr(args, "no_checkin", False)
    app = ReciprocityApp(deck=deck, names=names, checkin=checkin, play=playing)
    app.run()
    return app.return_code or 0
