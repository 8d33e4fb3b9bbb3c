"""`reciprocity facilitate`: a relay with one room per pair, the codes, the dashboard.

It starts a relay in this program, has it make one room per pair with the chosen deck, and
opens the dashboard, which talks to the relay with the session's secret token (it never
leaves this program).

The session outlives this program: the relay keeps it in its records, with its clock, and this
program keeps what the relay never learns (the codes' words) with the token, owner-only, in
`facilitating.json` in the data folder. `--resume` brings all of it back.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reciprocity_server.serve import RelayServer, start_relay

from reciprocity import ReciprocityError
from reciprocity.cli.web import code_link, print_link, relay_here, start_web
from reciprocity.deck_files import find_deck
from reciprocity.game.facilitation import MAX_PAIRS, FacilitateError
from reciprocity.game.handouts import slips, write_handouts
from reciprocity.game.session_export import SessionExport, output_path
from reciprocity.kept import load_session, save_session, write_private
from reciprocity.net.codes import join_url, new_words
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
_KEPT_OPTIONS = (
    *("deck", "pairs", "host", "port", "pace", "pace_seconds", "codes_out", "totals_out"),
    *("events_out", "handouts", "aloud", "with_names"),
)


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
    seconds = args.pace_seconds  # hidden: a short pace, for tests and trying it out
    if seconds is not None and not (math.isfinite(seconds) and seconds >= 1):
        raise FacilitateError("--pace-seconds must be a number of seconds, at least 1")
    return asyncio.run(_facilitate(args))


async def _facilitate(args: argparse.Namespace) -> int:
    async with facilitation(args) as app:
        await app.run_async()
        app.dashboard.export.at_quit(app.rows, app.connection.core.played.values())
    return app.return_code or 0


def kept_path() -> Path:
    """Where this program keeps the session it runs: its codes, token and files (owner-only)."""
    return data_dir() / "facilitating.json"


@asynccontextmanager
async def facilitation(args: argparse.Namespace) -> AsyncIterator[FacilitatorApp]:
    """The relay, the dashboard's connection and its app, for a new session or (`--resume`)
    the one kept; the relay stops and the connection closes when the block ends."""
    db = data_dir() / "facilitate.sqlite3"
    if args.resume:
        kept = _kept()
        # The rooms come back from the records, as `reciprocity serve` brings them back.
        server = await start_relay(
            kept["host"], kept["port"], db=db, restore=True, trust_forwarded=args.web is not None
        )
    else:
        kept = _settings(args)
        server = await _fresh(args, db, kept)
    connection: FacilitatorConnection | None = None
    web: WebServer | None = None
    try:
        web_host = kept.get("web_host", "127.0.0.1")  # a session kept before it was kept
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
        relay = f"ws://{host}:{server.port}"
        web_url = web.url if web is not None else None
        # The slips, with the address as it is now (and each pair's web link with --web).
        _write_codes(kept, relay, session.deck_title, web_url)

        def keep_codes(added: Mapping[int, str]) -> None:
            """Rooms added during the session: their codes kept, and written out."""
            kept["codes"] |= {str(number): code for number, code in added.items()}
            _save(kept)
            _write_codes(kept, relay, session.deck_title, web_url)

        app = FacilitatorApp(
            connection,
            session,
            codes,
            relay=relay,
            aloud=kept["aloud"],
            export=_export(kept, session.depth),
            keep_codes=keep_codes,
        )
        if web is not None:
            app.dashboard.web = web_url
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
    # Every file is checked now, not when it is written.
    files = {
        "codes_out": output_path(args.codes_out, "the codes"),
        "totals_out": output_path(args.totals_out, "the totals"),
        "events_out": output_path(args.events_out, "the events"),
        "handouts": output_path(args.handouts, "the slips"),
    }
    asked = args.pace * 60 if args.pace is not None else args.pace_seconds
    suggested = deck.pace_minutes * 60 if deck.pace_minutes else None
    return {
        "deck": deck,
        "host": args.host or DEFAULT_HOST,
        # The web page listens where --host says (0.0.0.0 too), on this computer only without it.
        "web_host": args.host or "127.0.0.1",
        "port": DEFAULT_PORT if args.port is None else args.port,  # 0: any free port
        # A pace asked for starts once every pair is seated; the deck's waits for `s`.
        "seconds": asked if asked is not None else suggested,
        "auto_start": asked is not None,
        **{name: str(path) if path is not None else None for name, path in files.items()},
        "aloud": args.aloud,
        "with_names": args.with_names,
    }


async def _fresh(args: argparse.Namespace, db: Path, kept: dict[str, Any]) -> RelayServer:
    """A relay with a new session; `kept` gains its token and codes, and is written."""
    deck = kept.pop("deck")
    seconds, auto_start = kept.pop("seconds"), kept.pop("auto_start")
    # A session starts afresh: rooms an earlier session left are not brought back.
    # With --web, each browser player is counted by its own address, which its tab's process
    # on this machine forwards (`reciprocity.web`).
    server = await start_relay(
        kept["host"],
        kept["port"],
        db=db,
        decks={deck.id: deck},
        restore=False,
        trust_forwarded=args.web is not None,
    )
    try:
        token, numbers = await server.start_session(
            deck, args.pairs, seconds, auto_start=auto_start
        )
        kept["started"] = time.time()  # the turns' seconds count from here
        # The words of each code are made here, as a host's screen makes its own: the relay
        # routes by the number and never learns them.
        codes = {number: f"{number}-{new_words()}" for number in numbers}
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
    needed = {"token", "codes", "host", "port", "started"}
    needed |= {"totals_out", "events_out", "handouts", "aloud", "with_names"}
    if not needed <= kept.keys():
        raise FacilitateError(
            f"the session kept in {path} was kept by an older Reciprocity and cannot be"
            " resumed; start a new one with --deck and --pairs"
        )
    return kept


def _export(kept: dict[str, Any], depth: int) -> SessionExport:
    """The session's exports, as kept: when it started, and the files it writes."""
    totals, events = kept["totals_out"], kept["events_out"]
    return SessionExport(
        started=kept["started"],
        depth=depth,
        totals_out=Path(totals) if totals else None,
        events_out=Path(events) if events else None,
        with_names=kept["with_names"],
    )


def _write_codes(kept: dict[str, Any], relay: str, title: str, web: str | None) -> None:
    """Write every code of the session to `--codes-out` (one a line, in the order the rooms
    were made, so rooms added later come at the end) and the slips to `--handouts`, if
    given, whose QR codes hold each pair's web link when there is a web page (`web`); one
    clear line if a file cannot be written."""
    codes = {int(number): code for number, code in kept["codes"].items()}
    if kept.get("codes_out") is not None:
        path = Path(kept["codes_out"])
        try:
            # Only the facilitator may read them: a code's words are the pair's password.
            write_private(path, "".join(f"{code}\n" for code in codes.values()))
        except OSError as error:
            raise FacilitateError(f"cannot write the codes to {path}: {why(error)}") from None
    if kept["handouts"] is not None:
        urls = {number: join_url(web, code) for number, code in codes.items()} if web else None
        pairs = slips(codes, relay, aloud=kept["aloud"], urls=urls)
        write_handouts(Path(kept["handouts"]), pairs, title=title, aloud=kept["aloud"])


def _save(kept: dict[str, Any]) -> None:
    try:
        save_session(kept_path(), kept)
    except OSError as error:
        raise FacilitateError(f"cannot keep the session in {kept_path()}: {why(error)}") from None
