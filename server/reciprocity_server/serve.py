"""The relay's shell: a websockets server around the sans-I/O core in `relay.py`.

- It reads the deck files (`decks.DeckShelf`) and hands the core a lookup by id.
- Every call into the core (and so every write to the records) runs on the event loop, in
  the order the frames arrived. A worker thread would only add a hand-off per frame and GIL
  contention.
- Group commit: the calls queued in one turn of the event loop (the frames that arrived
  together, across rooms) run one after another in one transaction of the records, and what
  they return is sent only once it is committed, so no ack or view leaves before its events
  are kept. If that commit fails, nothing it held was sent: every connection is closed
  (1011) and the core is rebuilt from the records, as after a crash, and players resume.
- Each connection has its own outbox and sender task (`sending.py`), so a slow client never
  holds up another. A client that has stopped reading is dropped, and may resume.
- `GET /healthz` answers 200 over plain HTTP; `GET /number` gives a host a room number.
- Routing: a client names its room in the URL (`/room/7`), so a stock proxy in front of
  several relays sends both partners to the same one; a host asks `GET /number` first.
- Closing the server closes every connection with 1001 (going away).
- Alone (`reciprocity serve`), the relay collects garbage less often (`tune_collector`): with
  thousands of rooms a full collection walks every object, and stopped the relay for tens
  of milliseconds every few seconds.

`reciprocity serve` runs it alone (`serve_command`); `reciprocity host` starts one in its own
process with `start_relay`.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import fcntl
import gc
import ipaddress
import itertools
import logging
import os
import ssl
from collections import Counter
from collections.abc import Callable, Mapping
from http import HTTPStatus
from pathlib import Path
from types import TracebackType

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from reciprocity import ReciprocityError
from reciprocity.deck import Deck
from reciprocity.paths import data_dir, why
from reciprocity.protocol import MAX_FRAME, RoomStatus
from reciprocity.records.store import StoreError
from reciprocity_server.decks import DeckShelf
from reciprocity_server.limits import counted
from reciprocity_server.outputs import CLOSE_POLICY, Close, Output, frame
from reciprocity_server.quotas import DEFAULT_QUOTAS, Quotas
from reciprocity_server.records import RelayStore
from reciprocity_server.relay import Relay
from reciprocity_server.sending import Outbox
from reciprocity_server.storage import MAX_NUMBER, RelayRecords

log = logging.getLogger("reciprocity_server")
#: The websockets library logs here. Never below WARNING: at DEBUG it would log frames,
#: and frames carry the words partners type.
wire_log = logging.getLogger("reciprocity_server.wire")
wire_log.setLevel(logging.WARNING)

DEFAULT_PORT = 8765
#: How often idle rooms are looked for, in seconds.
SWEEP_SECONDS = 60.0
#: How often a facilitated session's clock is ticked, in seconds.
TICK_SECONDS = 1.0
#: How often a relay on shared records looks for rooms another relay has taken, in seconds.
LEASE_SECONDS = 1.0
#: A connection that has not said a well-formed hello this long after opening is closed; so
#: is one whose WebSocket handshake takes longer.
HELLO_SECONDS = 5.0
TOO_MANY = "too many connections from your address"
#: The close code when a group commit failed: the server could not go on with the room.
CLOSE_UNSAVED = 1011
#: The collector's thresholds for a relay on its own (Python's are 700, 10, 10): the
#: youngest objects are collected after 50,000 new ones, and a full collection waits for 100
#: middle ones. Under load this cut the p99 of a command's round trip from 25 to 10 ms
#: (bench/README.md).
COLLECTOR_THRESHOLDS = (50_000, 20, 100)


class ListenError(ReciprocityError):
    """The relay cannot start, as when its port is already in use."""


def default_db() -> Path:
    """The relay's database in the data folder, apart from the history of local games."""
    return data_dir() / "relay.sqlite3"


