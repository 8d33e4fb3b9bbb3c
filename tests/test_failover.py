"""Beyond one machine, end to end: PostgreSQL, Caddy (`server/reciprocity_server/Caddyfile.relays`,
`lb_policy uri_hash`) and three `reciprocity serve` processes on loopback. Ten games play
through the proxy; the relay holding the most rooms is killed with SIGKILL mid-game, and its
players resume on the others; a second relay is paused with SIGSTOP, its rooms move, and once
woken it cannot commit. Every game finishes, and every log has no gap and no double."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from postgres_cluster import Cluster
from relay_client import Client, act, start, turn
from test_relay_process import free_port
from websockets.exceptions import ConnectionClosed

from reciprocity.net.dialing import ask_number, room_url
from reciprocity.protocol import Ack
from reciprocity.seat_view import SeatView

pytestmark = pytest.mark.timeout(240)

GAMES = 10
DECK = "first-steps"
CADDYFILE = Path(__file__).parent.parent / "server" / "reciprocity_server" / "Caddyfile.relays"
CADDY = Path(sys.executable).with_name("caddy")


class Process:
    """A process the test started, logging to a file."""

    def __init__(self, command: list[str], log: Path, env: dict[str, str] | None = None) -> None:
        self.log = log
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=log.open("w"),
            env=os.environ | (env or {}),
        )

    def text(self) -> str:
        return self.log.read_text()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.kill()
            self.process.wait()


class Relay(Process):
    """A `reciprocity serve` on loopback, on the shared database."""

    def __init__(self, db: str, log: Path) -> None:
        self.port = free_port()
        many = ["--creates-per-address", "1000", "--connections-per-address", "1000"]
        serve = [sys.executable, "-m", "reciprocity", "serve", "--port", str(self.port)]
        super().__init__([*serve, "--db", db, *many], log)

    def rooms(self) -> set[int]:
        """The rooms it made or took over, from its log."""
        found = re.findall(r"room (\d+): (?:created|taken over)", self.text())
        return {int(number) for number in found}


async def healthy(port: int, process: Process) -> None:
    """Wait until `GET /healthz` on the port answers 200."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.process.poll() is None, process.text()
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
            status = await reader.readline()
            writer.close()
            if status.startswith(b"HTTP/1.1 200"):
                return
        except OSError:
            pass
        await asyncio.sleep(0.1)
    pytest.fail(f"nothing healthy on port {port}:\n{process.text()}")


@dataclass
class Game:
    number: int
    sam: Client
    ben: Client

    def sharer(self) -> tuple[Client, Client]:
        """The sharer and the listener, as the latest view says."""
        view = self.sam.seat_view
        return (self.sam, self.ben) if view.sharer == "a" else (self.ben, self.sam)


async def open_game(url: str) -> Game:
    """A host asks the proxy for a number, makes its room there, and its partner joins."""
    number = await ask_number(url, 5)
    assert number is not None
    sam = await Client.open(room_url(url, number))
    await sam.hello(create={"deck": DECK, "name": "Sam", "checkin": False})
    ben = await Client.open(room_url(url, number))
    await ben.hello(join={"number": number, "name": "Ben"})
    await sam.admit(ben)
    return Game(number, sam, ben)


async def resume(url: str, game: Game) -> None:
    """Both players dial their room again through the proxy, as a client does after a drop,
    until a relay takes them back."""
    old = (game.sam, game.ben)
    again: list[Client] = []
    for client in old:
        assert client.welcome is not None and client.view is not None
        resume = {"token": client.welcome.token, "last_seq": client.view.seq}
        deadline = time.monotonic() + 30
        while True:
            try:
                fresh = await Client.open(room_url(url, game.number))
                await fresh.hello(resume=resume)
                break
            except Exception:
                assert time.monotonic() < deadline, "the room did not come back"
                await asyncio.sleep(0.2)
        again.append(fresh)
    await again[0].expect(SeatView)  # the partner is back too
    game.sam, game.ben = again


def logged(db: str) -> dict[int, tuple[list[int], bool]]:
    """Each room's event numbers, as PostgreSQL keeps them, and whether its game finished."""
    with psycopg.connect(db) as records:
        rows = records.execute(
            "SELECT r.number, g.finished_at IS NOT NULL,"
            " array(SELECT seq FROM events e WHERE e.game_id = g.id ORDER BY seq)"
            " FROM relay_rooms r JOIN games g ON g.id = r.game_id"
        ).fetchall()
    return {number: (list(seqs), finished) for number, finished, seqs in rows}


