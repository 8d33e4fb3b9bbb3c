"""What the facilitator takes home from a session: the totals and the turns, as CSV.

Both go by pair number (the number in the pair's code, never its words), with names only
when asked, and neither ever holds words, limits or lines: the relay never sends them. The
files are written whole and owner-only (`reciprocity.kept.write_private`). Every column is
described in docs/facilitating.md.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from statistics import mean

from reciprocity.engine import Outcome, Seat
from reciprocity.game.facilitation import FacilitateError
from reciprocity.kept import write_private
from reciprocity.paths import why
from reciprocity.protocol import RoomStatus, TurnPlayed

_COUNTS = ("turns", "supported", "repairs", "unrepaired", "passes")
_CLOSENESS = tuple(f"{seat}_closeness_{when}" for seat in "ab" for when in ("before", "after"))


def output_path(value: str | None, what: str) -> Path | None:
    """The file named on the command line for `what` ("the totals"), checked now rather
    than when it is written: one line if it could not be."""
    if value is None:
        return None
    path = Path(value).expanduser().absolute()  # the same file after `--resume` from elsewhere
    if path.is_dir():
        raise FacilitateError(f"cannot write {what} to {path}: it is a folder")
    if not path.parent.is_dir():
        raise FacilitateError(f"cannot write {what} to {path}: no such folder")
    if not os.access(path.parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise FacilitateError(f"cannot write {what} to {path}: permission denied")
    return path


def write_file(path: Path, text: str, what: str) -> None:
    """Write one of the session's files, owner-only; `FacilitateError` with one line if not."""
    try:
        write_private(path.expanduser(), text)
    except OSError as error:
        raise FacilitateError(f"cannot write {what} to {path}: {why(error)}") from None


# --- the totals: one row per pair ---------------------------------------------------------


def totals_fields(depth: int, *, include_names: bool = False) -> list[str]:
    """The totals' header, for a deck of `depth` levels."""
    names = ["partner_a", "partner_b"] if include_names else []
    return [
        "pair",
        *names,
        "session_date",
        "session_start",
        "session_minutes",
        "state",
        "level",
        "deepest_level",
        "open_level",
        "turns",
        *(f"turns_level_{level}" for level in range(1, depth + 1)),
        *(name for name in _COUNTS if name != "turns"),
        "support_rate",
        *_CLOSENESS,
    ]


def totals_csv(
    rows: Sequence[RoomStatus], *, depth: int, started: float, include_names: bool = False
) -> str:
    """One row per pair and a total row, as CSV; the session began at `started` (seconds
    since the epoch) and lasted until the last thing a pair did."""
    moment = datetime.fromtimestamp(started).astimezone()
    last = max((row.last_active for row in rows if row.last_active is not None), default=started)
    session = {
        "session_date": moment.date().isoformat(),
        "session_start": moment.strftime("%H:%M"),
        "session_minutes": f"{max(0.0, last - started) / 60:.1f}",
    }
    out = io.StringIO()
    fields = totals_fields(depth, include_names=include_names)
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        line: dict[str, object] = {"pair": row.number, **session, "state": row.state}
        line |= {"level": row.level, "deepest_level": row.deepest_level}
        line["open_level"] = "" if row.open_level is None else row.open_level
        line |= {name: getattr(row, name) for name in _COUNTS}
        line |= _levels(row.turns_by_level, depth)
        line["support_rate"] = f"{row.support_rate:.2f}"
        line |= {name: _blank(score) for name, score in zip(_CLOSENESS, _scores(row), strict=True)}
        if include_names:
            line["partner_a"], line["partner_b"] = (name or "" for name in row.names)
        writer.writerow(line)
    writer.writerow(_total(rows, depth, session))
    return out.getvalue()


