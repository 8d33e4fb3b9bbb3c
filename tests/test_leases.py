"""Leases with a fencing epoch, on records several relays share (PostgreSQL): a relay asked
for a room another holds takes it and rebuilds it from the log, and the relay that lost it
can no longer commit to it."""

from __future__ import annotations

import json
import time

import pytest
from conftest import make_deck
from postgres_cluster import Cluster
from reciprocity_server import serve
from reciprocity_server.outputs import Send
from reciprocity_server.records_postgres import PostgresRelayStore
from reciprocity_server.relay import Relay
from reciprocity_server.serve import start_relay
from reciprocity_server.storage import SILENT_SECONDS, LeaseLost, token_hash
from relay_client import Client, act, pair, start
from websockets.exceptions import ConnectionClosed

from reciprocity.engine import Joined, LimitSet, Seat
from reciprocity.net.dialing import room_url
from reciprocity.protocol import PROTOCOL_VERSION, Welcome
from reciprocity.seat_view import SeatView

pytestmark = pytest.mark.timeout(60)


def test_taking_a_room_raises_its_epoch_and_fences_the_relay_that_held_it(
    postgres: Cluster,
) -> None:
    db = postgres.fresh()
    one, two = PostgresRelayStore(db), PostgresRelayStore(db)
    one.create_game("g1", make_deck(), 1, False, "relay")
    number = one.reserve_number(1.0)
    assert number is not None
    one.add_room("g1", number, 1.0)
    one.add_seat("g1", Seat.A, token_hash("sam"), 1.0)
    one.append("g1", 1, [Joined(seat=Seat.A, name="Sam")], 2.0)
    assert one.held() == {"g1"} and two.held() == set()

    taken = two.take_room(token_hash=token_hash("sam"))
    assert taken is not None and (taken.game_id, taken.number) == ("g1", number)
    assert taken.tokens == {Seat.A: token_hash("sam")}
    assert one.held() == set() and two.held() == {"g1"}
    limit = LimitSet(seat=Seat.A, limit=2, lines=frozenset())
    for write in (
        lambda: one.append("g1", 2, [limit], 3.0),
        lambda: one.add_seat("g1", Seat.B, token_hash("ben"), 3.0),
        lambda: one.keep_tried("g1", "h"),
        lambda: one.finish("g1"),
    ):
        with pytest.raises(LeaseLost):
            write()
    # In a group, the lease checks are read when it ends: nothing of it is kept.
    with pytest.raises(LeaseLost), one.group():
        one.create_game("g2", make_deck(), 1, False, "relay")
        one.append("g1", 2, [limit], 3.0)
    with pytest.raises(KeyError):
        one.load("g2")
    one.remove_room("g1")  # the room is the other relay's now: it stays
    two.append("g1", 2, [limit], 4.0)
    assert [seq for seq, _, _ in two.load("g1").events] == [1, 2]
    assert [room.game_id for room in two.rooms()] == ["g1"]

    back = one.take_room(number=number)  # and back again, by the room's number
    assert back is not None and back.game_id == "g1"
    with pytest.raises(LeaseLost):
        two.append("g1", 3, [limit], 5.0)
    assert two.take_room(number=number + 1 if number < 9999 else 1) is None
    one.close()
    two.close()


