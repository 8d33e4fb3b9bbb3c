"""Leases with a fencing epoch, on records several relays share (PostgreSQL): a relay asked
for a room another holds takes it and rebuilds it from the log, and the relay that lost it
can no longer commit to it."""

from __future__ import annotations

import pytest
from conftest import make_deck
from postgres_cluster import Cluster
from reciprocity_server import serve
from reciprocity_server.records_postgres import PostgresRelayStore
from reciprocity_server.serve import start_relay
from reciprocity_server.storage import LeaseLost, token_hash
from relay_client import Client, act, pair, start

from reciprocity.engine import Joined, LimitSet, Seat
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
            with pytest.raises(Exception, match="1012"):
                while True:
                    await client.recv()
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
