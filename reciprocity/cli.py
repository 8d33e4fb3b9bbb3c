"""The command line: `reciprocity [play|deck|history] ...`.

Every error a person can cause ends in one clear line on stderr and a non-zero exit.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from reciprocity import __version__
from reciprocity.deck import DeckError
from reciprocity.library import DEFAULT_DECK


class UserError(Exception):
    """A mistake a person made on the command line; printed as one line."""


def build_parser() -> argparse.ArgumentParser:
    """The whole command line, with help for every command."""
    from reciprocity import history, library

    parser = argparse.ArgumentParser(
        prog="reciprocity",
        description="A two-person conversation game: take turns sharing, meet each other "
        "with care, and go deeper together.",
    )
    parser.add_argument("--version", action="version", version=f"reciprocity {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    play = commands.add_parser("play", help="play on one shared terminal")
    play.add_argument(
        "--deck", default=DEFAULT_DECK, help=f"deck id or path (default: {DEFAULT_DECK})"
    )
    play.add_argument("--names", nargs=2, metavar=("A", "B"), help="the two partners' names")
    play.add_argument(
        "--no-checkin", action="store_true", help="skip the closeness check-in before and after"
    )

    library.add_deck_parser(commands)
    history.add_history_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return _dispatch(parser, args)
    except (UserError, DeckError) as error:
        for line in str(error).splitlines():
            print(f"reciprocity: {line}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (as with `| head`): stop quietly, as other tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _dispatch(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    from reciprocity import history, library

    if args.command == "deck":
        return library.deck_command(args)
    if args.command == "history":
        return history.history_command(args)
    return _play(args)


def _play(args: argparse.Namespace) -> int:
    from reciprocity.library import find_deck
    from reciprocity.tui.app import ReciprocityApp

    deck = find_deck(args.deck) if args.command == "play" else None
    names = tuple(args.names) if getattr(args, "names", None) else None
    checkin = not getattr(args, "no_checkin", False)
    app = ReciprocityApp(deck=deck, names=names, checkin=checkin)
    app.run()
    return app.return_code or 0


if __name__ == "__main__":
    sys.exit(main())
