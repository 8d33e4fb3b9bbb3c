"""Hostile input at the relay's shell, in this process: headers, send queues, greetings."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from conftest import make_deck
from reciprocity_server.limits import Quotas
from reciprocity_server.serve import TOO_MANY, RelayServer, start_relay
from relay_client import TIMEOUT, Client
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from reciprocity.protocol import SeatView

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
