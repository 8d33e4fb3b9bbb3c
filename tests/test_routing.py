"""Routing by room number: a host asks any relay for a number (`GET /number`), and both
partners dial their room's own address (`/room/7`), which a proxy in front of several relays
hashes to one of them. Numbers are unique across every relay on the same records."""

from __future__ import annotations

import asyncio
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from conftest import make_deck, open_records
from reciprocity_server.quotas import Quotas
from reciprocity_server.serve import RelayServer, start_relay
from reciprocity_server.storage import RESERVED_SECONDS
from relay_client import Client
from test_remote import pair

from reciprocity.net.dialing import ask_number, room_url
from reciprocity.protocol import PROTOCOL_VERSION, Error, Welcome
from reciprocity.records.store import StoreError

pytestmark = pytest.mark.timeout(60)


def get_number(server: RelayServer) -> tuple[int, str]:
    """`GET /number` at the relay: the HTTP status and the body."""
    url = server.url.replace("ws://", "http://") + "/number"
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read().decode()


def test_numbers_are_unique_across_relays_on_the_same_records(relay_db: str) -> None:
    one, two = open_records(relay_db), open_records(relay_db)
    numbers = [records.reserve_number(1000.0) for _ in range(100) for records in (one, two)]
    assert None not in numbers and len(set(numbers)) == 200
    assert all(isinstance(n, int) and 1 <= n <= 9999 for n in numbers)

    first = numbers[0]
    assert first is not None
    one.create_game("g1", make_deck(), 1, False, "relay")
    one.add_room("g1", first, 1000.0)
    two.create_game("g2", make_deck(), 1, False, "relay")
    with pytest.raises(StoreError, match=f"room {first} was not reserved, or is taken"):
        two.add_room("g2", first, 1001.0)
    # A number reserved and never used is free again after a while; one a room has is not.
    later = 1000.0 + RESERVED_SECONDS + 1
    again = {two.reserve_number(later) for _ in range(300)}
    assert first not in again
    one.remove_room("g1")
    with pytest.raises(StoreError):  # free once its room is gone, but not reserved
        two.add_room("g2", first, later)
    one.close()
    two.close()


async def test_a_host_asks_a_number_and_both_partners_dial_their_rooms_address(
    relay_db: str,
) -> None:
    deck = make_deck()
    server = await start_relay(port=0, db=relay_db, decks={deck.id: deck})
    try:
        sam, ben = await pair(server.url, deck)
        number = sam.connection.number
        assert ben.connection.number == number
        routes = [peer.route for peer in server._relay._peers.values()]
        assert routes == [number, number]  # each dialed /room/NUMBER, the number it was given
        await sam.stop()
        await ben.stop()
    finally:
        await server.close()


async def test_a_number_is_a_new_game_from_its_address_and_makes_one_room(
    tmp_path: Path,
) -> None:
    deck = make_deck()
    quotas = Quotas(creates=2, connections=32, commands=20)
    server = await start_relay(
        port=0, db=tmp_path / "relay.sqlite3", decks={deck.id: deck}, quotas=quotas
    )
    try:
        status, body = await asyncio.to_thread(get_number, server)
        assert status == 200 and body.strip().isdecimal()
        number = int(body)
        assert await ask_number(server.url, 5) not in (None, number)
        assert await asyncio.to_thread(get_number, server) == (429, "no number now\n")

        create = {"deck": deck.id, "name": "Sam"}
        sam = await Client.open(room_url(server.url, number))
        welcome = await sam.hello(create=create)
        assert isinstance(welcome, Welcome) and welcome.number == number
        # The same number again is refused, and so is one the relay never gave out.
        for path_number in (number, 9999 if number != 9999 else 9998):
            other = await Client.open(room_url(server.url, path_number))
            await other.send({"type": "hello", "version": PROTOCOL_VERSION, "create": create})
            assert isinstance(await other.recv(), Error)
            await other.close()
        assert sorted(server._relay.rooms) == [number]
        await sam.close()
    finally:
        await server.close()
