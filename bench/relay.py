"""The relay under load: connections held, command round trips, and a bare forwarder.

Prints figures; not a test. Everything runs in separate processes on loopback: the relay
(`reciprocity serve`'s own code), a baseline forwarder, and load clients that play real games.

1. Connections held: rooms are opened (a create, a join and an admission each) and held; the
   relay's RSS before and after, over the connections, is the memory each one costs.
2. Command round trips under load: rooms play their games at a fixed total rate of commands;
   a round trip runs from sending a command to its ack (in the sender's new view), and on to
   both seats' new views.
3. Throughput at saturation: rooms send each command as soon as the last one's views are in.
   The baseline, measured in the same run, is a bare websockets server that forwards each
   message to the other connection of its pair, with the same clients ping-ponging. A second
   server, the floor, sends each message to both connections of its pair (one frame in, two
   out, as a command costs the relay): what a relay whose core cost nothing could reach.

    uv run python bench/relay.py [--quick] [--connections 10000] [--rooms 2000]
        [--rate 1000] [--duration 30] [--flood-rooms 200] [--clients 2] [--profile FILE]
        [--figures 123]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import gc
import itertools
import json
import os
import platform
import pstats
import random
import resource
import signal
import socket
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from types import FrameType
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.asyncio.server import ServerConnection, serve
from websockets.http11 import Request, Response

from reciprocity.net.dialing import ask_number, room_url
from reciprocity.protocol import PROTOCOL_VERSION

#: The deck every room plays.
DECK = "first-steps"
#: Hellos and connections opened at once by one load client.
OPENING = 64
#: A reply slower than this means the run has gone wrong.
TIMEOUT = 60.0
#: What the forwarder's clients send: a command message's size and shape.
PING = '{"type":"command","id":"c12345","command":{"type":"set_limit","limit":3,"lines":[]}}'

Json = dict[str, Any]
Move = tuple[str, Json]


# --- the load client: playing a room through the relay ------------------------------------


def next_move(view: Json, pauses: set[int]) -> Move | None:
    """The next legal command for a room, by seat, from a view; None once the game is over.

    Turns mostly land well; every fourth one stings and is repaired and forgiven, and every
    fifth starts with a pause (`pauses` holds the turns already paused at).
    """
    phase, sharer = view["phase"], view["sharer"]
    listener = "b" if sharer == "a" else "a"
    if view["paused"]:
        seat = next(s for s in ("a", "b") if s not in view["ready"])
        return seat, {"type": "ready"}
    match phase:
        case "setup":
            for seat in ("a", "b"):
                if not view[seat]["limit_set"]:
                    return seat, {"type": "set_limit", "limit": len(view["level_names"])}
            for seat in ("a", "b"):
                if not view[seat]["checked_in"]:
                    return seat, {"type": "check_in", "score": 4}
        case "draw":
            turns = view["turns"]
            if turns % 5 == 4 and turns not in pauses:
                pauses.add(turns)
                return listener, {"type": "pause"}
            drawable = view["drawable"]
            if not drawable:
                return sharer, {"type": "end"}
            if view["level"] in drawable:
                return sharer, {"type": "draw"}
            return sharer, {"type": "draw", "level": drawable[0]}
        case "share":
            return sharer, {"type": "share"}
        case "respond":
            return listener, {"type": "respond"}
        case "land":
            if view["turns"] % 4 == 3:
                return sharer, {"type": "mark_stung"}
            return sharer, {"type": "mark_supported", "felt": ["understood"]}
        case "name_hurt":
            return sharer, {"type": "name_hurt"}
        case "repair":
            return listener, {"type": "repair"}
        case "forgive":
            return sharer, {"type": "forgive"}
        case "closing":
            for seat in ("a", "b"):
                if view["checkin"] and not view[seat]["checked_out"]:
                    return seat, {"type": "check_in", "score": 5}
    return None


class CommandFailed(Exception):
    """The relay answered a command with an error, or closed the connection."""


class Table:
    """One room as a load client plays it: both seats' connections and the latest view."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.ws: dict[str, ClientConnection] = {}
        self.seqs = {"a": 0, "b": 0}
        self.view: Json = {}
        self.pauses: set[int] = set()
        self.ids = itertools.count(1)
        self.readers: list[asyncio.Task[None]] = []
        self._ack: asyncio.Future[int] | None = None
        self._views: asyncio.Future[None] | None = None
        self._want = 0

    async def open(self) -> None:
        """Seat A creates the room and seat B joins it by number; A's screen admits B (with a
        stand-in key exchange: the relay only forwards it). Both have their views."""
        number = await ask_number(self.url, TIMEOUT)  # the room's address, for a proxy
        where = room_url(self.url, number) if number is not None else self.url
        a = await _connect(where)
        await a.send(_hello(create={"deck": DECK, "name": "Sam", "checkin": True}))
        welcome = json.loads(await a.recv())
        if welcome["type"] != "welcome":
            raise CommandFailed(f"create refused: {welcome}")
        seated = json.loads(await a.recv())  # the view, seq 1
        b = await _connect(where)
        await b.send(_hello(join={"number": welcome["number"], "name": "Ben"}))
        if json.loads(await b.recv())["type"] != "welcome":
            raise CommandFailed("join refused")
        pake = f"pake-{welcome['number']}"
        await b.send(json.dumps({"type": "key", "step": "pake", "payload": pake}))
        await a.recv()  # the partner's key
        admit = {"type": "code_checked", "matched": True, "pake": pake, "proof": "stand-in"}
        await a.send(json.dumps(admit))
        await b.recv()  # the seated screen's proof
        self.view = json.loads(await b.recv())
        showing_ben = json.loads(await a.recv())  # what changed: Ben is in
        seated = {**seated, **showing_ben["changes"], "seq": showing_ben["seq"]}
        self.ws = {"a": a, "b": b}
        self.seqs = {"a": self.view["seq"], "b": self.view["seq"]}
        self.pauses = set()
        views = {"a": seated, "b": self.view}
        self.readers = [asyncio.create_task(self._read(seat, views[seat])) for seat in views]

    async def close(self) -> None:
        """Close both connections."""
        for task in self.readers:
            task.cancel()
        await asyncio.gather(*(ws.close() for ws in self.ws.values()), return_exceptions=True)

    async def play(self) -> tuple[float, float]:
        """Send the next command and wait for its ack and both views: the two round trips.

        A finished game is left and a new room opened in its place first.
        """
        move = next_move(self.view, self.pauses)
        if move is None:
            await self.close()
            await self.open()
            move = next_move(self.view, self.pauses)
            assert move is not None
        seat, command = move
        loop = asyncio.get_running_loop()
        self._ack, self._views = loop.create_future(), loop.create_future()
        self._want = 0  # until the ack says which seq the views must reach
        command_id = f"c{next(self.ids)}"
        frame = json.dumps({"type": "command", "id": command_id, "command": command})
        began = time.perf_counter()
        await self.ws[seat].send(frame)
        self._want = await asyncio.wait_for(self._ack, TIMEOUT)
        acked = time.perf_counter()
        self._check_views()
        await asyncio.wait_for(self._views, TIMEOUT)
        return acked - began, time.perf_counter() - began

    async def _read(self, seat: str, view: Json) -> None:
        """Follow a seat's view: whole views, and deltas applied to the last one; a delta
        may carry the ack of this seat's command."""
        try:
            async for frame in self.ws[seat]:
                message = json.loads(frame)
                kind = message["type"]
                if kind == "delta":
                    if message["since"] != view["seq"]:
                        raise CommandFailed(f"a gap: {message['since']} after {view['seq']}")
                    view = {**view, **message["changes"], "seq": message["seq"]}
                    if message["ack"] is not None and self._ack and not self._ack.done():
                        self._ack.set_result(message["seq"])
                elif kind == "view":
                    view = message
                elif kind == "ack" and self._ack is not None and not self._ack.done():
                    self._ack.set_result(message["seq"])
                elif kind == "error":
                    self._fail(CommandFailed(f"{message['code']}: {message['message']}"))
                if kind in ("view", "delta") and view["seq"] > self.seqs[seat]:
                    self.seqs[seat] = view["seq"]
                    if view["seq"] >= self.view["seq"]:
                        self.view = view
                    self._check_views()
        except Exception as error:
            self._fail(CommandFailed(f"connection lost: {error!r}"))
        else:
            self._fail(CommandFailed("connection closed by the relay"))

    def _check_views(self) -> None:
        done = self._want and min(self.seqs.values()) >= self._want
        if done and self._views is not None and not self._views.done():
            self._views.set_result(None)

    def _fail(self, error: CommandFailed) -> None:
        for future in (self._ack, self._views):
            if future is not None and not future.done():
                future.set_exception(error)


