"""Hostile input at the relay's shell, in this process: headers, connections, outboxes."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace
from typing import cast

import pytest
from conftest import make_deck
from reciprocity_server.limits import JOIN_FAILURES
from reciprocity_server.quotas import Quotas
from reciprocity_server.sending import BEHIND_BYTES, Outbox
from reciprocity_server.serve import TOO_MANY, RelayServer, _address, start_relay
from relay_client import TIMEOUT, Client, pair
from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request

from reciprocity.net.dialing import FORWARDED_FOR, dial
from reciprocity.protocol import PROTOCOL_VERSION, Error, RoomStatus, SessionStatus, Words
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
    relay.trust_forwarded = True  # as `serve --trust-forwarded`
    headers = [("X-Forwarded-For", "203.0.113.1"), ("X-Forwarded-For", "198.51.100.7")]
    ws = await connect(relay.url, additional_headers=headers, open_timeout=TIMEOUT)
    sam = Client(ws)
    await sam.hello(create={"deck": "test-deck", "name": "Sam"})
    assert isinstance(sam.view, SeatView)
    assert "opened from 198.51.100.7" in caplog.text
    assert "Traceback" not in caplog.text and "MultipleValuesError" not in caplog.text
    await sam.close()


async def guess(url: str, address: str) -> str:
    """The error a join to a room that does not exist gets, from a connection that says (as a
    browser tab's process does) that it plays for `address`."""
    headers = [("X-Forwarded-For", address)]
    client = Client(await connect(url, additional_headers=headers, open_timeout=TIMEOUT))
    hello = {"type": "hello", "version": PROTOCOL_VERSION, "join": {"number": 9999, "name": "Kim"}}
    await client.send(hello)
    error = await client.expect(Error)
    await client.close()
    return error.code


async def test_a_trusting_relay_limits_failed_joins_per_forwarded_address(
    relay: RelayServer,
) -> None:
    relay.trust_forwarded = True  # as the relay of `host --web`, `facilitate --web`, `serve --web`
    one = [await guess(relay.url, "203.0.113.1") for _ in range(JOIN_FAILURES + 1)]
    assert one == ["no_such_room"] * JOIN_FAILURES + ["rate_limited"]
    # Another browser, through the same serving computer, still has its own tries.
    assert await guess(relay.url, "203.0.113.2") == "no_such_room"


async def test_the_header_is_ignored_unless_the_relay_was_told_to_trust_it(
    relay: RelayServer,
) -> None:
    assert not relay.trust_forwarded  # the default, as for `reciprocity serve`
    addresses = [f"203.0.113.{n}" for n in range(1, JOIN_FAILURES + 2)]
    tried = [await guess(relay.url, address) for address in addresses]
    assert tried == ["no_such_room"] * JOIN_FAILURES + ["rate_limited"]


def test_the_header_is_never_trusted_from_the_network() -> None:
    request = Request("/", Headers([("X-Forwarded-For", "203.0.113.1")]))
    outside = cast(ServerConnection, SimpleNamespace(remote_address=("192.0.2.9", 40000)))
    here = cast(ServerConnection, SimpleNamespace(remote_address=("127.0.0.1", 40000)))
    assert _address(outside, request, True) == "192.0.2.9"
    assert _address(here, request, True) == "203.0.113.1"
    assert _address(here, request, False) == "127.0.0.1"


async def test_a_browser_tabs_process_forwards_its_browsers_address(
    relay: RelayServer, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.INFO)
    relay.trust_forwarded = True
    monkeypatch.setenv(FORWARDED_FOR, "198.51.100.23")  # as the web page sets it (`web.server`)
    ws = await dial(relay.url, TIMEOUT)
    await ws.close()
    monkeypatch.setenv(FORWARDED_FOR, "not an address\r\nX-Evil: 1")
    ws = await dial(relay.url, TIMEOUT)
    await ws.close()
    opened = [r.getMessage() for r in caplog.records if "opened from" in r.getMessage()]
    assert [line.rsplit(" ", 1)[-1] for line in opened] == ["198.51.100.23", "127.0.0.1"]


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
        self.paused = True  # the transport takes nothing more now: every frame waits

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
