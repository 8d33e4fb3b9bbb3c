"""`reciprocity facilitate`: a relay with one room per pair, the codes, the dashboard.

It starts a relay in this program, has it make one room per pair with the chosen deck, and
opens the dashboard, which talks to the relay with the session's secret token (it never
leaves this program).
"""

from __future__ import annotations

import argparse
import asyncio
import math
from pathlib import Path

from reciprocity_server.serve import start_relay

from reciprocity.deck_files import find_deck
from reciprocity.game.facilitation import MAX_PAIRS, FacilitateError, write_totals
from reciprocity.kept import write_private
from reciprocity.net.codes import new_words
from reciprocity.net.driver import FacilitatorConnection
from reciprocity.net.hosting import lan_address
from reciprocity.paths import data_dir, why
from reciprocity.tui.facilitator import FacilitatorApp


def facilitate_command(args: argparse.Namespace) -> int:
    """`reciprocity facilitate`: a relay with one room per pair, the codes, the dashboard."""
    if not 1 <= args.pairs <= MAX_PAIRS:
        raise FacilitateError(f"--pairs must be from 1 to {MAX_PAIRS}")
    if args.pace is not None and not (math.isfinite(args.pace) and args.pace >= 1):
        raise FacilitateError("--pace must be a number of minutes, at least 1, such as 15")
    return asyncio.run(_facilitate(args))


async def _facilitate(args: argparse.Namespace) -> int:
    deck = find_deck(args.deck)
    codes_out = Path(args.codes_out).expanduser() if args.codes_out else None
    if codes_out is not None and not codes_out.parent.is_dir():
        raise FacilitateError(f"cannot write the codes to {codes_out}: no such folder")
    # A session starts afresh: rooms an earlier session left are not brought back.
    db = data_dir() / "facilitate.sqlite3"
    server = await start_relay(args.host, args.port, db=db, decks={deck.id: deck}, restore=False)
    connection: FacilitatorConnection | None = None
    try:
        token, numbers = await server.start_session(deck, args.pairs)
        # The words of each code are made here, as a host's screen makes its own: the relay
        # routes by the number and never learns them.
        codes = {number: f"{number}-{new_words()}" for number in numbers}
        if codes_out is not None:
            try:
                # Only the facilitator may read them: a code's words are the pair's password.
                write_private(codes_out, "".join(f"{code}\n" for code in codes.values()))
            except OSError as error:
                raise FacilitateError(
                    f"cannot write the codes to {codes_out}: {why(error)}"
                ) from None
        # It checks each room's first joiner with the room's code.
        connection = FacilitatorConnection(server.url, token, codes)
        session = await connection.open()
        host = lan_address() if args.host in ("0.0.0.0", "") else args.host
        totals_out = Path(args.totals_out).expanduser() if args.totals_out else None
        app = FacilitatorApp(
            connection,
            session,
            codes,
            relay=f"ws://{host}:{server.port}",
            # Without --pace, the deck's suggested pace waits on `h`.
            pace=args.pace if args.pace is not None else deck.pace_minutes,
            countdown=args.pace is not None,
            totals_out=totals_out,
        )
        await app.run_async()
        if totals_out is not None:
            write_totals(totals_out, app.rows)
    finally:
        if connection is not None:
            await connection.aclose()
        await server.close()
    return app.return_code or 0