def _hello(**part: Json) -> str:
    return json.dumps({"type": "hello", "version": PROTOCOL_VERSION, **part})


async def _connect(url: str) -> ClientConnection:
    return await connect(url, compression=None, open_timeout=TIMEOUT, ping_interval=None)


@dataclass
class Played:
    """What one load client measured while playing."""

    acks: list[float] = field(default_factory=list)
    views: list[float] = field(default_factory=list)
    late: int = 0
    errors: list[str] = field(default_factory=list)


async def _pace(tables: list[Table], rate: float, seconds: float) -> Played:
    """Each room sends a command every `len(tables) / rate` seconds, from a random start."""
    played = Played()
    interval = len(tables) / rate
    start = time.perf_counter()

    async def room(table: Table) -> None:
        due = start + random.uniform(0, interval)
        while due < start + seconds:
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            await _one(table, played)
            due += interval
            if time.perf_counter() > due:
                played.late += 1

    await asyncio.gather(*(room(table) for table in tables))
    return played


async def _flood(tables: list[Table], seconds: float) -> Played:
    """Each room sends its next command as soon as the last one's views are in."""
    played = Played()
    end = time.perf_counter() + seconds

    async def room(table: Table) -> None:
        while time.perf_counter() < end:
            await _one(table, played)

    await asyncio.gather(*(room(table) for table in tables))
    return played


