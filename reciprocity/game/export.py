"""Past games exported as JSON or CSV: counts, times and closeness; never words, limits or
lines."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from reciprocity.engine.state import Outcome, Seat
from reciprocity.engine.summary import SeatTotals
from reciprocity.game.history import GameRecord, support_rate

#: The version of the JSON export's shape; raised when a field changes meaning or goes away.
EXPORT_VERSION = 1


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
