"""`reciprocity facilitate`: a relay with one room per pair, the codes, the dashboard.

It starts a relay in this program, has it make one room per pair with the chosen deck, and
opens the dashboard, which talks to the relay with the session's secret token (it never
leaves this program).

The session outlives this program: the relay keeps it in its records, and this program keeps
what the relay never learns (the codes' words) with the token and the pacing, owner-only, in
`facilitating.json` in the data folder. `--resume` brings all of it back.
"""

from __future__ import annotations

import argparse
import asyncio
import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reciprocity_server.serve import RelayServer, start_relay

from reciprocity import ReciprocityError
from reciprocity.cli.web import code_link, print_link, relay_here, start_web
from reciprocity.deck_files import find_deck
from reciprocity.game.facilitation import MAX_PAIRS, FacilitateError, Pacer, write_totals
from reciprocity.kept import load_session, save_session, write_private
from reciprocity.net.codes import new_words
from reciprocity.net.core import RelayRefused
from reciprocity.net.driver import FacilitatorConnection
from reciprocity.net.hosting import lan_address
from reciprocity.paths import data_dir, why
from reciprocity.tui.facilitator import FacilitatorApp

if TYPE_CHECKING:
    from reciprocity.web.server import WebServer

NOTHING_KEPT = "no facilitated session is kept here to resume; start one with --deck and --pairs"


#: Where a session listens when the command line does not say.
DEFAULT_HOST, DEFAULT_PORT = "0.0.0.0", 8765
#: What a session keeps from the command line, so `--resume` takes none of them.
_KEPT_OPTIONS = ("deck", "pairs", "host", "port", "pace", "codes_out", "totals_out")


def facilitate_command(args: argparse.Namespace) -> int:
    """`reciprocity facilitate`: a relay with one room per pair, the codes, the dashboard."""
    if args.resume:
        given = [f"--{name.replace('_', '-')}" for name in _KEPT_OPTIONS if vars(args)[name]]
        if given:
            raise FacilitateError(
                f"--resume brings back the session kept, with its own settings; "
                f"leave out {', '.join(given)}"
            )
    if not args.resume:
        if args.deck is None or args.pairs is None:
            raise FacilitateError("say --deck and --pairs to start a session, or --resume")
        if not 1 <= args.pairs <= MAX_PAIRS:
            raise FacilitateError(f"--pairs must be from 1 to {MAX_PAIRS}")
    if args.pace is not None and not (math.isfinite(args.pace) and args.pace >= 1):
        raise FacilitateError("--pace must be a number of minutes, at least 1, such as 15")
    return asyncio.run(_facilitate(args))


async def _facilitate(args: argparse.Namespace) -> int:
    async with facilitation(args) as app:
        await app.run_async()
        if app.dashboard.totals_out is not None:
            write_totals(app.dashboard.totals_out, app.rows)
    return app.return_code or 0


def kept_path() -> Path:
    """Where this program keeps the session it runs: codes, token and pacing (owner-only)."""
    return data_dir() / "facilitating.json"


