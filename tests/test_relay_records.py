"""The relay's records, the same tests against both homes: a SQLite file and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import make_deck, open_records
from postgres_cluster import Cluster
from reciprocity_server import records_postgres
from reciprocity_server.outputs import Encoded, Output, Send
from reciprocity_server.postgres_sql import shown
from reciprocity_server.records_postgres import PostgresRelayStore
from reciprocity_server.relay import Relay
from reciprocity_server.serve import ListenError, start_relay
from reciprocity_server.storage import RelayRecords, token_hash
from relay_client import act, pair, start, turn

from reciprocity.engine import Joined, LimitSet, Seat
from reciprocity.protocol import PROTOCOL_VERSION, Ack, Record, ViewDelta, Welcome
from reciprocity.records.store import StoreError

pytestmark = pytest.mark.timeout(60)

LIMIT = LimitSet(seat=Seat.A, limit=2, lines=frozenset({"family"}))


@pytest.fixture
def records(relay_db: str) -> Iterator[RelayRecords]:
    """Fresh records of either kind."""
    opened = open_records(relay_db)
    yield opened
    opened.close()


def _room(records: RelayRecords, game_id: str = "g1") -> int:
    """A new game with a room, under a number reserved for it; returns the number."""
    records.create_game(game_id, make_deck(), 42, True, "relay")
    number = records.reserve_number(100.0)
    assert number is not None
    records.add_room(game_id, number, 100.0)
    return number


def test_a_room_its_seats_and_its_commands_come_back(records: RelayRecords) -> None:
    number = _room(records)
    records.add_seat("g1", Seat.A, token_hash("sam"), 101.0)
    records.add_seat("g1", Seat.B, token_hash("ben"), 102.0)
    with records.tagged(Seat.A, "c1"):
        records.append("g1", 1, [Joined(seat=Seat.A, name="Sam"), LIMIT], 103.0)
    records.append("g1", 3, [Joined(seat=Seat.B, name="Ben")], 104.0)  # not a seat's command
    records.keep_tried("g1", "h1")
    records.keep_tried("g1", "h1")  # the same message twice is kept once
    records.keep_tried("g1", "h2")

    [room] = records.rooms()
    assert (room.game_id, room.number, room.last_active) == ("g1", number, 104.0)
    assert room.tokens == {Seat.A: token_hash("sam"), Seat.B: token_hash("ben")}
    assert room.commands == {Seat.A: [("c1", 2)]}
    assert room.tried == {"h1", "h2"}
    stored = records.load("g1")
    assert (stored.deck, stored.seed, stored.checkin) == (make_deck(), 42, True)
    assert [(seq, at) for seq, at, _ in stored.events] == [(1, 103.0), (2, 103.0), (3, 104.0)]
    assert stored.events[1][2] == LIMIT  # kept as chosen while the game runs

    records.keep_tried("g1", None)
    assert records.rooms()[0].tried == set()


def test_a_command_id_used_twice_commits_nothing_the_second_time(records: RelayRecords) -> None:
    _room(records)
    with records.tagged(Seat.A, "c1"):
        records.append("g1", 1, [Joined(seat=Seat.A, name="Sam")], 1.0)
    with pytest.raises(StoreError), records.tagged(Seat.A, "c1"):
        records.append("g1", 2, [LIMIT], 2.0)
    assert len(records.load("g1").events) == 1  # the events went with the refused id
    with records.tagged(Seat.A, "c2"):  # the records still take the next command
        records.append("g1", 2, [LIMIT], 3.0)
    assert [seq for seq, _, _ in records.load("g1").events] == [1, 2]


def test_finishing_or_abandoning_a_game_blanks_its_limits_and_nothing_else(
    records: RelayRecords,
) -> None:
    _room(records, "done")
    _room(records, "gone")
    _room(records, "live")
    for game in ("done", "gone", "live"):
        records.append(game, 1, [Joined(seat=Seat.A, name="limit_set"), LIMIT], 1.0)
    records.finish("done")
    records.remove_room("gone")

    blank = LimitSet(seat=Seat.A, limit=0, lines=frozenset())
    named = Joined(seat=Seat.A, name="limit_set")  # a name that reads like the tag is kept
    for game, limit in (("done", blank), ("gone", blank), ("live", LIMIT)):
        assert [event for _, _, event in records.load(game).events] == [named, limit]
    assert sorted(room.game_id for room in records.rooms()) == ["done", "live"]

    records.forget_rooms()
    records.blank_abandoned()
    assert records.rooms() == []
    assert records.load("live").events[1][2] == blank
    with pytest.raises(KeyError):
        records.load("never")


def test_the_session_is_kept_and_replaced(records: RelayRecords) -> None:
    assert records.session() is None
    records.keep_session("t1", [(4, "g4"), (5, "g5")])
    records.keep_session("t2", [(6, "g6")])
    stored = records.session()
    assert stored is not None
    assert (stored.token_hash, stored.rooms) == ("t2", ((6, "g6"),))
    records.forget_rooms()
    assert records.session() is None


def acked(outputs: list[Output], conn: int) -> tuple[str | None, int]:
    """The ack `conn` was sent first: alone (a command retried), or in its view's delta."""
    sent = outputs[0]
    assert isinstance(sent, Send) and sent.conn == conn
    message = sent.message.decoded() if isinstance(sent.message, Encoded) else sent.message
    if isinstance(message, Ack):
        return message.id, message.seq
    assert isinstance(message, ViewDelta), message
    return message.ack, message.seq


