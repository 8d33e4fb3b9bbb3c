"""The relay's shell: a websockets server around the sans-I/O core in `relay.py`.

- It reads the deck files (`decks.DeckShelf`) and hands the core a lookup by id.
- Every call into the core (and so every SQLite write) runs on the event loop, in the order
  the frames arrived. A command costs the core a fraction of a millisecond, most of it the
  commit; a worker thread would only add a hand-off per frame and GIL contention.
- Each connection has its own outbox and sender task (`sending.py`), so a slow client never
  holds up another. A client that has stopped reading is dropped, and may resume.
- `GET /healthz` answers 200 over plain HTTP. Closing the server closes every connection
  with 1001 (going away).
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
from reciprocity_server.decks import DeckShelf
from reciprocity_server.limits import counted
from reciprocity_server.outputs import CLOSE_POLICY, Close, Output
from reciprocity_server.quotas import DEFAULT_QUOTAS, Quotas
from reciprocity_server.records import RelayStore
from reciprocity_server.relay import Relay
from reciprocity_server.sending import Outbox

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
#: A connection that has not said a well-formed hello this long after opening is closed; so
#: is one whose WebSocket handshake takes longer.
HELLO_SECONDS = 5.0
TOO_MANY = "too many connections from your address"
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

    def __init__(self, relay: Relay, db_lock: int | None = None) -> None:
        self._relay = relay
        self._db_lock = db_lock
        self._peers: dict[int, Outbox] = {}
        self._per_address: Counter[str] = Counter()
        self._ids = itertools.count(1)
        self._server: Server | None = None
        self._sweeper: asyncio.Task[None] | None = None
        self._ticker: asyncio.Task[None] | None = None
        self._closed = False
        self.host = ""
        self.port = 0

    @property
    def url(self) -> str:
        """The relay's address for a client on this machine."""
        host = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(self.host, self.host)
        return f"ws://[{host}]:{self.port}" if ":" in host else f"ws://{host}:{self.port}"

    @property
    def db(self) -> Path:
        """The relay's database file."""
        return self._relay.store.path

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
        for task in (self._sweeper, self._ticker):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._sweeper = self._ticker = None
        if not self._closed:
            self._closed = True
            self._relay.store.close()
            if self._db_lock is not None:
                os.close(self._db_lock)

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
            process_request=_health,
            logger=wire_log,
            server_header=None,
            ssl=tls,
        )
        self.host, self.port = host, self._server.sockets[0].getsockname()[1]
        self._sweeper = asyncio.create_task(self._sweep())
        self._ticker = asyncio.create_task(self._tick())

    async def _handle(self, ws: ServerConnection) -> None:
        address = _address(ws)
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
            self._run(self._relay.connect, conn, address)
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
            try:
                self._run(self._relay.expire)
            except Exception as error:  # one bad sweep must not end the sweeping
                log.error("sweeping idle rooms failed (%s)", type(error).__name__)

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(TICK_SECONDS)
            try:
                self._run(self._relay.tick)
            except Exception as error:  # one bad tick must not stop the clock
                log.error("ticking the session's clock failed (%s)", type(error).__name__)

    def _run(self, call: Callable[..., list[Output] | None], *args: object) -> None:
        """Call the core, and queue what it returns to each connection, in the core's order."""
        for out in call(*args) or []:
            peer = self._peers.get(out.conn)
            if peer is None:
                continue
            if isinstance(out, Close):
                peer.put(out)
            else:
                row = out.message.number if isinstance(out.message, RoomStatus) else None
                peer.put(out.message.model_dump_json(), row)


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
) -> RelayServer:
    """Start a relay in this process and return it once it listens.

    `port=0` picks a free port (read it from `.port`). `db` is its SQLite file (default: the
    data folder's `relay.sqlite3`); live rooms in it come back, so clients can resume, unless
    `restore` is False: then rooms left in it are forgotten (their games stay in the records).
    `decks` are offered by id besides the shipped decks and the data folder's. With `tls`
    (see `tls_context`) it serves `wss://`. Raises `ListenError` (port in use) or
    `StoreError` (database) with one clear line.
    """
    path = Path(db) if db is not None else default_db()
    lock = _lock_db(path)  # before anything touches the records
    try:
        relay = _open(path, decks, idle_hours, restore, quotas)
    except BaseException:
        os.close(lock)
        raise
    server = RelayServer(relay, lock)
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
    log.info("relay listening on %s:%d (records in %s)", host, server.port, path)
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
    path: Path, decks: Mapping[str, Deck] | None, idle_hours: float, restore: bool, quotas: Quotas
) -> Relay:
    relay = Relay(RelayStore(path), DeckShelf(decks), idle_hours=idle_hours, quotas=quotas)
    if restore:
        relay.restore()
    else:
        relay.store.forget_rooms()
    relay.store.blank_abandoned()  # games whose rooms went while the relay was down
    return relay


def _health(connection: ServerConnection, request: Request) -> Response | None:
    """Answer `GET /healthz` with 200 over plain HTTP; anything else goes on to websockets."""
    if request.path == "/healthz":
        return connection.respond(HTTPStatus.OK, "ok\n")
    return None


def _address(ws: ServerConnection) -> str:
    """The client's address: the peer's, or the one a reverse proxy on this host forwards."""
    peer = str(ws.remote_address[0]) if ws.remote_address else "unknown"
    # Several headers are one list, in order: the last value is the proxy's own.
    values = ws.request.headers.get_all("X-Forwarded-For") if ws.request else []
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
