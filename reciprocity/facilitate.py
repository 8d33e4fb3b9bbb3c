"""Facilitated sessions: `reciprocity facilitate`, the facilitator's connection, the totals.

`reciprocity facilitate` starts a relay in this program, has it make one room per pair with
the chosen deck, and opens the dashboard. The dashboard talks to the relay over the same
websocket protocol as the players, with a hello that carries the session's secret token; the
token never leaves this program. The relay sends it each room's row: outcomes and counts only,
never words, limits or lines.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import io
import time
from collections import deque
from collections.abc import Callable, Sequence
from pathlib import Path

from pydantic import ValidationError
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from reciprocity import ReciprocityError
from reciprocity.connection import StatusChanged
from reciprocity.engine import FacilitatorCommand
from reciprocity.paths import data_dir, why, write_private
from reciprocity.protocol import (
    CLIENT,
    PROTOCOL_VERSION,
    SERVER,
    Announce,
    Error,
    FacilitatorLogin,
    Hello,
    RoomStatus,
    SessionStatus,
    Steer,
)
from reciprocity.remote import (
    RECONNECTING,
    UNREACHABLE,
    RelayError,
    RelayRefused,
    RelayUnreachable,
    dial,
    lan_address,
    new_words,
)

#: The most pairs one session may have.
MAX_PAIRS = 200

SessionUpdate = SessionStatus | RoomStatus | Error | StatusChanged


class FacilitateError(ReciprocityError):
    """A facilitated session cannot start or export as asked: one line a person can act on."""


class FacilitatorConnection:
    """The dashboard's connection to the relay: rows in, the facilitator's commands out.

    `open()` says hello with the token and returns the session as it stands. `run(deliver)`,
    in the app's worker, delivers each room's row as it changes, and after a drop reconnects
    and delivers the whole session again. Commands wait in order until they can be sent.
    """

    def __init__(self, url: str, token: str, *, timeout: float = 10.0) -> None:
        self.url = url
        self._token = token
        self.timeout = timeout
        self._socket: ClientConnection | None = None
        self._outbox: deque[Steer | Announce] = deque()
        self._wake = asyncio.Event()
        self._closed = asyncio.Event()

    async def open(self) -> SessionStatus:
        """Connect and say hello; raises `RelayUnreachable` or `RelayRefused`."""
        socket = await dial(self.url, self.timeout)
        hello = Hello(version=PROTOCOL_VERSION, facilitate=FacilitatorLogin(token=self._token))
        try:
            await socket.send(CLIENT.dump_json(hello).decode())
            answer = SERVER.validate_json(await asyncio.wait_for(socket.recv(), self.timeout))
        except (OSError, TimeoutError, ConnectionClosed, ValidationError):
            await socket.close()
            raise RelayUnreachable(f"{self.url} did not answer as a relay") from None
        if not isinstance(answer, SessionStatus):
            await socket.close()
            if isinstance(answer, Error):
                raise RelayRefused(f"the relay said: {answer.message}", answer.code)
            raise RelayUnreachable(f"{self.url} did not answer as a relay")
        self._socket = socket
        return answer

    async def run(self, deliver: Callable[[SessionUpdate], None]) -> None:
        """Deliver rows until closed, reconnecting after a drop."""
        try:
            while not self._closed.is_set():
                if self._socket is None:
                    try:
                        session = await self.open()
                    except RelayError:
                        deliver(StatusChanged(UNREACHABLE))
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(self._closed.wait(), 1.0)
                        continue
                    deliver(StatusChanged(None))
                    deliver(session)
                await self._serve(deliver)
                if not self._closed.is_set():
                    deliver(StatusChanged(RECONNECTING))
        finally:
            await self.aclose()

    async def _serve(self, deliver: Callable[[SessionUpdate], None]) -> None:
        socket = self._socket
        assert socket is not None
        tasks = [
            asyncio.create_task(self._read(socket, deliver)),
            asyncio.create_task(self._write(socket)),
            asyncio.create_task(self._closed.wait()),
        ]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        self._socket = None
        await socket.close()

    async def _read(
        self, socket: ClientConnection, deliver: Callable[[SessionUpdate], None]
    ) -> None:
        with contextlib.suppress(ConnectionClosed, OSError):
            async for frame in socket:
                try:
                    message = SERVER.validate_json(frame)
                except ValidationError:
                    continue
                if isinstance(message, SessionStatus | RoomStatus | Error):
                    deliver(message)

    async def _write(self, socket: ClientConnection) -> None:
        with contextlib.suppress(ConnectionClosed, OSError):
            while True:
                while self._outbox:
                    await socket.send(CLIENT.dump_json(self._outbox[0]).decode())
                    self._outbox.popleft()
                self._wake.clear()
                await self._wake.wait()

    def steer(self, command: FacilitatorCommand) -> None:
        """Queue a command for every room of the session."""
        self._queue(Steer(command=command))

    def announce(self, text: str) -> None:
        """Queue one line for every player's screen."""
        self._queue(Announce(text=text))

    def _queue(self, message: Steer | Announce) -> None:
        self._outbox.append(message)
        self._wake.set()

    def close(self) -> None:
        """Stop the run loop; it closes the socket on its way out."""
        self._closed.set()

    async def aclose(self) -> None:
        """Close now."""
        self.close()
        socket, self._socket = self._socket, None
        if socket is not None:
            await socket.close()


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
        path.expanduser().write_text(totals_csv(rows, include_names=include_names))
    except OSError as error:
        raise FacilitateError(f"cannot write the totals to {path}: {why(error)}") from None


