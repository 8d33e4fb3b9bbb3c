"""Hostile input at the relay's shell, in this process: headers, connections, outboxes."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from conftest import make_deck
from reciprocity_server.quotas import Quotas
from reciprocity_server.sending import BEHIND_BYTES, Outbox
from reciprocity_server.serve import TOO_MANY, RelayServer, start_relay
from relay_client import TIMEOUT, Client, pair
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from reciprocity.protocol import PROTOCOL_VERSION, RoomStatus, SessionStatus, Words
from reciprocity.seat_view import SeatView

pytestmark = pytest.mark.timeout(30)


@pytest.fixture
async def relay(tmp_path: Path) -> AsyncIterator[RelayServer]:
    """A relay on a free loopback port that also offers the test deck."""
    server = await start_relay(
        port=0, db=tmp_path / "relay.sqlite3", decks={"test-deck": make_deck()}
    )
    yield server
    await server.close()


async def test_two_forwarded_for_headers_give_the_last_address(
    relay: RelayServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    headers = [("X-Forwarded-For", "203.0.113.1"), ("X-Forwarded-For", "198.51.100.7")]
    ws = await connect(relay.url, additional_headers=headers, open_timeout=TIMEOUT)
    sam = Client(ws)
    await sam.hello(create={"deck": "test-deck", "name": "Sam"})
    assert isinstance(sam.view, SeatView)
    assert "opened from 198.51.100.7" in caplog.text
    assert "Traceback" not in caplog.text and "MultipleValuesError" not in caplog.text
    await sam.close()


async def test_connections_per_address_are_capped(tmp_path: Path) -> None:
    server = await start_relay(
        port=0,
        db=tmp_path / "relay.sqlite3",
        decks={"test-deck": make_deck()},
        quotas=Quotas(connections=3),
    )
    try:
        held = [await Client.open(server.url) for _ in range(3)]
        extra = await Client.open(server.url)
        with pytest.raises(ConnectionClosed):
            await extra.recv()
        assert extra.ws.close_code == 1008 and extra.ws.close_reason == TOO_MANY
        await held.pop().close()
        deadline = asyncio.get_running_loop().time() + TIMEOUT
        while True:  # the freed place is given back once the relay has seen the close
            again = await Client.open(server.url)
            try:
                await again.hello(create={"deck": "test-deck", "name": "Sam"})
                break
            except (ConnectionClosed, AssertionError):
                assert asyncio.get_running_loop().time() < deadline
        for client in [*held, again]:
            await client.close()
    finally:
        await server.close()


async def test_a_burst_of_words_reaches_a_partner_who_reads(relay: RelayServer) -> None:
    sam, ben = await pair(relay.url)
    for n in range(200):
        await sam.send({"type": "say", "payload": f"{n:05d}" + "x" * 2000})
    for n in range(200):
        words = await ben.expect(Words)
        assert words.payload.startswith(f"{n:05d}")


async def test_a_big_sessions_dashboard_keeps_up_with_every_hold_and_release(
    tmp_path: Path,
) -> None:
    server = await start_relay(port=0, db=tmp_path / "relay.sqlite3")
    try:
        token, numbers = await server.start_session(make_deck(), 200)
        facilitator = Client(await connect(server.url, open_timeout=TIMEOUT, max_size=2**20))
        hello = {"type": "hello", "version": PROTOCOL_VERSION, "facilitate": {"token": token}}
        await facilitator.send(hello)
        await facilitator.expect(SessionStatus)
        for command in ["hold", "release"] * 5 + ["hold"]:
            await facilitator.send({"type": "steer", "command": {"type": command}})
        held = dict.fromkeys(numbers, False)
        while not all(held.values()):
            message = await facilitator.recv()
            if isinstance(message, RoomStatus):
                held[message.number] = message.held
    finally:
        await server.close()


class SlowSocket:
    """A stand-in for a connection whose sends wait until the test lets them go."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.go = asyncio.Event()
        self.aborted = 0
        self.transport = self

    async def send(self, frame: str) -> None:
        await self.go.wait()
        self.sent.append(frame)

    def abort(self) -> None:
        self.aborted += 1


async def test_an_outbox_coalesces_rows_and_drops_a_stopped_reader_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    ws = SlowSocket()
    outbox = Outbox(ws, 7)  # type: ignore[arg-type]
    outbox.put("first")
    await asyncio.sleep(0)  # the sender takes it, and waits
    outbox.put("row 1 old", row=1)
    outbox.put("row 2", row=2)
    outbox.put("row 1 new", row=1)
    ws.go.set()
    while len(ws.sent) < 3:
        await asyncio.sleep(0.01)
    assert ws.sent == ["first", "row 1 new", "row 2"]
    ws.go.clear()
    outbox.put("stuck")
    for _ in range(BEHIND_BYTES // 10_000 + 2):
        outbox.put("x" * 10_000)
    assert ws.aborted == 1
    assert caplog.text.count("stopped reading") == 1
    await outbox.stop()