async def _one(table: Table, played: Played) -> None:
    try:
        ack, views = await table.play()
    except (CommandFailed, TimeoutError) as error:
        played.errors.append(str(error)[:200])
        if len(played.errors) > 100:
            raise
        await table.close()
        await table.open()
    else:
        played.acks.append(ack)
        played.views.append(views)


# --- the load client: pairs ping-ponging through the forwarder -----------------------------


async def _pingpong(
    pairs: list[tuple[ClientConnection, ClientConnection]], seconds: float, both: bool
) -> int:
    """Each pair bounces a message back and forth through the forwarder (`both`: the floor,
    which sends it back to its sender too); how many arrived at the other end."""
    arrived = 0
    end = time.perf_counter() + seconds

    async def pair(one: ClientConnection, two: ClientConnection) -> None:
        nonlocal arrived
        while time.perf_counter() < end:
            await one.send(PING)
            await asyncio.wait_for(two.recv(), TIMEOUT)
            if both:
                await asyncio.wait_for(one.recv(), TIMEOUT)
            arrived += 1
            one, two = two, one

    await asyncio.gather(*(pair(one, two) for one, two in pairs))
    return arrived


async def _open_pairs(url: str, count: int, first: int) -> list[tuple[ClientConnection, ...]]:
    gate = asyncio.Semaphore(OPENING)

    async def pair(number: int) -> tuple[ClientConnection, ...]:
        async with gate:
            path = f"{url}/pair/{number}"
            return (await _connect(path), await _connect(path))

    return list(await asyncio.gather(*(pair(first + n) for n in range(count))))


# --- the load client process ---------------------------------------------------------------


async def load_client(job: Json) -> None:
    """One load client: open its rooms (or pairs), say so, then run when told and report.

    It talks to the bench over its stdin and stdout, one JSON line at a time.
    """
    reader = asyncio.StreamReader()
    loop = asyncio.get_running_loop()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)

    def say(message: Json) -> None:
        print(json.dumps(message), flush=True)

    if job["kind"] == "pairs":
        pairs = await _open_pairs(job["url"], job["count"], job["first"])
        _no_collections()
        say({"ready": len(pairs)})
        await reader.readline()
        both = job.get("both", False)
        arrived = await _pingpong([(a, b) for a, b in pairs], job["seconds"], both)
        say({"arrived": arrived})
        await reader.readline()
        return
    gate = asyncio.Semaphore(OPENING)
    tables = [Table(job["url"]) for _ in range(job["count"])]

    async def opened(table: Table) -> None:
        async with gate:
            await table.open()

    await asyncio.gather(*(opened(table) for table in tables))
    _no_collections()
    say({"ready": len(tables)})
    await reader.readline()
    if job["kind"] == "hold":
        say({"held": len(tables)})
    else:
        if job["kind"] == "pace":
            played = await _pace(tables, job["rate"], job["seconds"])
        else:
            played = await _flood(tables, job["seconds"])
        say(
            {
                "acks": played.acks,
                "views": played.views,
                "late": played.late,
                "errors": played.errors,
            }
        )
    await reader.readline()
    await asyncio.gather(*(table.close() for table in tables))


