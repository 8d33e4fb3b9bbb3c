"""Past games: `reciprocity history`, its exports, and the formatting the history screen shares.

The history shows outcomes and counts only. It never holds the words partners typed, and never
a partner's limit or lines: only how many times a limit was changed.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import shutil
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rich.cells import cell_len, set_cell_size

from reciprocity import ReciprocityError
from reciprocity.engine.state import Outcome, Seat
from reciprocity.engine.summary import SeatTotals
from reciprocity.store import GameRecord, Store, StoreError


class UserError(ReciprocityError):
    """A mistake a person made on the command line; printed as one line."""


#: What the history says when there is nothing in it yet.
EMPTY = "No games yet."
#: The version of the JSON export's shape; raised when a field changes meaning or goes away.
EXPORT_VERSION = 1
#: The least number of characters of a game's id the table shows.
SHORT_ID = 4
#: The most games a trend line draws (the latest ones).
TREND_GAMES = 40
_BARS = "▁▂▃▄▅▆▇█"
_NONE = "\u2013"  # an en dash, for "no value"


# --- the table of games ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Column:
    """One column of the table of games. A column with a `shrink` width may be cut to fit."""

    header: str
    numeric: bool = False
    shrink: int = 0


#: The table's columns, in order; `record_rows` gives one cell for each.
COLUMNS: tuple[Column, ...] = (
    Column("ID"),
    Column("WHEN"),
    Column("DECK", shrink=8),
    Column("PARTNERS", shrink=9),
    Column("MIN", numeric=True),
    Column("TURNS", numeric=True),
    Column("MET", numeric=True),
    Column("DEEP", numeric=True),
    Column("REP", numeric=True),
    Column("PASS", numeric=True),
    Column("CLOSER"),
)

#: What the short headers mean, printed under the table.
LEGEND = (
    "MET: turns met with support (or repaired) · DEEP: deepest level · REP: repairs",
    "CLOSER: closeness on the circles (1-7), before→after, for each partner in order",
)


def short_ids(ids: Sequence[str], least: int = SHORT_ID) -> dict[str, str]:
    """Each id cut to the shortest prefix (at least `least` long) that no other id shares."""
    length = least
    while length < max((len(i) for i in ids), default=0):
        prefixes = [i[:length] for i in ids]
        if len(set(prefixes)) == len(prefixes):
            break
        length += 1
    return {i: i[:length] for i in ids}


def when(at: float, *, now: float | None = None) -> str:
    """A local date and time, short: `22 Nov 14:05`, or `22 Nov 2023` in an earlier year."""
    moment = datetime.fromtimestamp(at)
    this_year = datetime.fromtimestamp(time.time() if now is None else now).year
    if moment.year == this_year:
        return f"{moment.day} {moment:%b %H:%M}"
    return f"{moment.day} {moment:%b %Y}"


def day(at: float, *, now: float | None = None) -> str:
    """A local date, short: `22 Nov`, with the year when it is not this year."""
    moment = datetime.fromtimestamp(at)
    this_year = datetime.fromtimestamp(time.time() if now is None else now).year
    year = "" if moment.year == this_year else f" {moment.year}"
    return f"{moment.day} {moment:%b}{year}"


def partners(record: GameRecord) -> str:
    """The two partners' names: `Sam & Ben`."""
    return f"{record.summary.a.name or '?'} & {record.summary.b.name or '?'}"


def describe_game(record: GameRecord) -> str:
    """A game in a few words, for questions: `the game from 22 Nov with Sam & Ben`."""
    return f"the game from {day(record.created_at)} with {partners(record)}"


def percent(rate: float | None) -> str:
    """A rate from 0 to 1 as a whole percentage, or a dash when there is none."""
    return _NONE if rate is None else f"{round(rate * 100)}%"


def support_rate(record: GameRecord) -> float | None:
    """The share of a game's turns met with support or repaired; None when no turn ended."""
    return record.summary.support_rate if record.summary.turns else None


def minutes(value: float) -> str:
    """Minutes played, whole: `<1` for less than half a minute."""
    return "<1" if value < 0.5 else str(round(value))


def closeness(seat: SeatTotals) -> str:
    """One partner's closeness before and after: `3→5`, with a dot for a skipped check-in."""
    before = "·" if seat.ios_before is None else str(seat.ios_before)
    after = "·" if seat.ios_after is None else str(seat.ios_after)
    return f"{before}→{after}"


