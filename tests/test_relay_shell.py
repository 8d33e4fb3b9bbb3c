"""Hostile input at the relay's shell, in this process: headers, send queues, greetings."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from conftest import make_deck
from reciprocity_server.serve import RelayServer, start_relay
from relay_client import TIMEOUT, Client
from websockets.asyncio.client import connect

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