def test_rooms_come_back_in_a_relay_started_again(relay_db: str) -> None:
    relay = Relay(open_records(relay_db), {"test-deck": make_deck()}.get)
    relay.connect(1, "192.0.2.1")
    create = {"deck": "test-deck", "name": "Sam"}
    hello = {"type": "hello", "version": PROTOCOL_VERSION, "create": create}
    welcome = relay.receive(1, json.dumps(hello))[0]
    command = {"type": "command", "id": "k", "command": {"type": "set_limit", "limit": 2}}
    assert acked(relay.receive(1, json.dumps(command)), 1) == ("k", 2)
    assert isinstance(welcome, Send) and isinstance(welcome.message, Welcome)
    relay.store.close()

    again = Relay(open_records(relay_db))
    # A file's relay brings its rooms back at start (as `start_relay` does); relays sharing
    # PostgreSQL take a room when one of its players comes back.
    if not again.store.shared:
        assert again.restore() == 1
    again.connect(7, "192.0.2.1")
    resume = {"token": welcome.message.token, "last_seq": 2}
    again.receive(7, json.dumps({"type": "hello", "version": PROTOCOL_VERSION, "resume": resume}))
    [live] = again.rooms.values()
    assert live.room.seq == 2 and live.room.state.a.limit == 2
    assert again.receive(7, json.dumps(command)) == [Send(7, Ack(id="k", seq=2))]  # no twice
    lines = {"type": "command", "id": "m", "command": {"type": "set_limit", "limit": 3}}
    assert acked(again.receive(7, json.dumps(lines)), 7) == ("m", 3)
    assert len(again.store.load(live.room.id).events) == 3
    again.store.close()


async def test_a_whole_game_through_a_relay_on_either_records(relay_db: str) -> None:
    server = await start_relay(port=0, db=relay_db, decks={"test-deck": make_deck()})
    try:
        if not server._relay.store.shared:  # a file is one relay's alone
            with pytest.raises(ListenError, match="another relay is using"):
                await start_relay(port=0, db=relay_db)
        sam, ben = await pair(server.url)
        await start(sam, ben)
        await turn(sam, ben, {"type": "mark_supported", "felt": ["understood"]})
        view = await act(sam, ben, {"type": "end"})
        assert view.phase == "finished"
        record = await sam.expect(Record)
        assert [logged.seq for logged in record.events] == list(range(1, view.seq + 1))
        limits = [e.event for e in record.events if isinstance(e.event, LimitSet)]
        assert limits and all(limit.limit == 0 and not limit.lines for limit in limits)
        await sam.close()
        await ben.close()
    finally:
        await server.close()


def test_an_unreachable_database_is_one_clear_line(postgres: Cluster) -> None:
    url = postgres.url("no_such_database")
    with pytest.raises(StoreError) as failure:
        PostgresRelayStore(url)
    assert str(failure.value).startswith(f"cannot open the records at {url}: ")
    assert "\n" not in str(failure.value)


def test_a_lost_database_is_tried_again_after_a_pause_not_on_every_call(
    postgres: Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = PostgresRelayStore(postgres.fresh())
    store.close()  # as if the connection were lost, and the server gone too
    store.url = postgres.url().replace(f":{postgres.port}/", ":9/")
    tries: list[str] = []
    connect = records_postgres.psycopg.connect

    def counted(url: str, **options: Any) -> Any:
        tries.append(url)
        return connect(url, **options)

    monkeypatch.setattr(records_postgres.psycopg, "connect", counted)
    for _ in range(3):  # the relay's event loop waits for each try
        with pytest.raises(StoreError):
            store.reserve_number(100.0)
    assert len(tries) == 1
    store._retry_at = 0.0  # as once `RETRY_SECONDS` have passed
    with pytest.raises(StoreError):
        store.reserve_number(100.0)
    assert len(tries) == 2


@pytest.mark.parametrize(
    ("url", "logged"),
    [
        ("postgresql://relay:s3cret@db:5432/relay", "postgresql://relay@db:5432/relay"),
        (
            "postgresql://db/relay?sslmode=require&password=s3cret",
            "postgresql://db/relay?sslmode=require",
        ),
        ("postgresql://relay@db/relay", "postgresql://relay@db/relay"),
    ],
)
def test_a_database_url_is_logged_without_its_password(url: str, logged: str) -> None:
    assert shown(url) == logged


def test_a_seat_taken_back_keeps_its_old_token_as_moved(records: RelayRecords) -> None:
    _room(records)
    records.add_seat("g1", Seat.A, token_hash("old"), 1.0)
    for _ in range(2):  # the same move twice is kept once
        records.move_seat("g1", Seat.A, token_hash("new"), token_hash("old"))
    assert records.rooms()[0].tokens == {Seat.A: token_hash("new")}
    assert records.moved_tokens() == [("g1", Seat.A, token_hash("old"))]
    records.remove_room("g1")
    assert records.moved_tokens() == []