class RelayServer:
    """A running relay. Make one with `start_relay`; stop it with `close`.

    `url` is where a client on this machine reaches it, such as `ws://127.0.0.1:8765`.
    """

    def __init__(
        self,
        relay: Relay,
        release: Callable[[], None],
        rebuild: Callable[[], Relay],
        db: Path | None = None,
    ) -> None:
        self._relay = relay
        #: Whether a connection from this machine (loopback) is counted by the address its
        #: `X-Forwarded-For` names, as a reverse proxy or this program's web page sets it.
        self.trust_forwarded = False
        self._release = release
        self._rebuild = rebuild
        self.db = db
        self._queued: list[tuple[Callable[..., list[Output] | None], tuple[object, ...]]] = []
        self._peers: dict[int, Outbox] = {}
        self._per_address: Counter[str] = Counter()
        self._ids = itertools.count(1)
        self._server: Server | None = None
        self._sweeper: asyncio.Task[None] | None = None
        self._ticker: asyncio.Task[None] | None = None
        self._watcher: asyncio.Task[None] | None = None
        self._closed = False
        self.host = ""
        self.port = 0

    @property
    def url(self) -> str:
        """The relay's address for a client on this machine."""
        host = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(self.host, self.host)
        return f"ws://[{host}]:{self.port}" if ":" in host else f"ws://{host}:{self.port}"

    async def start_session(
        self, deck: Deck, pairs: int, seconds: float | None = None, *, auto_start: bool = False
    ) -> tuple[str, list[int]]:
        """Start a facilitated session of `pairs` rooms with `deck`, and a clock of `seconds` a
        level; returns the facilitator's secret token and the rooms' numbers (see
        `Relay.start_session`)."""
        return self._relay.start_session(deck, pairs, seconds, auto_start=auto_start)

    async def close(self) -> None:
        """Close every connection (1001, going away), stop listening, and close the records."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for task in (self._sweeper, self._ticker, self._watcher):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._sweeper = self._ticker = self._watcher = None
        if not self._closed:
            self._closed = True
            self._flush()  # what the last connections' closing asked of the core
            self._relay.store.close()
            self._release()

    async def __aenter__(self) -> RelayServer:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def _listen(self, host: str, port: int, tls: ssl.SSLContext | None = None) -> None:
        self._server = await serve(
            self._handle,
            host,
            port,
            compression=None,
            max_size=MAX_FRAME,
            max_queue=16,
            open_timeout=HELLO_SECONDS,
            ping_interval=20,
            ping_timeout=20,
            process_request=self._http,
            logger=wire_log,
            server_header=None,
            ssl=tls,
        )
        self.host, self.port = host, self._server.sockets[0].getsockname()[1]
        self._sweeper = asyncio.create_task(self._sweep())
        self._ticker = asyncio.create_task(self._tick())
        if self._relay.store.shared:
            self._watcher = asyncio.create_task(self._watch_leases())

    def _http(self, connection: ServerConnection, request: Request) -> Response | None:
        """Plain HTTP beside the WebSocket: `GET /healthz` answers 200, and `GET /number`
        gives a host a room number to create its room with (at `/room/NUMBER`, where a
        proxy routes by it). Anything else goes on to websockets."""
        if request.path == "/healthz":
            return connection.respond(HTTPStatus.OK, "ok\n")
        if request.path == "/number":
            number = self._relay.reserve(_address(connection, request, self.trust_forwarded))
            if number is None:
                return connection.respond(HTTPStatus.TOO_MANY_REQUESTS, "no number now\n")
            return connection.respond(HTTPStatus.OK, f"{number}\n")
        return None

    async def _handle(self, ws: ServerConnection) -> None:
        address = _address(ws, ws.request, self.trust_forwarded)
        where = counted(address)
        if self._per_address[where] >= self._relay.limits.quotas.connections:
            await ws.close(CLOSE_POLICY, TOO_MANY)
            return
        self._per_address[where] += 1
        conn = next(self._ids)
        peer = Outbox(ws, conn)
        self._peers[conn] = peer
        due = asyncio.get_running_loop().call_later(
            HELLO_SECONDS, self._run, self._relay.hello_due, conn
        )
        try:
            self._run(self._relay.connect, conn, address, _route(ws.request))
            async for frame in ws:
                self._run(self._relay.receive, conn, frame)
        except ConnectionClosed:
            pass  # a frame too large (1009), a lost network: the client may resume
        finally:
            due.cancel()
            self._per_address[where] -= 1
            if not self._per_address[where]:
                del self._per_address[where]
            del self._peers[conn]
            try:
                self._run(self._relay.disconnect, conn)
            finally:
                await peer.stop()

    async def _sweep(self) -> None:
        while True:
            await asyncio.sleep(SWEEP_SECONDS)
            self._run(self._expire)

    async def _watch_leases(self) -> None:
        """On shared records, let go of the rooms another relay has taken (`leases.py`)."""
        while True:
            await asyncio.sleep(LEASE_SECONDS)
            self._run(self._let_go)

    def _let_go(self) -> list[Output]:
        try:
            return self._relay.leases.let_go(self._relay.store.held())
        except StoreError as failure:
            log.error("checking the leases: %s", failure)
            return []

    def _expire(self) -> list[Output]:
        # Looked up when the call runs: `_lost` may have rebuilt the core since it was queued.
        # A bug here is logged by `_call` and costs this sweep alone.
        return self._relay.expire()

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(TICK_SECONDS)
            if self._relay.facilitation.clock is not None:  # else nothing to tick, nor commit
                self._run(self._tick_clock)

    def _tick_clock(self) -> list[Output]:
        return self._relay.tick()  # as `_expire`

    def _run(self, call: Callable[..., list[Output] | None], *args: object) -> None:
        """Queue a call into the core, to run with the others queued in this turn of the
        event loop (`_flush`)."""
        self._queued.append((call, args))
        if len(self._queued) == 1:
            asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        """Run the queued calls in order, their writes in one transaction (group commit), and
        once it is committed send what they returned."""
        calls, self._queued = self._queued, []
        if not calls:
            return
        done: list[list[Output]] = []
        try:
            with self._relay.store.group():
                done = [_call(call, args) for call, args in calls]
        except StoreError as failure:
            self._lost(str(failure))
            return
        except Exception as bug:  # kept or not, what it held must not be sent
            self._lost(f"the group commit failed ({type(bug).__name__})")
            return
        for outputs in done:
            self._send(outputs)

    def _lost(self, failure: str) -> None:
        """The group's commit failed, so the core holds events the records do not: send none
        of what it returned, close every connection, and rebuild the core from the records
        (as a restart would), where the players resume."""
        log.error("%s: closing every connection, rooms come back from the records", failure)
        for conn, outbox in self._peers.items():
            outbox.put(Close(conn, CLOSE_UNSAVED, "the relay could not save; please resume"))
        try:
            self._relay = self._rebuild()
        except StoreError as again:
            log.error("%s: the rooms come back when the relay is restarted", again)

    def _send(self, outputs: list[Output]) -> None:
        """Queue what the core returned to each connection, in the core's order. A message
        sent to several connections (a record, a row, an announcement) is encoded once."""
        encoded: dict[int, str] = {}
        for out in outputs:
            peer = self._peers.get(out.conn)
            if peer is None:
                continue
            if isinstance(out, Close):
                peer.put(out)
                continue
            message = out.message
            text = encoded.get(id(message))
            if text is None:
                text = encoded[id(message)] = frame(message)
            peer.put(text, message.number if isinstance(message, RoomStatus) else None)


async def start_relay(
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    db: Path | str | None = None,
    decks: Mapping[str, Deck] | None = None,
    *,
    idle_hours: float = 24.0,
    restore: bool = True,
    quotas: Quotas = DEFAULT_QUOTAS,
    tls: ssl.SSLContext | None = None,
    trust_forwarded: bool = False,
) -> RelayServer:
    """Start a relay in this process and return it once it listens.

    `port=0` picks a free port (read it from `.port`). `db` is its SQLite file (default: the
    data folder's `relay.sqlite3`) or a `postgresql://` URL; live rooms in it come back, so
    clients can resume, unless `restore` is False: then rooms left in it are forgotten (their
    games stay in the records).
    `decks` are offered by id besides the shipped decks and the data folder's. With `tls`
    (see `tls_context`) it serves `wss://`. With `trust_forwarded`, a loopback connection is
    counted by the address its `X-Forwarded-For` names (never one from the network). Raises
    `ListenError` (port in use) or `StoreError` (database) with one clear line.
    """
    records, release, path = _records(db)
    try:
        relay = _open(records, decks, idle_hours, restore, quotas)
    except BaseException:
        records.close()
        release()
        raise
    server = RelayServer(
        relay, release, lambda: _open(records, decks, idle_hours, True, quotas), path
    )
    server.trust_forwarded = trust_forwarded
    try:
        await server._listen(host, port, tls)
    except OSError as error:
        await server.close()
        if error.errno == errno.EADDRINUSE:
            raise ListenError(
                f"port {port} on {host} is already in use; choose another with --port"
            ) from None
        reason = error.strerror or str(error)
        raise ListenError(f"cannot listen on {host} port {port}: {reason}") from None
    log.info("relay listening on %s:%d (records in %s)", host, server.port, records.where)
    return server


def tls_context(certfile: str, keyfile: str) -> ssl.SSLContext:
    """What `wss://` needs: this relay's certificate chain and its private key, both PEM.
    Raises `ListenError` with one line if they cannot be read or do not belong together."""
    for pem in (certfile, keyfile):
        if not Path(pem).is_file():
            raise ListenError(f"cannot read {pem}: no such file")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(certfile, keyfile)
    except (OSError, ssl.SSLError) as error:
        reason = getattr(error, "reason", None) or error.strerror or str(error)
        raise ListenError(
            f"cannot use the certificate {certfile} with the key {keyfile}: {str(reason).lower()}"
        ) from None
    return context


def _records(db: Path | str | None) -> tuple[RelayRecords, Callable[[], None], Path | None]:
    """The records `db` names, held for this relay alone, with what lets go of them; and the
    SQLite file, if that is where they are."""
    if isinstance(db, str) and db.startswith(("postgresql://", "postgres://")):
        try:
            from reciprocity_server.records_postgres import PostgresRelayStore
        except ImportError:
            raise ListenError(
                "keeping the records in PostgreSQL needs psycopg: pip install 'reciprocity[scale]'"
            ) from None
        return PostgresRelayStore(db), lambda: None, None  # shared: no relay holds it alone
    path = Path(db) if db is not None else default_db()
    lock = _lock_db(path)  # before anything touches the records
    try:
        return RelayStore(path), lambda: os.close(lock), path
    except BaseException:
        os.close(lock)
        raise


def _lock_db(path: Path) -> int:
    """Hold the database for this relay alone (a lock beside it), so a second relay on the same
    records never forgets or blanks the first one's rooms; raises `ListenError` if one runs."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path.with_name(f"{path.name}.lock"), os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as error:
        raise ListenError(f"cannot use the records {path}: {why(error)}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise ListenError(
            f"another relay is using {path}; stop it first, or give this one another --db"
        ) from None
    return fd


def _open(
    records: RelayRecords,
    decks: Mapping[str, Deck] | None,
    idle_hours: float,
    restore: bool,
    quotas: Quotas,
) -> Relay:
    relay = Relay(records, DeckShelf(decks), idle_hours=idle_hours, quotas=quotas)
    if records.shared:  # other relays hold rooms in them: each is taken when asked for
        log.info("records shared with other relays: rooms are taken over when asked for")
    elif restore:
        relay.restore()
    else:
        relay.store.forget_rooms()
    relay.store.blank_abandoned()  # games whose rooms went while the relay was down
    return relay


def _call(call: Callable[..., list[Output] | None], args: tuple[object, ...]) -> list[Output]:
    """One call into the core; a bug costs that call alone, never its group's commit."""
    try:
        return call(*args) or []
    except Exception as bug:
        log.error("internal error in %s (%s)", call.__name__, type(bug).__name__)
        return []


def _route(request: Request | None) -> int | None:
    """The room number a WebSocket URL names (`/room/7`), if it names one."""
    path = request.path.partition("?")[0] if request is not None else ""
    prefix, _, number = path.rpartition("/room/")
    if prefix or not number.isdecimal() or not 1 <= int(number) <= MAX_NUMBER:
        return None
    return int(number)


def _address(ws: ServerConnection, request: Request | None, trusted: bool) -> str:
    """The client's address: the peer's, or (when `trusted`) the one a reverse proxy or web
    page on this host forwards."""
    peer = str(ws.remote_address[0]) if ws.remote_address else "unknown"
    # Several headers are one list, in order: the last value is the proxy's own.
    values = request.headers.get_all("X-Forwarded-For") if request and trusted else []
    forwarded = ",".join(values)
    try:
        local = ipaddress.ip_address(peer).is_loopback
    except ValueError:
        local = False
    if forwarded and local:
        return forwarded.rsplit(",", 1)[-1].strip()[:64] or peer
    return peer


def tune_collector() -> None:
    """Set the collector for a relay on its own: what start-up made (modules, decks, the
    protocol's models) lives as long as the process, so it is frozen out of every future
    collection, and collections come less often (`COLLECTOR_THRESHOLDS`)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*COLLECTOR_THRESHOLDS)
    log.info(
        "collector: %d start-up objects frozen; thresholds %s",
        gc.get_freeze_count(),
        "/".join(map(str, COLLECTOR_THRESHOLDS)),
    )