def _total(rows: Sequence[RoomStatus], depth: int, session: dict[str, str]) -> dict[str, object]:
    """The total row: counts summed, the deepest level reached, the mean of each check-in."""
    sums = {name: sum(getattr(row, name) for row in rows) for name in _COUNTS}
    total: dict[str, object] = {"pair": "total", **session, "state": f"{len(rows)} pairs", **sums}
    total["level"] = max((row.level for row in rows), default="")
    total["deepest_level"] = max((row.deepest_level for row in rows), default="")
    total["open_level"] = max((row.open_level or 0 for row in rows), default="") or ""
    by_level = [sum(_level(row.turns_by_level, level) for row in rows) for level in range(depth)]
    total |= _levels(tuple(by_level), depth)
    rate = sums["supported"] / sums["turns"] if sums["turns"] else 0.0
    total["support_rate"] = f"{rate:.2f}"
    for index, name in enumerate(_CLOSENESS):
        scores = [score for row in rows if (score := _scores(row)[index]) is not None]
        total[name] = f"{mean(scores):.2f}" if scores else ""
    return total


def _scores(row: RoomStatus) -> tuple[int | None, ...]:
    """The check-ins in `_CLOSENESS`'s order: A before, A after, B before, B after."""
    return (row.ios_before[0], row.ios_after[0], row.ios_before[1], row.ios_after[1])


def _level(turns_by_level: tuple[int, ...], index: int) -> int:
    return turns_by_level[index] if index < len(turns_by_level) else 0


def _levels(turns_by_level: tuple[int, ...], depth: int) -> dict[str, int]:
    return {f"turns_level_{i + 1}": _level(turns_by_level, i) for i in range(depth)}


def _blank(value: object) -> object:
    return "" if value is None else value


# --- the events: one row per turn ---------------------------------------------------------

EVENTS_FIELDS = ("pair", "seat", "level", "card", "outcome", "felt", "passed", "seconds")


def events_csv(
    turns: Iterable[TurnPlayed],
    rows: Sequence[RoomStatus],
    *,
    started: float,
    include_names: bool = False,
) -> str:
    """One row per turn, in the order they ended, as CSV: never words, limits or lines."""
    names = {row.number: row.names for row in rows}
    fields = list(EVENTS_FIELDS)
    if include_names:
        fields.insert(2, "name")
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for turn in sorted(turns, key=lambda turn: (turn.at, turn.number, turn.index)):
        line: dict[str, object] = {
            "pair": turn.number,
            "seat": turn.seat.value.upper(),
            "level": turn.level,
            "card": turn.card,
            "outcome": turn.outcome.value,
            "felt": " ".join(felt.value for felt in turn.felt),
            "passed": int(turn.outcome is Outcome.PASSED),
            "seconds": f"{max(0.0, turn.at - started):.1f}",
        }
        if include_names:
            pair = names.get(turn.number, (None, None))
            line["name"] = pair[0 if turn.seat is Seat.A else 1] or ""
        writer.writerow(line)
    return out.getvalue()


# --- when they are written ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SessionExport:
    """A session's exports: when it began (`started`), its deck's `depth`, the files the
    command line named, and whether those files hold names (`with_names`)."""

    started: float
    depth: int
    totals_out: Path | None = None
    events_out: Path | None = None
    with_names: bool = False

    def export(
        self,
        path: Path,
        rows: Sequence[RoomStatus],
        turns: Iterable[TurnPlayed],
        *,
        names: bool,
    ) -> str:
        """The facilitator's export: the totals to `path`, and the turns to `events_out`
        when there is one, with names if `names`; returns what was written, in a sentence."""
        totals = totals_csv(rows, depth=self.depth, started=self.started, include_names=names)
        write_file(path, totals, "the totals")
        if self.events_out is None:
            return f"Totals written to {path}."
        events = events_csv(turns, rows, started=self.started, include_names=names)
        write_file(self.events_out, events, "the events")
        return f"Totals written to {path}, the turns to {self.events_out}."

    def at_quit(self, rows: Sequence[RoomStatus], turns: Iterable[TurnPlayed]) -> None:
        """Write the files the command line named, as the session stands when it quits."""
        names = self.with_names
        if self.totals_out is not None:
            totals = totals_csv(rows, depth=self.depth, started=self.started, include_names=names)
            write_file(self.totals_out, totals, "the totals")
        if self.events_out is not None:
            events = events_csv(turns, rows, started=self.started, include_names=names)
            write_file(self.events_out, events, "the events")