def join_line(relay: str) -> str:
    """The line a pair types to join, with CODE standing for their own code."""
    return f"reciprocity join CODE --relay {relay}"


# --- the command line --------------------------------------------------------------------


def facilitate_command(args: argparse.Namespace) -> int:
    """`reciprocity facilitate`: a relay with one room per pair, the codes, the dashboard."""
    if not 1 <= args.pairs <= MAX_PAIRS:
        raise FacilitateError(f"--pairs must be from 1 to {MAX_PAIRS}")
    if args.pace is not None and args.pace <= 0:
        raise FacilitateError("--pace must be a number of minutes above 0, such as 15")
    return asyncio.run(_facilitate(args))


async def _facilitate(args: argparse.Namespace) -> int:
    from reciprocity_server.serve import start_relay

    from reciprocity.library import find_deck
    from reciprocity.tui.facilitator import FacilitatorApp

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
        connection = FacilitatorConnection(server.url, token)
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


# --- pacing -------------------------------------------------------------------------------


class Pacer:
    """The dashboard's pacing: which level is open to everyone, and the countdown to the next.

    With `minutes`, the next level opens on its own when the countdown runs out (as in the
    15-minutes-a-set protocol); holding stops the countdown, and going on starts it afresh.
    While everyone is paused the countdown stands still, and it goes on from there after.
    Without `minutes`, a level opens only when the facilitator says so. `held` starts with the
    countdown stopped, until the facilitator lets it go on (as for a deck's suggested pace).
    """

    def __init__(
        self,
        depth: int,
        open_level: int,
        minutes: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        *,
        held: bool = False,
    ) -> None:
        self.depth = depth
        self.open_level = open_level
        self.minutes = minutes
        self.clock = clock
        self.held = held or minutes is None
        self.paused = False
        self._due: float | None = None
        #: While paused: the seconds the countdown had left.
        self._left: float | None = None
        self._restart()

    @property
    def remaining(self) -> float | None:
        """Seconds until the next level opens on its own, or None when nothing will."""
        if self._due is None:
            return self._left
        return max(0.0, self._due - self.clock())

    def set_paused(self, paused: bool) -> None:
        """Stop the countdown where it stands while everyone is paused; go on from there."""
        if paused == self.paused:
            return
        self.paused = paused
        if paused:
            self._left, self._due = self.remaining, None
        elif self._left is not None:
            self._due, self._left = self.clock() + self._left, None

    def due(self) -> bool:
        """True when the countdown has run out and the next level should open now."""
        return self._due is not None and self.clock() >= self._due

    def open_next(self) -> int | None:
        """Open the next level (returns it), or None when every level is open already."""
        if self.open_level >= self.depth:
            return None
        self.open_level += 1
        self._restart()
        return self.open_level

    def toggle_hold(self) -> bool:
        """Hold everyone at the level open now, or go on with the countdown; True if held."""
        if self.minutes is None:
            return True
        self.held = not self.held
        self._restart()
        return self.held

    def describe(self) -> str:
        """One line for the dashboard."""
        line = f"Level {self.open_level} of {self.depth} open to everyone"
        if self.open_level >= self.depth:
            return f"{line}: all levels are open."
        remaining = self.remaining
        if remaining is not None:
            minutes, seconds = divmod(int(remaining + 0.999), 60)
            when = f"{minutes}:{seconds:02d}"
            if self.paused:
                return f"{line}. Level {self.open_level + 1} opens {when} after the pause."
            return f"{line}. Level {self.open_level + 1} opens in {when}."
        if self.minutes is None:
            return f"{line}. The next opens when you press n."
        return f"{line}, held: h runs the {self.minutes:g}-minute countdown, n opens the next."

    def _restart(self) -> None:
        running = not self.held and self.minutes is not None and self.open_level < self.depth
        full = self.minutes * 60 if running and self.minutes else None
        self._due, self._left = None, None
        if full is not None and self.paused:
            self._left = full
        elif full is not None:
            self._due = self.clock() + full
