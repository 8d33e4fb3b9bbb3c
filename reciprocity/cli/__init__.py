"""The command line: `reciprocity [play|host|join|serve|facilitate|deck|history] ...`.

Each command group has its module here (argparse in `parser`, the rest imported only when
its command runs, so `--help` stays quick). Every error a person can cause ends in one clear
line on stderr and a non-zero exit.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from reciprocity import ReciprocityError
from reciprocity.cli.parser import build_parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return _dispatch(parser, args)
    except ReciprocityError as error:
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
    """Run the command; its module is imported only now, to keep start-up quick."""
    if args.command == "deck":
        from reciprocity.cli.deck import deck_command

        return deck_command(args)
    from reciprocity.paths import data_dir

    data_dir()  # a data folder that cannot be made is one line here, not a screen's crash
    if args.command == "history":
        from reciprocity.cli.history import history_command

        return history_command(args)
    if args.command == "serve":
        from reciprocity.cli.serve import serve_command

        return serve_command(args)
    if args.command == "facilitate":
        from reciprocity.cli.facilitate import facilitate_command

        return facilitate_command(args)
    if args.command in ("host", "join"):
        from reciprocity.cli.network import network_command

        return network_command(args)
    from reciprocity.cli.play import play_command

    return play_command(args)