async def test_ten_games_live_through_a_killed_relay_and_a_paused_one(
    postgres: Cluster, tmp_path: Path
) -> None:
    db = postgres.fresh()
    relays = [Relay(db, tmp_path / f"relay-{n}.log") for n in range(3)]
    caddy: Process | None = None
    try:
        for relay in relays:
            await healthy(relay.port, relay)
        port = free_port()
        env = {
            "RELAYS": " ".join(f"127.0.0.1:{relay.port}" for relay in relays),
            "PORT": str(port),
            "BIND": "127.0.0.1",
            "XDG_DATA_HOME": str(tmp_path / "caddy"),
            "XDG_CONFIG_HOME": str(tmp_path / "caddy"),
        }
        caddy_run = [str(CADDY), "run", "--config", str(CADDYFILE), "--adapter", "caddyfile"]
        caddy = Process(caddy_run, tmp_path / "caddy.log", env)
        await healthy(port, caddy)
        url = f"ws://127.0.0.1:{port}"

        # Room numbers are random, so ten rooms miss one of three relays about once in 20
        # runs: open more until each relay holds one.
        games: list[Game] = []
        while len(games) < GAMES or not all(relay.rooms() for relay in relays):
            assert len(games) < 3 * GAMES, "uri_hash sends no room to one of the relays"
            game = await open_game(url)
            await start(game.sam, game.ben)
            await turn(game.sam, game.ben, {"type": "mark_supported"})
            games.append(game)
        assert sum(len(relay.rooms()) for relay in relays) == len(games)

        # SIGKILL the relay with the most rooms, mid-game: its players resume on the others.
        killed = max(relays, key=lambda relay: len(relay.rooms()))
        killed.process.kill()
        killed.process.wait()
        moved = [game for game in games if game.number in killed.rooms()]
        for game in moved:
            with pytest.raises(ConnectionClosed):
                await game.sam.recv()
            await resume(url, game)
        for game in games:  # every game goes on, wherever it is now
            await turn(*game.sharer(), {"type": "mark_supported"})
        alive = [relay for relay in relays if relay is not killed]
        assert {game.number for game in moved} <= alive[0].rooms() | alive[1].rooms()

        # SIGSTOP another: its players move on, and once woken it cannot commit.
        paused = max(alive, key=lambda relay: len(relay.rooms()))
        stuck = [game for game in games if game.number in paused.rooms()]
        assert stuck
        paused.process.send_signal(signal.SIGSTOP)
        late = stuck[0]
        actor, _ = late.sharer()
        await actor.send({"type": "command", "id": "while-paused", "command": {"type": "draw"}})
        for game in stuck:
            await resume(url, game)
            await act(*game.sharer(), {"type": "draw"})
        paused.process.send_signal(signal.SIGCONT)
        deadline = time.monotonic() + 20
        while "another relay" not in paused.text():
            assert time.monotonic() < deadline, paused.text()
            await asyncio.sleep(0.1)
        with pytest.raises(ConnectionClosed):
            while True:  # the old connection hears no ack of its command, only an end
                message = await actor.recv()
                assert not isinstance(message, Ack), message
        assert actor.ws.close_code in (1011, 1012)  # could not save; or the room moved

        for game in games:  # and every game finishes
            sharer, listener = game.sharer()
            if game.sam.seat_view.phase == "share":
                await act(sharer, listener, {"type": "share"})
                await act(listener, sharer, {"type": "respond"})
                await act(sharer, listener, {"type": "mark_supported"})
            view = await act(game.sam, game.ben, {"type": "end"})
            assert view.phase == "finished"

        kept = logged(db)
        assert sorted(kept) == sorted(game.number for game in games)
        for game in games:
            seqs, finished = kept[game.number]
            assert finished
            assert seqs == list(range(1, game.sam.seat_view.seq + 1))  # no gap, no double
        assert "Traceback" not in "".join(relay.text() for relay in relays)
    finally:
        for process in [*relays, *([caddy] if caddy else [])]:
            process.stop()
