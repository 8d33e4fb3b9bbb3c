"""`reciprocity serve` as a real process: killed mid-game and started again, both players resume."""

from __future__ import annotations

import asyncio
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import open_records
from relay_client import Client, act, pair, start, turn
from websockets.exceptions import ConnectionClosed

from reciprocity.protocol import Ack
from reciprocity.seat_view import SeatView

pytestmark = pytest.mark.timeout(60)


def free_port() -> int:
    """A loopback port nobody listens on just now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Relay:
    """A `reciprocity serve` process."""

    def __init__(self, port: int, db: Path | str) -> None:
        self.port, self.db = port, db
        self.url = f"ws://127.0.0.1:{port}"
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "reciprocity",
                "serve",
                "--port",
                str(port),
                "--db",
                str(db),
                "--idle-hours",
                "2",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )

    async def healthy(self) -> None:
        """Wait until `GET /healthz` answers 200."""
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.process.communicate()[1]
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
            except OSError:
                await asyncio.sleep(0.05)
                continue
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
            status = await reader.readline()
            writer.close()
            await writer.wait_closed()
            assert status.startswith(b"HTTP/1.1 200"), status
            return
        pytest.fail("the relay did not come up")

    def stop(self, signum: signal.Signals) -> tuple[int, str]:
        """Send a signal; the exit code and what it wrote to stderr."""
        self.process.send_signal(signum)
        _, err = self.process.communicate(timeout=15)
        return self.process.returncode, err


@pytest.fixture
def relays(tmp_path: Path) -> Iterator[list[Relay]]:
    """Relay processes the test starts; any still running at the end are killed."""
    started: list[Relay] = []
    yield started
    for relay in started:
        if relay.process.poll() is None:
            relay.process.kill()
            relay.process.communicate()


async def test_killed_mid_game_then_restarted_both_resume_with_nothing_lost(
    relays: list[Relay], relay_db: str
) -> None:
    port, db = free_port(), relay_db
    relays.append(first := Relay(port, db))
    await first.healthy()
    sam, ben = await pair(first.url, "first-steps")
    await start(sam, ben)
    await turn(sam, ben, {"type": "mark_supported"})
    await sam.send({"type": "say", "payload": "words-that-stay-between-us"})
    await ben.recv()
    await act(ben, sam, {"type": "draw"})
    last = await ben.command({"type": "share"}, "ben-share")
    await sam.expect(SeatView)
    before = sam.seat_view
    assert before.phase == "respond" and before.seq == last.seq

    first.process.kill()  # SIGKILL: no chance to tidy up
    _, log = first.process.communicate()
    assert "turn ended supported" in log and "words-that-stay-between-us" not in log
    assert re.search(r"collector: \d+ start-up objects frozen; thresholds 50000/20/100", log)
    for client in (sam, ben):
        with pytest.raises(ConnectionClosed):
            await client.recv()

    relays.append(second := Relay(port, db))
    await second.healthy()
    assert sam.welcome and ben.welcome
    sam_again, ben_again = await Client.open(second.url), await Client.open(second.url)
    await sam_again.hello(resume={"token": sam.welcome.token, "last_seq": before.seq})
    await ben_again.hello(resume={"token": ben.welcome.token, "last_seq": before.seq})
    await sam_again.expect(SeatView)  # Ben is back too
    after = sam_again.seat_view
    assert after.seq == before.seq
    assert after.model_dump(exclude={"notice", "last_outcome"}) == before.model_dump(
        exclude={"notice", "last_outcome"}
    )
    assert ben_again.seat_view.me.limit == 2 and ben_again.seat_view.me.lines == ("family",)
    # Ben's retry of his last command is answered as before, with no second effect.
    assert await ben_again.command({"type": "share"}, "ben-share") == Ack(
        id="ben-share", seq=last.seq
    )
    view = await act(sam_again, ben_again, {"type": "respond"})
    assert view.phase == "land" and view.seq == before.seq + 1

    code, err = await asyncio.to_thread(second.stop, signal.SIGTERM)
    assert code == 0 and "Traceback" not in err
    for client in (sam_again, ben_again):
        with pytest.raises(ConnectionClosed):
            await client.recv()
        assert client.ws.close_code == 1001
    records = open_records(db)
    [room] = records.rooms()
    assert [seq for seq, _, _ in records.load(room.game_id).events] == list(range(1, view.seq + 1))
    records.close()


async def test_a_port_in_use_is_one_line_and_exit_1(relays: list[Relay], tmp_path: Path) -> None:
    port = free_port()
    relays.append(first := Relay(port, tmp_path / "one.sqlite3"))
    await first.healthy()
    second = Relay(port, tmp_path / "two.sqlite3")
    _, err = second.process.communicate(timeout=20)
    assert second.process.returncode == 1
    assert err.strip().splitlines() == [
        f"reciprocity: port {port} on 127.0.0.1 is already in use; choose another with --port"
    ]
    code, err = await asyncio.to_thread(first.stop, signal.SIGINT)
    assert code == 0 and "Traceback" not in err
    assert "relay stopped" in err