def _no_collections() -> None:
    """A load client collects no garbage while it measures: its own collector's pauses (a
    full collection over its thousands of connections took 70 to 156 ms, every few seconds)
    would be counted as the relay's round trips."""
    gc.collect()
    gc.freeze()
    gc.disable()


# --- the baseline: a bare forwarder --------------------------------------------------------


async def forwarder(port: int, both: bool = False) -> None:
    """A websockets server that forwards each message to the other connection of its pair
    (`both`: the floor, to both connections, the sender's first, as the relay sends its ack).

    Two connections to the same path make a pair. It does nothing else.
    """
    waiting: dict[str, ServerConnection] = {}
    partner: dict[ServerConnection, ServerConnection] = {}

    async def handle(ws: ServerConnection) -> None:
        path = ws.request.path if ws.request else ""
        other = waiting.pop(path, None)
        if other is None:
            waiting[path] = ws
        else:
            partner[ws], partner[other] = other, ws
        async for message in ws:
            if both:
                await ws.send(message)
            await partner[ws].send(message)

    def health(ws: ServerConnection, request: Request) -> Response | None:
        """`GET /healthz`, as a relay answers it, for a proxy in front (`bench/scale.py`)."""
        return ws.respond(HTTPStatus.OK, "ok\n") if request.path == "/healthz" else None

    async with serve(handle, "127.0.0.1", port, compression=None, process_request=health):
        await asyncio.Future()


# --- the relay process ---------------------------------------------------------------------


def relay(port: int, db: str, profile: str | None) -> int:
    """Run the relay as `reciprocity serve` does, optionally under cProfile in every thread."""
    from reciprocity.cli.parser import build_parser
    from reciprocity.cli.serve import serve_command

    # Every load client is on this machine: one address makes all the rooms. The command
    # line's own parser fills in every other option, as `reciprocity serve` has it.
    unlimited = ["--creates-per-address", "--connections-per-address", "--commands-per-second"]
    options = [part for option in unlimited for part in (option, "1000000")]
    args = build_parser().parse_args(
        ["serve", "--host", "127.0.0.1", "--port", str(port), "--db", db, *options]
    )
    if profile is None:
        return serve_command(args)
    profiles = [cProfile.Profile()]

    def profile_thread(frame: FrameType, event: str, arg: object) -> None:
        """The first call in a new thread (the relay's worker) starts a profile of it."""
        profiles.append(cProfile.Profile())
        profiles[-1].enable()

    threading.setprofile(profile_thread)
    profiles[0].enable()
    try:
        return serve_command(args)
    finally:
        for each in profiles:
            each.disable()
        stats = pstats.Stats(profiles[0])
        for each in profiles[1:]:
            stats.add(each)
        stats.dump_stats(profile)


# --- the bench -----------------------------------------------------------------------------


