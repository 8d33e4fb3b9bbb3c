"""`reciprocity serve --workers N`: relays on one machine sharing PostgreSQL behind Caddy. A
game plays through it; the worker holding the room is killed mid-game; the players resume on
the other worker, the dead one is started again, and SIGTERM stops everything."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from postgres_cluster import Cluster
from relay_client import act, start, turn
from test_failover import healthy, open_game, resume
from test_relay_process import free_port
from websockets.exceptions import ConnectionClosed

pytestmark = pytest.mark.timeout(120)


class Serve:
    """`reciprocity serve` with its options, logging to a file."""

    def __init__(self, log: Path, *options: str) -> None:
        self.log = log
        self.process = subprocess.Popen(
            [sys.executable, "-m", "reciprocity", "serve", *options],
            stdout=subprocess.DEVNULL,
            stderr=log.open("w"),
            start_new_session=True,  # its workers and Caddy with it, to end them all at once
        )

    def text(self) -> str:
        return self.log.read_text()


def started(log: str) -> list[str]:
    """The workers the log says were started (again)."""
    return re.findall(r"worker \d+ on 127\.0\.0\.1:\d+", log)


def test_workers_need_postgresql_and_say_so_in_one_line(tmp_path: Path) -> None:
    db = str(tmp_path / "relay.sqlite3")
    done = subprocess.run(
        [sys.executable, "-m", "reciprocity", "serve", "--workers", "2", "--db", db],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "reciprocity: --workers needs --db postgresql://…: the workers share the rooms there"
    ]


async def test_a_game_lives_through_a_killed_worker(postgres: Cluster, tmp_path: Path) -> None:
    db, port = postgres.fresh(), free_port()
    serve = Serve(tmp_path / "serve.log", "--workers", "2", "--port", str(port), "--db", db)
    try:
        await healthy(port, serve)
        game = await open_game(f"ws://127.0.0.1:{port}")
        await start(game.sam, game.ben)
        await turn(game.sam, game.ben, {"type": "mark_supported"})

        with psycopg.connect(db) as records:
            row = records.execute(
                "SELECT owner FROM relay_rooms WHERE number = %s", (game.number,)
            ).fetchone()
        assert row is not None
        found = re.search(rf"relay {row[0]} \(process (\d+)\)", serve.text())
        assert found, serve.text()
        holder = int(found.group(1))
        subprocess.run(["kill", "-KILL", str(holder)], check=True)

        with pytest.raises(ConnectionClosed):
            await game.sam.recv()
        await resume(f"ws://127.0.0.1:{port}", game)
        view = await act(*game.sharer(), {"type": "draw"})
        assert view.phase == "share"
        deadline = time.monotonic() + 30
        while f"worker {holder} ended" not in serve.text() or len(started(serve.text())) < 3:
            assert time.monotonic() < deadline, serve.text()
            await asyncio.sleep(0.1)

        serve.process.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(serve.process.wait, 30) == 0
        log = serve.text()
        assert "relay stopped" in log and "Traceback" not in log
    finally:
        if serve.process.poll() is None:
            os.killpg(serve.process.pid, signal.SIGKILL)
            serve.process.wait()
