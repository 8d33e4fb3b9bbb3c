"""A facilitated session outlives the facilitator's process: the relay keeps it in its records,
and a relay started again on them (as `reciprocity facilitate --resume` does) brings back its
rooms, the token's hash, the open level and the hold."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import make_deck
from reciprocity_server.records import RelayStore, token_hash
from reciprocity_server.serve import start_relay
from relay_client import Client
from test_facilitate_relay import Session, dashboard, hello, join, row

from reciprocity.protocol import SeatView

pytestmark = pytest.mark.timeout(30)


async def test_a_relay_restarted_on_its_records_brings_the_session_back(tmp_path: Path) -> None:
    db = tmp_path / "relay.sqlite3"
    relay = await start_relay(port=0, db=db)
    token, numbers = await relay.start_session(make_deck(), 3)
    first = Session(relay, token, numbers, db)
    facilitator, _ = await dashboard(first)
    number = numbers[0]
    sam = await join(first, number, "Sam", facilitator)
    await row(facilitator, number)
    await join(first, number, "Ben", sam)
    await row(facilitator, number)
    await facilitator.send({"type": "steer", "command": {"type": "open_level", "level": 2}})
    await sam.expect(SeatView)
    await facilitator.send({"type": "steer", "command": {"type": "hold"}})
    held = await sam.expect(SeatView)
    assert held.held and held.open_level == 2
    assert sam.welcome is not None
    await relay.close()  # as the facilitator's process dies

    store = RelayStore(db)
    kept = store.session()
    store.close()
    assert kept is not None and kept.token_hash == token_hash(token)
    assert [kept_number for kept_number, _ in kept.rooms] == numbers
    assert token not in db.read_bytes().decode(errors="replace")

    relay = await start_relay(port=0, db=db, restore=True)
    again = Session(relay, token, numbers, db)
    facilitator, status = await dashboard(again)
    assert [room.number for room in status.rooms] == numbers
    assert {(room.open_level, room.held) for room in status.rooms} == {(2, True)}
    assert status.rooms[0].names == ("Sam", "Ben")
    back = await Client.open(relay.url)
    await back.hello(resume={"token": sam.welcome.token, "last_seq": held.seq})
    assert back.seat_view.seq == held.seq and back.seat_view.held
    await facilitator.send({"type": "steer", "command": {"type": "release"}})
    assert not (await back.expect(SeatView)).held
    await relay.close()


async def test_a_fresh_session_forgets_the_one_kept(tmp_path: Path) -> None:
    db = tmp_path / "relay.sqlite3"
    relay = await start_relay(port=0, db=db)
    token, _ = await relay.start_session(make_deck(), 2)
    await relay.close()

    relay = await start_relay(port=0, db=db, restore=False)
    stranger = await Client.open(relay.url)
    await stranger.send(hello(facilitate={"token": token}))
    await stranger.error("not_facilitator")
    fresh, _ = await relay.start_session(make_deck(), 2)
    await relay.close()
    store = RelayStore(db)
    kept = store.session()
    store.close()
    assert kept is not None and kept.token_hash == token_hash(fresh)