async def test_players_resume_at_another_relay_and_the_first_lets_their_room_go(
    postgres: Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(serve, "LEASE_SECONDS", 3600.0)  # the test looks at the leases itself
    db = postgres.fresh()
    decks = {"test-deck": make_deck()}
    first = await start_relay(port=0, db=db, decks=decks)
    second = await start_relay(port=0, db=db, decks=decks)
    try:
        sam, ben = await pair(first.url)
        await start(sam, ben)
        before = await act(sam, ben, {"type": "draw"})
        assert sam.welcome is not None and ben.welcome is not None

        # As when the proxy sends the room's players to another relay: they resume there.
        sam_there, ben_there = await Client.open(second.url), await Client.open(second.url)
        await sam_there.hello(resume={"token": sam.welcome.token, "last_seq": before.seq})
        await ben_there.hello(resume={"token": ben.welcome.token, "last_seq": before.seq})
        await sam_there.expect(SeatView)  # Ben is back too
        assert sam_there.seat_view.seq == before.seq and sam_there.seat_view.phase == "share"

        # When the first relay looks at its leases (every second), it lets the room go,
        # closing its players' old connections so that they dial again.
        first._run(first._let_go)
        for client in (sam, ben):
            with pytest.raises(ConnectionClosed):
                while True:
                    await client.recv()
            assert client.ws.close_code == 1012
        assert first._relay.rooms == {}

        view = await act(sam_there, ben_there, {"type": "share"})
        assert view.seq == before.seq + 1  # nothing was applied twice, nothing lost
        [room] = second._relay.rooms.values()
        events = second._relay.store.load(room.room.id).events
        assert [seq for seq, _, _ in events] == list(range(1, view.seq + 1))
        for client in (sam_there, ben_there):
            await client.close()
    finally:
        await first.close()
        await second.close()


def test_any_relay_expires_the_idle_rooms_of_a_relay_gone_silent(postgres: Cluster) -> None:
    db = postgres.fresh()
    gone, sweeper = PostgresRelayStore(db), PostgresRelayStore(db)
    now = time.time()
    numbers = {}
    for game_id, seats in (("joined", [Seat.A, Seat.B]), ("waiting", [Seat.A])):
        gone.create_game(game_id, make_deck(), 1, False, "relay")
        number = gone.reserve_number(now)
        assert number is not None
        numbers[game_id] = number
        gone.add_room(game_id, number, now - 100)
        for seat in seats:
            gone.add_seat(game_id, seat, token_hash(f"{game_id}-{seat}"), now - 100)
        gone.append(game_id, 1, [LimitSet(seat=Seat.A, limit=2, lines=frozenset())], now - 100)
    assert gone.held() == {"joined", "waiting"}  # and so it is seen alive now

    # While its relay is alive, no other relay touches its rooms, however idle.
    assert sweeper.expire_orphans(now, idle=10, unjoined=10) == []
    # Silent past SILENT_SECONDS: the room nobody joined goes after `unjoined` idle seconds,
    # the joined one after `idle`.
    later = now + SILENT_SECONDS + 1
    assert sweeper.expire_orphans(later, idle=1000, unjoined=50) == [numbers["waiting"]]
    assert sweeper.expire_orphans(later, idle=1000, unjoined=50) == []
    assert sweeper.expire_orphans(later, idle=100, unjoined=50) == [numbers["joined"]]
    assert sweeper.rooms() == [] and gone.held() == set()

    # The relay, should it come back, can no longer write to them; their logs are blanked.
    with pytest.raises(LeaseLost):
        gone.append("joined", 2, [Joined(seat=Seat.B, name="Ben")], later)
    for game_id in ("joined", "waiting"):
        [(_, _, kept)] = sweeper.load(game_id).events
        assert isinstance(kept, LimitSet) and kept.limit != 2
    gone.close()
    sweeper.close()


def test_a_sweep_expires_rooms_whose_relay_died(postgres: Cluster) -> None:
    db = postgres.fresh()
    decks = {"test-deck": make_deck()}
    dead = Relay(PostgresRelayStore(db), decks.get)
    dead.connect(1, "192.0.2.1")
    create = {"deck": "test-deck", "name": "Sam"}
    hello = {"type": "hello", "version": PROTOCOL_VERSION, "create": create}
    welcome = dead.receive(1, json.dumps(hello))[0]
    assert isinstance(welcome, Send) and isinstance(welcome.message, Welcome)
    number = welcome.message.number
    dead.store.close()  # its process is gone: nothing says it is alive any more

    tomorrow = time.time() + 25 * 3600
    alive = Relay(PostgresRelayStore(db), decks.get, clock=lambda: tomorrow)
    alive.expire()
    assert alive.store.rooms() == []
    alive.leases.take(number=number)  # as when a player asks for it: it is gone
    assert alive.rooms == {}
    alive.store.close()


def test_a_facilitated_session_runs_only_on_records_of_its_own(postgres: Cluster) -> None:
    relay = Relay(PostgresRelayStore(postgres.fresh()), {"test-deck": make_deck()}.get)
    with pytest.raises(RuntimeError, match="records of its own"):
        relay.start_session(make_deck(), 2)
    assert relay.store.session() is None and relay.store.rooms() == []
    relay.store.close()


async def test_a_join_takes_a_room_only_when_the_proxy_routed_it_to_that_room(
    postgres: Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A join for a number, sent to another relay's bare address, must not pull the room
    # (and its players) over to that relay: only a connection to `/room/NUMBER` may.
    monkeypatch.setattr(serve, "LEASE_SECONDS", 3600.0)
    db = postgres.fresh()
    decks = {"test-deck": make_deck()}
    first = await start_relay(port=0, db=db, decks=decks)
    second = await start_relay(port=0, db=db, decks=decks)
    try:
        sam = await Client.open(first.url)
        welcome = await sam.hello(create={"deck": "test-deck", "name": "Sam", "checkin": False})
        stranger = await Client.open(second.url)
        join = {"type": "hello", "version": PROTOCOL_VERSION}
        await stranger.send(join | {"join": {"number": welcome.number, "name": "Ben"}})
        await stranger.error("no_such_room")
        assert second._relay.rooms == {} and welcome.number in first._relay.rooms

        ben = await Client.open(room_url(second.url, welcome.number))
        await ben.hello(join={"number": welcome.number, "name": "Ben"})
        assert welcome.number in second._relay.rooms  # routed here: taken over
        for client in (sam, stranger, ben):
            await client.close()
    finally:
        await first.close()
        await second.close()