def closeness_pair(record: GameRecord) -> str:
    """Both partners' closeness, in seat order: `3→5 4→6`, or a dash when neither checked in."""
    seats = (record.summary.a, record.summary.b)
    if all(s.ios_before is None and s.ios_after is None for s in seats):
        return _NONE
    return " ".join(closeness(s) for s in seats)


def record_row(record: GameRecord, short_id: str | None = None) -> tuple[str, ...]:
    """One game's cells, in the order of COLUMNS, uncut."""
    summary = record.summary
    return (
        short_id or record.id,
        when(record.created_at),
        record.deck_title,
        partners(record),
        minutes(summary.minutes),
        str(summary.turns),
        percent(support_rate(record)),
        str(summary.deepest_level),
        str(summary.repairs),
        str(summary.passes),
        closeness_pair(record),
    )


def record_rows(records: Sequence[GameRecord]) -> list[tuple[str, ...]]:
    """Every game's cells, in the order given, with ids as short as they can be."""
    ids = short_ids([record.id for record in records])
    return [record_row(record, ids[record.id]) for record in records]


def fit(text: str, width: int) -> str:
    """Text cut to a width in terminal cells, ending in an ellipsis when it was longer."""
    if cell_len(text) <= width:
        return text
    if width <= 0:
        return ""
    return set_cell_size(text, width - 1).rstrip() + "…"


