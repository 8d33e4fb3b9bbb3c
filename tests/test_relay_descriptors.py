"""`reciprocity serve` as a real process against sockets that never speak, and with few
file descriptors: it closes the silent ones, logs running out once, and still seats players."""

from __future__ import annotations

import asyncio
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest
from reciprocity_server.descriptors import OUT_OF_RESOURCE
from reciprocity_server.serve import HELLO_SECONDS
from relay_client import Client
from test_relay_process import free_port
from websockets.exceptions import ConnectionClosed

pytestmark = pytest.mark.timeout(90)

#: Open files the small relay may have: a few for itself, the rest for connections.
FEW = 48


def serve(port: int, db: Path, files: int | None = None) -> subprocess.Popen[str]:
    """A `reciprocity serve` process, limited to `files` open files when given."""

    def limit() -> None:
        if files is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (files, files))

    command = [sys.executable, "-m", "reciprocity", "serve", "--port", str(port), "--db", str(db)]
    return subprocess.Popen(
        [*command, "--connections-per-address", "1000"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=limit,
    )


async def up(port: int, process: subprocess.Popen[str]) -> None:
    """Wait until the relay accepts a connection."""
    deadline = time.monotonic() + 20
    while True:
        assert process.poll() is None, process.communicate()[1]
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            assert time.monotonic() < deadline, "the relay did not come up"
            await asyncio.sleep(0.05)
            continue
        writer.close()
        return


async def play(url: str) -> None:
    """A real player can create a game."""
    sam = await Client.open(url)
    await sam.hello(create={"deck": "first-steps", "name": "Sam"})
    await sam.close()


def stop(process: subprocess.Popen[str]) -> str:
    process.terminate()
    return process.communicate(timeout=15)[1]


async def test_a_socket_that_never_says_hello_is_closed(tmp_path: Path) -> None:
    port = free_port()
    process = serve(port, tmp_path / "relay.sqlite3")
    try:
        await up(port, process)
        silent = await Client.open(f"ws://127.0.0.1:{port}")  # a WebSocket, and no hello
        reader, writer = await asyncio.open_connection("127.0.0.1", port)  # no handshake
        started = time.monotonic()
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(silent.ws.recv(), HELLO_SECONDS + 10)
        assert silent.ws.close_code == 1008
        assert await asyncio.wait_for(reader.read(), HELLO_SECONDS + 10) == b""
        assert time.monotonic() - started < HELLO_SECONDS + 10
        writer.close()
        await play(f"ws://127.0.0.1:{port}")
    finally:
        log = stop(process)
    assert "closed without a hello" in log and "Traceback" not in log


async def test_out_of_descriptors_logs_one_line_and_recovers(tmp_path: Path) -> None:
    port = free_port()
    process = serve(port, tmp_path / "relay.sqlite3", files=FEW)
    hogs: list[asyncio.StreamWriter] = []
    try:
        await up(port, process)
        for _ in range(FEW + 20):  # more than the relay can hold: some wait in the backlog
            hogs.append((await asyncio.open_connection("127.0.0.1", port))[1])
        # The relay closes the silent ones within seconds, so descriptors come back, and a
        # real player gets in while they are still open at this end.
        deadline = time.monotonic() + 3 * HELLO_SECONDS + 20
        while True:
            try:
                await play(f"ws://127.0.0.1:{port}")
                break
            except (OSError, ConnectionClosed, TimeoutError, AssertionError):
                assert time.monotonic() < deadline, "no player got in after the flood"
    finally:
        for writer in hogs:
            writer.close()
        log = stop(process)
    lines = log.splitlines()
    assert sum("cannot accept connections" in line for line in lines) == 1, log[-2000:]
    assert OUT_OF_RESOURCE not in log and "Traceback" not in log
    assert len(lines) < 400
