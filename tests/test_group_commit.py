"""Group commit: the frames that arrive together, across rooms, commit in one transaction, and
nothing they cause leaves the relay before that commit. Against both kinds of records."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import make_deck, open_records
from reciprocity_server.serve import TICK_SECONDS, RelayServer, start_relay
from relay_client import Client, pair, start
from websockets.exceptions import ConnectionClosed

from reciprocity.engine import Joined, LimitSet, Seat
from reciprocity.protocol import Ack
from reciprocity.records.store import StoreError
from reciprocity.seat_view import SeatView

pytestmark = pytest.mark.timeout(60)


def test_a_groups_writes_are_kept_together_or_not_at_all(relay_db: str) -> None:
    records, reader = open_records(relay_db), open_records(relay_db)
    for game in ("g1", "g2", "g3"):
        records.create_game(game, make_deck(), 1, False, "relay")
    numbers = [records.reserve_number(1.0) or 0 for _ in range(2)]
    for game, number in zip(("g1", "g2"), numbers, strict=True):
        records.add_room(game, number, 1.0)
    never = next(n for n in range(1, 4) if n not in numbers)  # a number nobody reserved
    with records.group():
        with records.tagged(Seat.A, "c1"):
            records.append("g1", 1, [Joined(seat=Seat.A, name="Sam")], 2.0)
        with pytest.raises(StoreError, match="not reserved"):  # refused, and alone
            records.add_room("g3", never, 2.0)
        records.append("g2", 1, [Joined(seat=Seat.A, name="Ada")], 2.0)
        assert reader.load("g1").events == []  # nothing is kept before the group ends
    assert [len(reader.load(game).events) for game in ("g1", "g2")] == [1, 1]

    limit = LimitSet(seat=Seat.A, limit=1, lines=frozenset())
    with pytest.raises(StoreError), records.group():  # a statement fails: the whole group
        records.append("g2", 2, [limit], 3.0)
        with contextlib.suppress(StoreError), records.tagged(Seat.A, "c1"):  # used already
            records.append("g1", 2, [limit], 3.0)
    with pytest.raises(RuntimeError), records.group():
        records.append("g1", 2, [limit], 3.0)
        raise RuntimeError("the block failed")
    assert [len(reader.load(game).events) for game in ("g1", "g2")] == [1, 1]
    records.close()
    reader.close()


def _conn(server: RelayServer, client: Client) -> int:
    """The relay's number for a client's connection, found by its seat's token."""
    assert client.welcome is not None
    relay, seat = server._relay, Seat(client.welcome.seat)
    for conn, peer in relay._peers.items():
        room = peer.room
        if room is not None and (room.number, peer.seat) == (client.welcome.number, seat):
            return conn
    raise AssertionError("no such connection")


@contextmanager
def counted_groups(server: RelayServer, writes: list[int]) -> Iterator[None]:
    """Count the events each group commit kept."""
    store = server._relay.store
    real_group, real_append = store.group, store.append
    appended = [0]

    def append(*args: object, **kwargs: object) -> None:
        real_append(*args, **kwargs)  # type: ignore[arg-type]
        appended[0] += 1

    @contextmanager
    def group() -> Iterator[None]:
        with real_group():
            yield
        if appended[0]:
            writes.append(appended[0])
        appended[0] = 0

    store.group, store.append = group, append  # type: ignore[method-assign]
    try:
        yield
    finally:
        store.group, store.append = real_group, real_append  # type: ignore[method-assign]


async def test_a_relay_with_no_session_clock_opens_no_transaction_while_idle(
    tmp_path: Path,
) -> None:
    # One file's relay: relays sharing PostgreSQL check their leases each second, by design.
    db = tmp_path / "relay.sqlite3"
    server = await start_relay(port=0, db=db, decks={"test-deck": make_deck()})
    try:
        store = server._relay.store
        real_group = store.group
        opened = [0]

        @contextmanager
        def group() -> Iterator[None]:
            opened[0] += 1
            with real_group():
                yield

        store.group = group  # type: ignore[method-assign]
        await asyncio.sleep(TICK_SECONDS * 2.5)  # two ticks of the session clock's timer
        store.group = real_group  # type: ignore[method-assign]
        assert opened == [0]
    finally:
        await server.close()


async def test_commands_that_arrive_together_across_rooms_commit_once(relay_db: str) -> None:
    server = await start_relay(port=0, db=relay_db, decks={"test-deck": make_deck()})
    try:
        rooms = [await pair(server.url), await pair(server.url)]
        for sam, ben in rooms:
            await start(sam, ben)
        writes: list[int] = []
        with counted_groups(server, writes):
            for n, (sam, _) in enumerate(rooms):  # in one turn of the loop, as if together
                frame = {"type": "command", "id": f"d{n}", "command": {"type": "draw"}}
                server._run(server._relay.receive, _conn(server, sam), json.dumps(frame))
            acks = [await sam.expect(SeatView) for sam, _ in rooms]  # each with its ack
        assert writes == [2]  # two rooms' commands, one commit
        reader = open_records(relay_db)
        for (sam, _), ack in zip(rooms, acks, strict=True):
            [room] = [r for r in reader.rooms() if sam.welcome and r.number == sam.welcome.number]
            assert len(reader.load(room.game_id).events) == ack.seq
        reader.close()
    finally:
        await server.close()


async def test_when_the_commit_fails_nothing_leaves_and_players_resume_from_the_records(
    relay_db: str,
) -> None:
    server = await start_relay(port=0, db=relay_db, decks={"test-deck": make_deck()})
    try:
        sam, ben = await pair(server.url)
        await start(sam, ben)
        before = sam.seat_view.seq
        store = server._relay.store
        real_group = store.group

        @contextmanager
        def failing() -> Iterator[None]:
            with real_group():
                yield
                raise StoreError("cannot write the records: disk full")

        store.group = failing  # type: ignore[method-assign]
        await sam.send({"type": "command", "id": "d1", "command": {"type": "draw"}})
        for client in (sam, ben):  # no ack, no view: only the close
            with pytest.raises(ConnectionClosed):
                await client.recv()
            assert client.ws.close_code == 1011
        store.group = real_group  # type: ignore[method-assign]

        assert sam.welcome is not None and ben.welcome is not None
        again = await Client.open(server.url)
        await again.hello(resume={"token": sam.welcome.token, "last_seq": before})
        assert again.seat_view.seq == before  # the draw was never kept, so never applied
        ack = await again.command({"type": "draw"}, "d1")  # the same id, now kept
        assert ack == Ack(id="d1", seq=before + 1)
        await again.close()
    finally:
        await server.close()