@dataclass
class Process:
    """A process the bench started, with its CPU time read from /proc."""

    name: str
    proc: asyncio.subprocess.Process

    @property
    def pid(self) -> int:
        """Its process id."""
        return self.proc.pid

    def cpu(self) -> float:
        """User and system CPU seconds so far."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss(self) -> int:
        """Resident memory in bytes, from /proc/PID/status."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise RuntimeError(f"no VmRSS for {self.name}")

    async def line(self) -> Json:
        """The next JSON line it printed."""
        assert self.proc.stdout is not None
        raw = await asyncio.wait_for(self.proc.stdout.readline(), 600)
        if not raw:
            raise RuntimeError(f"{self.name} exited early ({await self.proc.wait()})")
        result: Json = json.loads(raw)
        return result

    def tell(self) -> None:
        """Tell it to go on to its next step."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"go\n")

    async def stop(self) -> None:
        """Ask it to stop (SIGTERM) and wait; ask again if a busy process has not yet stopped."""
        for _ in range(60):
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(signal.SIGTERM)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.proc.wait(), 2)
                return
        self.proc.kill()
        await self.proc.wait()


class Bench:
    """The bench's processes and temporary folder."""

    def __init__(self, folder: Path, clients: int) -> None:
        self.folder = folder
        self.clients = clients
        self.env = os.environ | {"RECIPROCITY_DATA_DIR": str(folder / "data")}

    async def start(self, name: str, *args: str, stdin: bool = False) -> Process:
        """Start this script again in another role."""
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            __file__,
            *args,
            stdin=asyncio.subprocess.PIPE if stdin else asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=(self.folder / f"{name}.log").open("ab"),
            env=self.env,
            limit=2**28,
        )
        return Process(name, proc)

    async def start_relay(self, profile: str | None = None) -> tuple[Process, str]:
        """A relay on a fresh database, once it answers; returns it and its URL."""
        port = _free_port()
        db = self.folder / f"relay-{port}.sqlite3"
        extra = ["--profile", profile] if profile else []
        process = await self.start(
            "relay", "--role", "relay", "--port", str(port), "--db", str(db), *extra
        )
        await _wait_listening(port)
        return process, f"ws://127.0.0.1:{port}"

    async def start_forwarder(self, both: bool = False) -> tuple[Process, str]:
        """The forwarder (`both`: the floor), once it answers; returns it and its URL."""
        port = _free_port()
        role = "floor" if both else "forwarder"
        process = await self.start(role, "--role", role, "--port", str(port))
        await _wait_listening(port)
        return process, f"ws://127.0.0.1:{port}"

    async def load(self, job: Json, count: int) -> list[Process]:
        """Start the load clients, each with a share of `count` rooms or pairs; wait till ready."""
        rate = job.get("rate", 0.0)
        shares = [count // self.clients + (n < count % self.clients) for n in range(self.clients)]
        first = itertools.accumulate(shares, initial=0)
        clients = [
            await self.start(
                f"load-{n}",
                "--role",
                "load",
                "--job",
                json.dumps(job | {"count": share, "first": start, "rate": rate * share / count}),
                stdin=True,
            )
            for n, (share, start) in enumerate(zip(shares, first, strict=False))
            if share
        ]
        for client in clients:
            await client.line()
        return clients

    async def step(self, clients: list[Process]) -> list[Json]:
        """Tell every load client to go on, and gather what each says next."""
        for client in clients:
            client.tell()
        return [await client.line() for client in clients]

    async def finish(self, clients: list[Process]) -> None:
        """Tell every load client to close its connections, and wait till they have exited."""
        for client in clients:
            client.tell()
        for client in clients:
            await asyncio.wait_for(client.proc.wait(), 300)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def _wait_listening(port: int) -> None:
    for _ in range(300):
        with contextlib.suppress(OSError):
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        await asyncio.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port}")


async def _measured(
    processes: list[Process], run: Callable[[], Awaitable[list[Json]]]
) -> tuple[list[Json], float, dict[str, float]]:
    """Run a step; return what it said, its wall time, and each process's share of a core."""
    cpu = {p.name: p.cpu() for p in processes}
    began = time.perf_counter()
    said = await run()
    wall = time.perf_counter() - began
    return said, wall, {p.name: (p.cpu() - cpu[p.name]) / wall for p in processes}


def _cpu_line(shares: dict[str, float]) -> str:
    load = sum(v for k, v in shares.items() if k.startswith("load"))
    others = [f"{k} {v:.0%}" for k, v in shares.items() if not k.startswith("load")]
    return f"CPU (of one core): {', '.join(others)}, load clients {load:.0%} in all"


def _ms(seconds: list[float], q: float) -> float:
    if len(seconds) < 2:
        return seconds[0] * 1000 if seconds else float("nan")
    return statistics.quantiles(seconds, n=1000, method="inclusive")[round(q * 1000) - 1] * 1000


