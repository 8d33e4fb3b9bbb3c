"""`reciprocity history`: the table of past games, its exports, and deleting games."""

from __future__ import annotations

import argparse
import shutil
import sys
from collections.abc import Sequence

from reciprocity import CommandError
from reciprocity.game.export import to_csv, to_json
from reciprocity.game.history import (
    EMPTY,
    LEGEND,
    GameRecord,
    describe_game,
    find_record,
    past_games,
    table_lines,
)
from reciprocity.game.trends import trend_lines
from reciprocity.records.store import Store
from reciprocity.text import plural


def history_command(args: argparse.Namespace) -> int:
    """Run `reciprocity history ...` and return the exit code. A `StoreError` is one line
    already (main prints any `ReciprocityError` so)."""
    try:
        store = Store()
    except OSError as error:
        raise CommandError(str(error)) from None
    try:
        if getattr(args, "history_action", None) == "delete":
            return _delete(store, args)
        records = past_games(store)
        if args.json:
            sys.stdout.write(to_json(records))
        elif args.csv:
            sys.stdout.write(to_csv(records))
        else:
            print("\n".join(history_lines(records, _width())))
        return 0
    finally:
        store.close()


def history_lines(records: Sequence[GameRecord], width: int) -> list[str]:
    """What `reciprocity history` prints: the table, what it means, and the trends."""
    if not records:
        return [EMPTY + " Start one with: reciprocity play"]
    count = plural(len(records), "past game")
    return [
        f"{count}, newest first",
        "",
        *table_lines(records, width),
        "",
        *LEGEND,
        "",
        *trend_lines(records),
        "",
        "Export with --json or --csv. Delete a game: reciprocity history delete ID",
    ]


def _width() -> int:
    return max(60, shutil.get_terminal_size((80, 24)).columns)


def _delete(store: Store, args: argparse.Namespace) -> int:
    if args.all and args.id:
        raise CommandError("give a game's id or --all, not both")
    if not args.all and not args.id:
        raise CommandError(
            "say which game to delete: its id (from `reciprocity history`), or --all"
        )
    records = past_games(store)
    if args.all:
        if not records:
            store.delete_all()  # any game set up but never started goes too
            print("No games to delete.")
            return 0
        games = "the 1 game" if len(records) == 1 else f"all {len(records)} games"
        question = f"Delete {games}? This cannot be undone."
        if not _confirm(question, args.yes):
            print("Nothing deleted.")
            return 0
        store.delete_all()
        print(f"Deleted {plural(len(records), 'game')}.")
        return 0
    try:
        record = find_record(records, args.id)
    except LookupError as error:
        raise CommandError(str(error)) from None
    if not _confirm(f"Delete {describe_game(record)}?", args.yes):
        print("Nothing deleted.")
        return 0
    store.delete(record.id)
    print(f"Deleted {describe_game(record)} ({record.id}).")
    return 0


def _confirm(question: str, yes: bool) -> bool:
    """Ask on the terminal; refuse to guess when there is no one to ask."""
    if yes:
        return True
    if sys.stdin is None or not sys.stdin.isatty():
        raise CommandError("cannot ask to confirm: input is not a terminal; add --yes to delete")
    try:
        answer = input(f"{question} [y/N] ")
    except EOFError:
        print()
        return False
    return answer.strip().lower() in {"y", "yes"}
