"""Past games as the history shows them: each game's summary, derived from its logged events,
and the table of games (its columns, cells and fitting to a width).

The history shows outcomes and counts only. It never holds the words partners typed, and never
a partner's limit or lines: only how many times a limit was changed.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from rich.cells import cell_len

from reciprocity.engine import GameStarted
from reciprocity.engine.summary import SeatTotals, Summary, summarize
from reciprocity.records.store import Store
from reciprocity.text import fit, fit_pair

#: What the history says when there is nothing in it yet.
EMPTY = "No games yet."
#: The least number of characters of a game's id the table shows.
SHORT_ID = 4
_NONE = "\u2013"  # an en dash, for "no value"


@dataclass(frozen=True, slots=True)
class GameRecord:
    """One past or current game, as the history shows it."""

    id: str
    deck_id: str
    deck_title: str
    mode: str
    created_at: float
    finished_at: float | None
    summary: Summary

    @property
    def unfinished(self) -> bool:
        """Whether the game was left before its end (nobody pressed End, no session closed)."""
        return not self.summary.ended


def past_games(store: Store) -> list[GameRecord]:
    """Every game in the records that started play, newest first, with its summary."""
    return [
        GameRecord(
            log.id,
            log.deck_id,
            log.deck_title,
            log.mode,
            log.created_at,
            log.finished_at,
            summarize(log.events),
        )
        for log in store.logs()
        if any(isinstance(event, GameStarted) for _, event in log.events)
    ]


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

#: The mark after the date of a game left before its end.
UNFINISHED = "*"
#: What the mark means, under the table.
UNFINISHED_NOTE = f"{UNFINISHED} after the date: unfinished, left before the end"

#: What the short headers mean, printed under the table.
LEGEND = (
    "MET: turns met with support (or repaired) · DEEP: deepest level · REP: repairs",
    "CLOSER: closeness on the circles (1-7), before→after, for each partner in order",
    UNFINISHED_NOTE,
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
        when(record.created_at) + (UNFINISHED if record.unfinished else ""),
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
            cut = _fit_partners if COLUMNS[i].header == "PARTNERS" else fit
            text = cut(cell, widths[i])
            pad = " " * (widths[i] - cell_len(text))
            cells.append(" " * gap(i) + (pad + text if COLUMNS[i].numeric else text + pad))
        table.append(cells)
    return table


def table_lines(records: Sequence[GameRecord], width: int) -> list[str]:
    """The table of games as aligned lines, header first, fitted to `width` where it can be."""
    return ["".join(cells).rstrip() for cells in table_cells(records, width)]


def _fit_partners(text: str, width: int) -> str:
    """A `partners` cell cut so that both names still show."""
    first, joiner, second = text.rpartition(" & ")
    return fit_pair(first, second, width) if joiner else fit(text, width)