async def connections_held(bench: Bench, connections: int) -> None:
    """Figure 1: the relay's memory for each connection held open."""
    relay_process, url = await bench.start_relay()
    await asyncio.sleep(1.0)
    before = relay_process.rss()
    began = time.perf_counter()
    clients = await bench.load({"kind": "hold", "url": url}, connections // 2)
    opened = time.perf_counter() - began
    await bench.step(clients)
    await asyncio.sleep(1.0)
    after = relay_process.rss()
    await bench.finish(clients)
    await relay_process.stop()
    held = connections // 2 * 2
    per = (after - before) / held
    print(f"\n1. Connections held: {held:,} connections in {held // 2:,} rooms")
    print(f"   opened (create, join, admit) in {opened:.1f} s")
    print(f"   relay RSS       before {before / 2**20:7.1f} MiB   after {after / 2**20:7.1f} MiB")
    print(f"   per connection  {per / 1024:7.1f} KiB   target: at most 24 KiB")


async def round_trips(bench: Bench, rooms: int, rate: float, seconds: float) -> None:
    """Figure 2: command round trips at a fixed total rate."""
    relay_process, url = await bench.start_relay()
    clients = await bench.load(
        {"kind": "pace", "url": url, "rate": rate, "seconds": seconds}, rooms
    )
    said, wall, cpu = await _measured([relay_process, *clients], lambda: bench.step(clients))
    await bench.finish(clients)
    await relay_process.stop()
    acks = [x for each in said for x in each["acks"]]
    views = [x for each in said for x in each["views"]]
    errors = [x for each in said for x in each["errors"]]
    late = sum(each["late"] for each in said)
    print(
        f"\n2. Command round trips: {rooms:,} rooms, {rate:,.0f} commands a second, {seconds:.0f} s"
    )
    print(f"   commands        {len(acks):,} ({len(acks) / wall:,.0f} a second)")
    print(f"   errors          {len(errors)}; commands sent behind their schedule: {late}")
    print(
        f"   to the ack      p50 {_ms(acks, 0.5):6.1f} ms   p99 {_ms(acks, 0.99):6.1f} ms"
        f"   max {max(acks) * 1000:6.1f} ms   target: p99 at most 15 ms"
    )
    print(
        f"   to both views   p50 {_ms(views, 0.5):6.1f} ms   p99 {_ms(views, 0.99):6.1f} ms"
        f"   max {max(views) * 1000:6.1f} ms"
    )
    print(f"   {_cpu_line(cpu)}")
    for error in errors[:3]:
        print(f"   error: {error}")


async def saturation(bench: Bench, rooms: int, seconds: float, profile: str | None) -> None:
    """Figure 3: game commands a second at saturation, against the forwarder's messages."""
    relay_process, url = await bench.start_relay(profile)
    clients = await bench.load({"kind": "flood", "url": url, "seconds": seconds}, rooms)
    said, wall, relay_cpu = await _measured([relay_process, *clients], lambda: bench.step(clients))
    await bench.finish(clients)
    await relay_process.stop()
    commands = sum(len(each["acks"]) for each in said)
    errors = [x for each in said for x in each["errors"]]
    relay_rate = commands / wall

    forward_process, url = await bench.start_forwarder()
    clients = await bench.load({"kind": "pairs", "url": url, "seconds": seconds}, rooms)
    said, wall, forward_cpu = await _measured(
        [forward_process, *clients], lambda: bench.step(clients)
    )
    await bench.finish(clients)
    await forward_process.stop()
    forward_rate = sum(each["arrived"] for each in said) / wall

    floor_process, url = await bench.start_forwarder(both=True)
    job = {"kind": "pairs", "url": url, "seconds": seconds, "both": True}
    clients = await bench.load(job, rooms)
    said, wall, floor_cpu = await _measured([floor_process, *clients], lambda: bench.step(clients))
    await bench.finish(clients)
    await floor_process.stop()
    floor_rate = sum(each["arrived"] for each in said) / wall

    print(f"\n3. Throughput at saturation: {rooms:,} rooms (or pairs), {seconds:.0f} s")
    print("   each room (pair) has one command (message) in flight at a time")
    print(f"   relay           {relay_rate:8,.0f} game commands a second (errors {len(errors)})")
    print("                   each: 1 command in; 2 views out (what changed; the ack in one)")
    print(f"   {_cpu_line(relay_cpu)}")
    print(f"   forwarder       {forward_rate:8,.0f} messages a second")
    print(f"   {_cpu_line(forward_cpu)}")
    print(f"   floor           {floor_rate:8,.0f} messages a second, each sent to both ends")
    print(f"   {_cpu_line(floor_cpu)}")
    print(f"   ratio           {relay_rate / forward_rate:8.2f}   target: at least 0.5")
    print(f"   floor's ratio   {floor_rate / forward_rate:8.2f}   (a core that cost nothing)")
    # On a shared machine neither server may get a whole core: per CPU second of its own, the
    # servers are compared by the work each did, whatever the machine's other load.
    relay_work = relay_rate / max(relay_cpu["relay"], 1e-9)
    forward_work = forward_rate / max(forward_cpu["forwarder"], 1e-9)
    floor_work = floor_rate / max(floor_cpu["floor"], 1e-9)
    print(
        f"   per CPU second  relay {relay_work:,.0f} commands, forwarder {forward_work:,.0f}"
        f" messages: {relay_work / forward_work:.2f}; the floor {floor_work:,.0f} messages:"
        f" {floor_work / forward_work:.2f}"
    )
    print(
        f"   CPU a message   relay {1e6 / relay_work:,.0f} µs, forwarder"
        f" {1e6 / forward_work:,.0f} µs, floor {1e6 / floor_work:,.0f} µs"
    )
    for error in errors[:3]:
        print(f"   error: {error}")
    if profile:
        print(f"   relay profile (cProfile, every thread) in {profile}")


def _raise_open_files() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


async def run(args: argparse.Namespace) -> None:
    """The whole bench, one figure after another."""
    files = _raise_open_files()
    system = f"{platform.system()} {platform.release()}"
    print(f"machine          {os.cpu_count()} cores, {system}, Python {platform.python_version()}")
    print(f"load average     {', '.join(f'{x:.2f}' for x in os.getloadavg())} (1, 5, 15 min)")
    print(f"open files       up to {files:,} a process; load clients: {args.clients}")
    with tempfile.TemporaryDirectory(prefix="reciprocity-bench-") as folder:
        bench = Bench(Path(folder), args.clients)
        if "1" in args.figures:
            await connections_held(bench, args.connections)
        if "2" in args.figures:
            await round_trips(bench, args.rooms, args.rate, args.duration)
        if "3" in args.figures:
            await saturation(bench, args.flood_rooms, args.duration, args.profile)
        drops = (Path(folder) / "relay.log").read_text().count("behind: dropping")
        print(f"\nslow clients the relay dropped: {drops}")


def main() -> None:
    """Run the bench, or one of its processes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--connections", type=int, default=10_000, help="connections held (default 10000)"
    )
    parser.add_argument(
        "--rooms", type=int, default=2_000, help="rooms playing at the fixed rate (default 2000)"
    )
    parser.add_argument(
        "--rate", type=float, default=1_000.0, help="game commands a second in all (default 1000)"
    )
    parser.add_argument(
        "--duration", type=float, default=30.0, help="seconds each load runs (default 30)"
    )
    parser.add_argument(
        "--flood-rooms",
        type=int,
        default=200,
        help="rooms (and forwarder pairs) at saturation (default 200)",
    )
    parser.add_argument("--clients", type=int, default=2, help="load client processes (default 2)")
    parser.add_argument(
        "--quick", action="store_true", help="small numbers, to try it in about 30 s"
    )
    parser.add_argument(
        "--profile", metavar="FILE", help="profile the relay at saturation (cProfile)"
    )
    parser.add_argument(
        "--figures", default="123", help="which figures to measure, such as 3 (default 123)"
    )
    parser.add_argument(
        "--role", choices=["relay", "forwarder", "floor", "load"], help=argparse.SUPPRESS
    )
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--job", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.role is not None:
        _raise_open_files()
    if args.role == "relay":
        sys.exit(relay(args.port, args.db, args.profile))
    if args.role in ("forwarder", "floor"):
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(forwarder(args.port, both=args.role == "floor"))
        return
    if args.role == "load":
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        asyncio.run(load_client(json.loads(args.job)))
        return
    if args.quick:
        args.connections, args.rooms, args.rate = 1_000, 200, 200.0
        args.duration, args.flood_rooms = 5.0, 50
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
