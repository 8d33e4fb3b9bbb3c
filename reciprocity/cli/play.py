"""`reciprocity play` (and `reciprocity` alone): a game on one shared terminal, or home."""

from __future__ import annotations

import argparse

from reciprocity.deck_files import find_deck
from reciprocity.tui.app import ReciprocityApp


def play_command(args: argparse.Namespace) -> int:
    """Open the app: the new-game form for `play`, the home screen without a command."""
    playing = args.command == "play"
    # A deck named on the command line is checked now, so a mistake is one line here.
    deck = find_deck(args.deck) if playing and args.deck else None
    names = tuple(args.names) if getattr(args, "names", None) else None
    checkin = not getattr(args, "no_checkin", False)
    app = ReciprocityApp(deck=deck, names=names, checkin=checkin, play=playing)
    app.run()
    return app.return_code or 0
