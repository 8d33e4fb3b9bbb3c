"""Facilitated sessions: the totals, the join line.

`totals_csv` turns the rooms' rows into the facilitator's export (the session's clock is the
relay's, `reciprocity_server.clock`, and `pacing` puts it into words). The one file written here is
that export (`write_totals`, through `reciprocity.kept`'s owner-only writer), shared by the
command line and the dashboard.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

from reciprocity import ReciprocityError
from reciprocity.kept import write_private
from reciprocity.paths import why
from reciprocity.protocol import RoomStatus

#: The most pairs one session may have.
MAX_PAIRS = 200


class FacilitateError(ReciprocityError):
    """A facilitated session cannot start or export as asked: one line a person can act on."""


# --- the totals --------------------------------------------------------------------------

_COUNTS = ("turns", "supported", "repairs", "unrepaired", "passes")


def totals_csv(rows: Sequence[RoomStatus], *, include_names: bool = False) -> str:
    """One row per room (by its number: never the words of its code) and a total row, as
    CSV. Names only when asked for."""
    fields = ["room", *(("partner_a", "partner_b") if include_names else ()), "state"]
    fields += ["level", "open_level", *_COUNTS, "support_rate"]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        line: dict[str, object] = {"room": row.number, "state": row.state, "level": row.level}
        line["open_level"] = "" if row.open_level is None else row.open_level
        line |= {name: getattr(row, name) for name in _COUNTS}
        line["support_rate"] = f"{row.support_rate:.2f}"
        if include_names:
            line["partner_a"], line["partner_b"] = (name or "" for name in row.names)
        writer.writerow(line)
    sums = {name: sum(getattr(row, name) for row in rows) for name in _COUNTS}
    total: dict[str, object] = {"room": "total", "state": f"{len(rows)} rooms", **sums}
    total["level"] = max((row.level for row in rows), default="")
    total["open_level"] = max((row.open_level or 0 for row in rows), default="") or ""
    rate = sums["supported"] / sums["turns"] if sums["turns"] else 0.0
    total["support_rate"] = f"{rate:.2f}"
    writer.writerow(total)
    return out.getvalue()


def write_totals(path: Path, rows: Sequence[RoomStatus], *, include_names: bool = False) -> None:
    """Write the totals CSV to `path`; raises `FacilitateError` with one line if it cannot."""
    try:
        write_private(path.expanduser(), totals_csv(rows, include_names=include_names))
    except OSError as error:
        raise FacilitateError(f"cannot write the totals to {path}: {why(error)}") from None


def join_line(relay: str) -> str:
    """The line a pair types to join, with CODE standing for their own code."""
    return f"reciprocity join CODE --relay {relay}"