def fit_partners(text: str, width: int) -> str:
    """`Alexandra & Benjamin` cut to a width by shortening each name, so both still show."""
    if cell_len(text) <= width:
        return text
    a, joiner, b = text.rpartition(" & ")
    room = width - cell_len(joiner)
    if not joiner or room < 4:
        return fit(text, width)
    keep_a = min(cell_len(a), max(room // 2, room - cell_len(b)))
    return fit(a, keep_a) + joiner + fit(b, room - keep_a)


def gap(index: int) -> int:
    """The spaces before column `index`: one between two numeric columns, two elsewhere."""
    if index == 0:
        return 0
    return 1 if COLUMNS[index].numeric and COLUMNS[index - 1].numeric else 2


def column_widths(rows: Sequence[Sequence[str]], width: int) -> list[int]:
    """Each column's width so that the table fits `width` cells if it can.

    The columns that may shrink (deck, partners) give up a cell at a time, the wider first,
    down to their least width; the others keep their natural width.
    """
    widths = [
        max(cell_len(row[i]) for row in ([c.header for c in COLUMNS], *rows))
        for i in range(len(COLUMNS))
    ]
    overflow = sum(widths) + sum(gap(i) for i in range(len(COLUMNS))) - width
    while overflow > 0:
        room = [i for i, c in enumerate(COLUMNS) if c.shrink and widths[i] > c.shrink]
        if not room:
            break
        widest = max(room, key=lambda i: widths[i])
        widths[widest] -= 1
        overflow -= 1
    return widths


def table_cells(records: Sequence[GameRecord], width: int) -> list[list[str]]:
    """The table of games as cells padded to line up (each with the spaces before it),
    header first, fitted to `width` where it can be."""
    rows = record_rows(records)
    widths = column_widths(rows, width)
    table = []
    for row in ([c.header for c in COLUMNS], *rows):
        cells = []
        for i, cell in enumerate(row):
            cut = fit_partners if COLUMNS[i].header == "PARTNERS" else fit
            text = cut(cell, widths[i])
            pad = " " * (widths[i] - cell_len(text))
            cells.append(" " * gap(i) + (pad + text if COLUMNS[i].numeric else text + pad))
        table.append(cells)
    return table


def table_lines(records: Sequence[GameRecord], width: int) -> list[str]:
    """The table of games as aligned lines, header first, fitted to `width` where it can be."""
    return ["".join(cells).rstrip() for cells in table_cells(records, width)]


# --- trends ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Trends:
    """What changes across games, oldest game first."""

    games: int
    support: tuple[float, ...]
    levels: tuple[int, ...]
    repairs: int
    passes: int
    minutes: float
    overall_support: float | None

    @property
    def deepest(self) -> int:
        """The deepest level any game reached (0 with no games)."""
        return max(self.levels, default=0)


def trends(records: Sequence[GameRecord]) -> Trends:
    """Trends over games given newest first (as `Store.history` gives them)."""
    oldest_first = list(reversed(records))
    turns = sum(r.summary.turns for r in records)
    met = sum(r.summary.a.supported + r.summary.b.supported for r in records)
    return Trends(
        games=len(records),
        support=tuple(r.summary.support_rate for r in oldest_first if r.summary.turns),
        levels=tuple(r.summary.deepest_level for r in oldest_first),
        repairs=sum(r.summary.repairs for r in records),
        passes=sum(r.summary.passes for r in records),
        minutes=sum(r.summary.minutes for r in records),
        overall_support=met / turns if turns else None,
    )


def sparkline(values: Sequence[float], low: float = 0.0, high: float | None = None) -> str:
    """Values as a line of bars from ▁ to █, on a scale from `low` to `high` (the largest)."""
    if not values:
        return ""
    top = max(values) if high is None else high
    span = top - low
    bars = []
    for value in values:
        share = (value - low) / span if span > 0 else 1.0
        bars.append(_BARS[round(min(1.0, max(0.0, share)) * (len(_BARS) - 1))])
    return "".join(bars)


def bar_height(bar: str) -> float:
    """How tall one of `sparkline`'s bars is, from 0 (▁) to 1 (█)."""
    return _BARS.index(bar) / (len(_BARS) - 1) if bar in _BARS else 0.0


def support_note(t: Trends) -> str:
    """The support rate in words: `last game 83% · overall 76%`."""
    if not t.support:
        return "no turns yet"
    return f"last game {percent(t.support[-1])} · overall {percent(t.overall_support)}"


def level_note(t: Trends) -> str:
    """The deepest level in words: `last game 3 · deepest 5`."""
    if not t.levels:
        return "no games yet"
    return f"last game {t.levels[-1]} · deepest {t.deepest}"


def duration(total_minutes: float) -> str:
    """Minutes as `2 h 5 min`, `40 min`, or `under a minute`."""
    whole = round(total_minutes)
    if whole < 1:
        return "under a minute"
    hours, mins = divmod(whole, 60)
    return f"{hours} h {mins} min" if hours else f"{mins} min"


def totals_note(t: Trends) -> str:
    """The totals in words: `3 games · 4 repairs · 2 passes · 1 h 5 min together`."""
    return " · ".join(
        (
            _plural(t.games, "game"),
            _plural(t.repairs, "repair"),
            _plural(t.passes, "pass", "passes"),
            f"{duration(t.minutes)} together",
        )
    )


def trend_lines(records: Sequence[GameRecord]) -> list[str]:
    """The Trends block under the table: support rate, deepest level and totals."""
    t = trends(records)
    latest = f"the last {TREND_GAMES} games" if t.games > TREND_GAMES else "oldest to newest"
    support = sparkline(t.support[-TREND_GAMES:], 0.0, 1.0)
    levels = sparkline(t.levels[-TREND_GAMES:], 0.0)
    return [
        f"Trends ({latest})",
        f"  Support rate   {support}  {support_note(t)}".rstrip(),
        f"  Deepest level  {levels}  {level_note(t)}",
        f"  {totals_note(t)}",
    ]


def _plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count} {word if count == 1 else plural or word + 's'}"


# --- exports ---------------------------------------------------------------------------


def iso(at: float | None) -> str | None:
    """A time as ISO 8601 in local time with its UTC offset, to the second."""
    if at is None:
        return None
    return datetime.fromtimestamp(at).astimezone().isoformat(timespec="seconds")


def outcome_counts(record: GameRecord) -> dict[str, int]:
    """How many turns ended each way, every outcome listed (passes included)."""
    counted = Counter(point.outcome for point in record.summary.timeline)
    return {outcome.value: counted[outcome] for outcome in Outcome}


def _partner(seat: Seat, totals: SeatTotals) -> dict[str, Any]:
    return {
        "seat": seat.value,
        "name": totals.name,
        "shares": totals.shares,
        "supported": totals.supported,
        "passes": totals.passes,
        "average_depth": round(totals.average_depth, 2),
        "ios_before": totals.ios_before,
        "ios_after": totals.ios_after,
    }


def export_record(record: GameRecord) -> dict[str, Any]:
    """One game for export: counts, times and closeness; never words, limits or lines."""
    summary = record.summary
    rate = support_rate(record)
    return {
        "id": record.id,
        "deck_id": record.deck_id,
        "deck_title": record.deck_title,
        "mode": record.mode,
        "created_at": iso(record.created_at),
        "finished_at": iso(record.finished_at),
        "ended": summary.ended,
        "minutes": round(summary.minutes, 2),
        "turns": summary.turns,
        "support_rate": None if rate is None else round(rate, 3),
        "deepest_level": summary.deepest_level,
        "repairs": summary.repairs,
        "passes": summary.passes,
        "pauses": summary.pauses,
        "limit_changes": summary.limit_changes,
        "outcomes": outcome_counts(record),
        "partners": [_partner(Seat.A, summary.a), _partner(Seat.B, summary.b)],
        "timeline": [
            {
                "minute": point.minute,
                "sharer": point.sharer.value,
                "level": point.level,
                "card": point.card,
                "outcome": point.outcome.value,
            }
            for point in summary.timeline
        ],
    }


def to_json(records: Sequence[GameRecord]) -> str:
    """Every game as one JSON document: `{"format", "version", "games": [...]}`."""
    document = {
        "format": "reciprocity-history",
        "version": EXPORT_VERSION,
        "games": [export_record(record) for record in records],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


_GAME_FIELDS = (
    "id",
    "created_at",
    "finished_at",
    "deck_id",
    "deck_title",
    "mode",
    "ended",
    "minutes",
    "turns",
    "support_rate",
    "deepest_level",
    "repairs",
    "passes",
    "pauses",
    "limit_changes",
)
_PARTNER_FIELDS = (
    "name",
    "shares",
    "supported",
    "passes",
    "average_depth",
    "ios_before",
    "ios_after",
)

#: The CSV header: one row per game; the timeline is left out (it is in the JSON).
CSV_FIELDS: tuple[str, ...] = (
    *_GAME_FIELDS,
    *(f"outcome_{outcome.value}" for outcome in Outcome),
    *(f"{seat.value}_{field}" for seat in Seat for field in _PARTNER_FIELDS),
)


def csv_row(record: GameRecord) -> dict[str, Any]:
    """One game as a flat CSV row keyed by CSV_FIELDS; empty cells where there is no value."""
    data = export_record(record)
    row: dict[str, Any] = {name: data[name] for name in _GAME_FIELDS}
    row |= {f"outcome_{name}": count for name, count in data["outcomes"].items()}
    for partner in data["partners"]:
        row |= {f"{partner['seat']}_{field}": partner[field] for field in _PARTNER_FIELDS}
    return {key: "" if value is None else value for key, value in row.items()}


def to_csv(records: Sequence[GameRecord]) -> str:
    """Every game as CSV with a header row."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(csv_row(record) for record in records)
    return out.getvalue()


# --- choosing a game -------------------------------------------------------------------


def find_record(records: Sequence[GameRecord], prefix: str) -> GameRecord:
    """The one game whose id starts with `prefix` (any case); LookupError says why not."""
    wanted = prefix.strip().lower()
    if not wanted:
        raise LookupError("give the id of a game; `reciprocity history` lists them")
    found = [record for record in records if record.id.lower().startswith(wanted)]
    if not found:
        raise LookupError(
            f"no game has the id {prefix!r}; `reciprocity history` lists the games and their ids"
        )
    if len(found) > 1:
        ids = ", ".join(record.id for record in found[:5])
        raise LookupError(f"{prefix!r} could be any of {len(found)} games ({ids}); give more of it")
    return found[0]


# --- `reciprocity history ...` ---------------------------------------------------------


def history_command(args: argparse.Namespace) -> int:
    """Run `reciprocity history ...` and return the exit code."""
    try:
        store = Store()
    except (StoreError, OSError) as error:
        raise UserError(str(error)) from None
    try:
        if getattr(args, "history_action", None) == "delete":
            return _delete(store, args)
        records = store.history()
        if args.json:
            sys.stdout.write(to_json(records))
        elif args.csv:
            sys.stdout.write(to_csv(records))
        else:
            print("\n".join(history_lines(records, _width())))
        return 0
    except StoreError as error:
        raise UserError(str(error)) from None
    finally:
        store.close()


def history_lines(records: Sequence[GameRecord], width: int) -> list[str]:
    """What `reciprocity history` prints: the table, what it means, and the trends."""
    if not records:
        return [EMPTY + " Start one with: reciprocity play"]
    count = _plural(len(records), "past game")
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
        raise UserError("give a game's id or --all, not both")
    if not args.all and not args.id:
        raise UserError("say which game to delete: its id (from `reciprocity history`), or --all")
    records = store.history()
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
        print(f"Deleted {_plural(len(records), 'game')}.")
        return 0
    try:
        record = find_record(records, args.id)
    except LookupError as error:
        raise UserError(str(error)) from None
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
        raise UserError("cannot ask to confirm: input is not a terminal; add --yes to delete")
    try:
        answer = input(f"{question} [y/N] ")
    except EOFError:
        print()
        return False
    return answer.strip().lower() in {"y", "yes"}