@asynccontextmanager
async def facilitation(args: argparse.Namespace) -> AsyncIterator[FacilitatorApp]:
    """The relay, the dashboard's connection and its app, for a new session or (`--resume`)
    the one kept; the relay stops and the connection closes when the block ends."""
    db = data_dir() / "facilitate.sqlite3"
    if args.resume:
        kept = _kept()
        # The rooms come back from the records, as `reciprocity serve` brings them back.
        server = await start_relay(kept["host"], kept["port"], db=db, restore=True)
    else:
        kept = _settings(args)
        server = await _fresh(args, db, kept)
    connection: FacilitatorConnection | None = None
    web: WebServer | None = None
    try:
        # The web page listens where --host says, and on this computer only without it.
        web_host = kept["host"] if kept["host"] != DEFAULT_HOST else "127.0.0.1"
        web = await start_web(args, web_host, relay_here(kept["host"], server.port))
        codes = {int(number): code for number, code in kept["codes"].items()}
        # It checks each room's first joiner with the room's code.
        connection = FacilitatorConnection(server.url, kept["token"], codes)
        try:
            session = await connection.open()
        except RelayRefused:
            raise FacilitateError(
                "the relay no longer knows the session kept here; start a new one"
            ) from None
        host = lan_address() if kept["host"] in ("0.0.0.0", "") else kept["host"]
        totals = kept["totals_out"]
        pacing = kept.get("pacing")
        app = FacilitatorApp(
            connection,
            session,
            codes,
            relay=f"ws://{host}:{server.port}",
            pace=kept["pace"],
            countdown=not pacing["held"] if pacing else kept["countdown"],
            left=pacing["left"] if pacing else None,
            totals_out=Path(totals) if totals else None,
            keep=lambda pacer: _keep_pacing(kept, pacer),
        )
        if web is not None:
            app.dashboard.web = web.url
            print_link(code_link(web), "Pairs can join from a browser at")
        yield app
    finally:
        if web is not None:
            await web.close()
        if connection is not None:
            await connection.aclose()
        await server.close()


def _settings(args: argparse.Namespace) -> dict[str, Any]:
    """What a new session keeps besides its codes and token, from the command line."""
    deck = find_deck(args.deck)
    codes_out = Path(args.codes_out).expanduser() if args.codes_out else None
    if codes_out is not None and not codes_out.parent.is_dir():
        raise FacilitateError(f"cannot write the codes to {codes_out}: no such folder")
    totals_out = Path(args.totals_out).expanduser() if args.totals_out else None
    if totals_out is not None and not totals_out.parent.is_dir():  # now, not at the end
        raise FacilitateError(f"cannot write the totals to {totals_out}: no such folder")
    return {
        "deck": deck,
        "host": args.host or DEFAULT_HOST,
        "port": args.port or DEFAULT_PORT,
        # Without --pace, the deck's suggested pace waits on `h`.
        "pace": args.pace if args.pace is not None else deck.pace_minutes,
        "countdown": args.pace is not None,
        "codes_out": codes_out,
        "totals_out": str(totals_out) if totals_out is not None else None,
    }


async def _fresh(args: argparse.Namespace, db: Path, kept: dict[str, Any]) -> RelayServer:
    """A relay with a new session; `kept` gains its token and codes, and is written."""
    deck = kept.pop("deck")
    codes_out = kept.pop("codes_out")
    # A session starts afresh: rooms an earlier session left are not brought back.
    server = await start_relay(
        kept["host"], kept["port"], db=db, decks={deck.id: deck}, restore=False
    )
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
        kept |= {"token": token, "codes": {str(n): code for n, code in codes.items()}}
        kept["port"] = server.port
        _save(kept)
    except BaseException:
        await server.close()
        raise
    return server


def _kept() -> dict[str, Any]:
    """The session kept here, for `--resume`; one clear line when there is none."""
    path = kept_path()
    if not path.exists():
        raise FacilitateError(NOTHING_KEPT)
    try:
        kept = load_session(path)
    except ReciprocityError:
        raise FacilitateError(f"cannot read the session kept in {path}") from None
    needed = {"token", "codes", "host", "port", "pace", "countdown", "totals_out"}
    if not needed <= kept.keys():
        raise FacilitateError(f"cannot read the session kept in {path}")
    return kept


def _keep_pacing(kept: dict[str, Any], pacer: Pacer) -> None:
    """Keep the pacing as the dashboard knows it, for `--resume`."""
    kept["pacing"] = {"held": pacer.held, "left": pacer.remaining}
    _save(kept)


def _save(kept: dict[str, Any]) -> None:
    try:
        save_session(kept_path(), kept)
    except OSError as error:
        raise FacilitateError(f"cannot keep the session in {kept_path()}: {why(error)}") from None
