"""The relay in this process, on a free loopback port, with raw websockets clients."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import socket
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from conftest import make_deck
from reciprocity_server.admission import JOIN_SECONDS
from reciprocity_server.decks import DeckShelf
from reciprocity_server.limits import JOIN_FAILURES
from reciprocity_server.outputs import Close, Encoded, Output, Send
from reciprocity_server.records import RelayStore
from reciprocity_server.relay import UNJOINED_MINUTES, Relay
from reciprocity_server.schema import schema_text
from reciprocity_server.serve import ListenError, RelayServer, start_relay
from relay_client import Client, act, pair, start, turn
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from reciprocity.cli.parser import build_parser
from reciprocity.deck_files import shipped_decks_dir
from reciprocity.engine import Seat
from reciprocity.game.history import past_games
from reciprocity.net.codes import WORDS
from reciprocity.protocol import (
    MAX_FRAME,
    PROTOCOL_VERSION,
    Ack,
    Error,
    PartnerKey,
    Record,
    ViewDelta,
    Welcome,
    Words,
)
from reciprocity.records.store import Store, StoreError
from reciprocity.seat_view import SeatView

pytestmark = pytest.mark.timeout(30)

SECRET = "my-secret-words-8d1f"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """The relay's database file."""
    return tmp_path / "relay.sqlite3"


@pytest.fixture
async def relay(db: Path) -> AsyncIterator[RelayServer]:
    """A relay on a free loopback port that also offers the test deck."""
    server = await start_relay(port=0, db=db, decks={"test-deck": make_deck()})
    yield server
    await server.close()


def db_bytes(db: Path) -> bytes:
    """Everything SQLite has written: the database, its write-ahead log and shared memory."""
    return b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*"))


async def test_a_whole_game_with_the_repair_loop(
    relay: RelayServer, db: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    sam, ben = await pair(relay.url)
    assert sam.welcome and ben.welcome and sam.welcome.number == ben.welcome.number
    number = sam.welcome.number
    assert 1 <= number <= 9999
    assert (sam.welcome.seat, ben.welcome.seat) == ("a", "b")
    await start(sam, ben)

    view = await turn(sam, ben, {"type": "mark_stung"}, {"type": "name_hurt"}, {"type": "repair"})
    assert view.phase == "forgive"
    view = await act(sam, ben, {"type": "forgive"})
    assert view.last_outcome == "repaired" and view.sharer == "b"
    view = await turn(ben, sam, {"type": "mark_supported", "felt": ["understood"]})
    assert view.last_outcome == "supported"
    view = await turn(sam, ben, {"type": "mark_stung"}, {"type": "name_hurt"}, {"type": "let_go"})
    assert view.last_outcome == "unrepaired"
    view = await act(ben, sam, {"type": "end"})
    assert view.phase == "finished" and view.summary is not None
    assert sam.seat_view.summary == ben.seat_view.summary
    assert sam.seat_view.summary is not None and sam.seat_view.summary.turns == 3

    # Each seat is sent the finished game's log for its own history, limits and lines blanked.
    records = [await sam.expect(Record), await ben.expect(Record)]
    assert records[0] == records[1] and records[0].deck.id == "test-deck"
    assert [logged.seq for logged in records[0].events] == list(range(1, view.seq + 1))
    limits = [e.event for e in records[0].events if e.event.type == "limit_set"]
    assert len(limits) == 2 and all(e.limit == 0 and not e.lines for e in limits)
    assert "family" not in records[0].model_dump_json(include={"events"})

    # Each seat saw its own private choices and never the partner's.
    assert sam.seat_view.me.limit == 3 and ben.seat_view.me.lines == ("family",)
    assert "family" not in sam.seat_view.model_dump_json(exclude={"tags"})
    assert ben.seat_view.me.limit == 2

    stored = Store(db)
    events = stored.events(past_games(stored)[0].id)
    assert len(events) == sam.seat_view.seq == ben.seat_view.seq
    stored.close()
    logged = caplog.text
    for outcome in ("game started", "turn ended repaired", "turn ended supported", "game ended"):
        assert f"room {number}: {outcome}" in logged
    assert sam.welcome.token not in logged and ben.welcome.token not in logged


async def test_words_are_forwarded_and_never_stored_or_logged(
    relay: RelayServer, db: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    sam, ben = await pair(relay.url)
    await sam.send({"type": "say", "payload": SECRET})
    words = await ben.expect(Words)
    assert (words.seat, words.payload) == ("a", SECRET)
    await ben.send({"type": "say", "payload": SECRET + " too"})
    assert (await sam.expect(Words)).payload == SECRET + " too"
    await act(sam, ben, {"type": "set_limit", "limit": 2})  # something committed after
    await sam.close()
    await ben.close()
    await relay.close()
    assert SECRET.encode() not in db_bytes(db)
    assert SECRET not in caplog.text


async def test_words_to_an_absent_partner_are_dropped_quietly(relay: RelayServer) -> None:
    sam = await Client.open(relay.url)
    await sam.hello(create={"deck": "test-deck", "name": "Sam"})
    await sam.send({"type": "say", "payload": "anyone there?"})
    ack = await sam.command({"type": "set_limit", "limit": 1})  # the very next reply
    assert ack.seq == 2


async def test_a_third_joiner_and_a_wrong_number_are_refused(relay: RelayServer) -> None:
    sam, _ben = await pair(relay.url)
    assert sam.welcome is not None
    number = sam.welcome.number
    third = await Client.open(relay.url)
    join = {"type": "hello", "version": PROTOCOL_VERSION, "join": {"number": number, "name": "Kim"}}
    await third.send(join)
    full = await third.error("room_full")
    assert full.message == "This game already has two players."
    await third.send(join | {"join": {"number": number % 9999 + 1, "name": "Kim"}})
    await third.error("no_such_room")


async def test_the_key_exchange_is_forwarded_and_a_late_joiner_gets_the_hosts_message(
    relay: RelayServer,
) -> None:
    sam = await Client.open(relay.url)
    welcome = await sam.hello(create={"deck": "test-deck", "name": "Sam"})
    await sam.send({"type": "key", "step": "pake", "payload": "sam-pake"})
    ben = await Client.open(relay.url)
    assert (await ben.hello(join={"number": welcome.number, "name": "Ben"})).seat == "b"
    kept = await ben.expect(PartnerKey)
    assert (kept.seat, kept.step, kept.payload) == ("a", "pake", "sam-pake")
    await ben.send({"type": "key", "step": "pake", "payload": "ben-pake"})
    assert (await sam.expect(PartnerKey)).payload == "ben-pake"
    await ben.send({"type": "key", "step": "confirm", "payload": "ben-proof"})
    assert (await sam.expect(PartnerKey)).step == "confirm"
    # Until the seated partner's screen says the codes match, the joiner cannot play.
    await ben.send({"type": "command", "id": "x", "command": {"type": "set_limit", "limit": 1}})
    assert "checked" in (await ben.error("hello_first")).message
    not_his = {"type": "code_checked", "matched": True, "pake": "ben-pake", "proof": "ben-proof"}
    await ben.send(not_his)  # not his to say: nothing happens
    # The seated screen's proof goes only in its verdict, to the joiner it names.
    await sam.send({"type": "key", "step": "confirm", "payload": "sam-proof"})
    assert "code_checked" in (await sam.error("bad_message")).message
    await sam.send(
        {"type": "code_checked", "matched": True, "pake": "ben-pake", "proof": "sam-proof"}
    )
    assert (await ben.expect(PartnerKey)).payload == "sam-proof"
    await ben.expect(SeatView)
    await sam.expect(SeatView)
    assert ben.seat_view.b.name == "Ben" and sam.seat_view.b.connected


async def test_a_code_that_did_not_match_frees_the_seat_and_counts_as_a_failed_join(
    relay: RelayServer,
) -> None:
    sam = await Client.open(relay.url)
    welcome = await sam.hello(create={"deck": "test-deck", "name": "Sam"})
    join = {"number": welcome.number, "name": "Kim"}
    guesser = await Client.open(relay.url)
    await guesser.hello(join=join)
    other = await Client.open(relay.url)
    await other.send({"type": "hello", "version": PROTOCOL_VERSION, "join": join})
    assert "just now" in (await other.error("room_full")).message
    await guesser.send({"type": "key", "step": "pake", "payload": "guess"})
    await sam.expect(PartnerKey)
    # A verdict about another exchange (a joiner who has left) does not apply.
    await sam.send(
        {"type": "code_checked", "matched": True, "pake": "earlier", "proof": "stand-in"}
    )
    await sam.send({"type": "code_checked", "matched": False, "pake": "guess"})
    assert "didn't match" in (await guesser.error("code_mismatch")).message
    # A joiner who leaves before the check has spent its guess too. ("Someone is joining just
    # now" was no fault of the one refused: it is not counted.)
    for _ in range(JOIN_FAILURES - 2):
        leaver = await Client.open(relay.url)
        await leaver.hello(join=join)
        await leaver.close()
        await asyncio.sleep(0.05)
    await other.hello(join=join)  # 9 failures so far: the seat was free again
    await sam.admit(other)
    assert other.seat_view.b.name == "Kim"
    late = await Client.open(relay.url)
    await late.send({"type": "hello", "version": PROTOCOL_VERSION, "join": join})
    await late.error("room_full")  # the 10th failure
    await late.send({"type": "hello", "version": PROTOCOL_VERSION, "join": join})
    await late.error("rate_limited")


async def test_a_name_the_partner_has_is_refused_and_the_seat_stays_free(
    relay: RelayServer,
) -> None:
    sam = await Client.open(relay.url)
    welcome = await sam.hello(create={"deck": "test-deck", "name": "Sam"})
    ben = await Client.open(relay.url)
    await ben.send(
        {
            "type": "hello",
            "version": PROTOCOL_VERSION,
            "join": {"number": welcome.number, "name": "sam"},
        }
    )
    assert "different" in (await ben.error("illegal")).message
    await ben.hello(join={"number": welcome.number, "name": "Ben"})
    await sam.admit(ben)


async def test_failed_joins_are_rate_limited_per_address(relay: RelayServer) -> None:
    sam, _ = await pair(relay.url)
    assert sam.welcome is not None
    wrong = {"type": "hello", "version": PROTOCOL_VERSION, "join": {"number": 1, "name": "Kim"}}
    clients = [await Client.open(relay.url) for _ in range(3)]
    numbers = [n for n in range(1, 100) if n != sam.welcome.number][:JOIN_FAILURES]
    for n, number in enumerate(numbers):
        guesser = clients[n % 2]  # two connections, so neither is closed for its errors
        await guesser.send(wrong | {"join": {"number": number, "name": "Kim"}})
        await guesser.error("no_such_room")
    late = clients[2]
    await late.send(wrong)
    limited = await late.error("rate_limited")
    assert "minute" in limited.message
    right = {
        "type": "hello",
        "version": PROTOCOL_VERSION,
        "join": {"number": sam.welcome.number, "name": "Kim"},
    }
    await late.send(right)  # even the right code waits
    await late.error("rate_limited")


async def test_command_ids_are_idempotent(relay: RelayServer, db: Path) -> None:
    sam, ben = await pair(relay.url)
    first = await sam.command({"type": "set_limit", "limit": 3}, "same-id")
    await ben.expect(SeatView)
    again = await sam.command({"type": "set_limit", "limit": 1}, "same-id")
    assert again == first
    # Ben may use the same id for his own command: ids are per seat.
    second = await ben.command({"type": "set_limit", "limit": 2}, "same-id")
    assert second.seq > first.seq
    assert (await sam.expect(SeatView)).me.limit == 3

    # After a restart on the same database, a retry is still answered with the same ack.
    await relay.close()
    async with await start_relay(port=0, db=db, decks={"test-deck": make_deck()}) as restarted:
        back = await Client.open(restarted.url)
        assert sam.welcome is not None
        await back.hello(resume={"token": sam.welcome.token, "last_seq": second.seq})
        assert await back.command({"type": "set_limit", "limit": 1}, "same-id") == first
        assert back.seat_view.seq == second.seq and back.seat_view.me.limit == 3


async def test_an_illegal_command_gets_the_engines_sentence_and_its_id(
    relay: RelayServer,
) -> None:
    sam, ben = await pair(relay.url)
    await start(sam, ben)
    await ben.send({"type": "command", "id": "x1", "command": {"type": "draw"}})
    error = await ben.error("illegal")
    assert (error.id, error.message) == ("x1", "It's Sam's turn to share.")
    await act(sam, ben, {"type": "draw"})  # play goes on


async def test_resume_after_a_drop(relay: RelayServer) -> None:
    sam, ben = await pair(relay.url)
    assert sam.seat_view.b.connected and ben.welcome is not None
    await start(sam, ben)
    last_seq = ben.seat_view.seq
    await ben.ws.close()
    away = await sam.expect(SeatView)
    assert not away.b.connected and away.a.connected and away.seq == last_seq
    await act(sam, None, {"type": "draw"})

    back = await Client.open(relay.url)
    welcome = await back.hello(resume={"token": ben.welcome.token, "last_seq": last_seq})
    assert (welcome.seat, welcome.number, welcome.token) == (
        "b",
        ben.welcome.number,
        ben.welcome.token,
    )
    assert back.seat_view.seq == last_seq + 1 and back.seat_view.phase == "share"
    assert back.seat_view.me.limit == 2 and back.seat_view.a.connected
    assert (await sam.expect(SeatView)).b.connected
    await act(sam, back, {"type": "share"})
    await act(back, sam, {"type": "respond"})


async def test_a_seat_back_after_the_end_is_sent_the_record(relay: RelayServer) -> None:
    sam, ben = await pair(relay.url)
    assert ben.welcome is not None
    await start(sam, ben)
    await turn(sam, ben, {"type": "mark_supported"})
    await ben.ws.close()
    await sam.expect(SeatView)
    await act(sam, None, {"type": "end"})
    record = await sam.expect(Record)

    back = await Client.open(relay.url)
    await back.hello(resume={"token": ben.welcome.token, "last_seq": 0})
    assert back.seat_view.phase == "finished"
    assert await back.expect(Record) == record


async def test_a_second_resume_of_a_seat_replaces_the_first(relay: RelayServer) -> None:
    sam, _ben = await pair(relay.url)
    assert sam.welcome is not None
    again = await Client.open(relay.url)
    await again.hello(resume={"token": sam.welcome.token, "last_seq": 0})
    with pytest.raises(ConnectionClosed):
        while True:
            await sam.recv()
    assert sam.ws.close_code == 4001


async def test_an_unknown_token_or_deck_is_refused(relay: RelayServer) -> None:
    client = await Client.open(relay.url)
    await client.send(
        {"type": "hello", "version": PROTOCOL_VERSION, "resume": {"token": "x" * 32, "last_seq": 0}}
    )
    await client.error("bad_token")
    await client.send(
        {"type": "hello", "version": PROTOCOL_VERSION, "create": {"deck": "nope", "name": "Sam"}}
    )
    await client.error("unknown_deck")
    await client.send(
        {"type": "hello", "version": PROTOCOL_VERSION, "create": {"deck": "../x", "name": "Sam"}}
    )
    await client.error("unknown_deck")
    await client.hello(create={"deck": "first-steps", "name": "Sam"})  # a shipped deck


async def test_bad_input_gets_an_error_and_the_connection_stays_open(relay: RelayServer) -> None:
    client = await Client.open(relay.url)
    await client.send("this is not JSON")
    await client.error("bad_json")
    await client.send({"type": "shout", "loud": True})
    await client.error("bad_message")
    await client.send(
        {"type": "hello", "version": PROTOCOL_VERSION, "create": {"deck": 7, "name": "Sam"}}
    )
    await client.error("bad_message")
    await client.send({"type": "command", "id": "1", "command": {"type": "draw"}})
    await client.error("hello_first")
    await client.send({"type": "say", "payload": "hello?"})
    await client.error("hello_first")
    await client.send({"type": "hello", "version": 99, "join": {"code": "1-a-b", "future": 1}})
    assert "upgrade" in (await client.error("version")).message
    # A client of protocol 1 sent the whole code: it is told to upgrade, not what is wrong.
    await client.send({"type": "hello", "version": 1, "join": {"code": "7-oak-elm", "name": "X"}})
    old = await client.error("version")
    assert old.message == (
        f"This relay needs a newer Reciprocity: it speaks protocol version {PROTOCOL_VERSION}, "
        "not 1. Please upgrade Reciprocity."
    )
    await client.send({"type": "hello", "version": 0, "create": {"deck": "x", "name": "Sam"}})
    await client.error("version")
    welcome = await client.hello(create={"deck": "test-deck", "name": "Sam"})
    await client.send(
        {
            "type": "hello",
            "version": PROTOCOL_VERSION,
            "join": {"number": welcome.number, "name": "X"},
        }
    )
    await client.error("bad_message")


async def test_repeated_misbehaviour_closes_with_1008(relay: RelayServer) -> None:
    sam, ben = await pair(relay.url)
    rude = await Client.open(relay.url)
    for _ in range(9):
        await rude.send("{")
        await rude.error("bad_json")
    await rude.send("{")
    await rude.error("bad_json")
    with pytest.raises(ConnectionClosed):
        await rude.recv()
    assert rude.ws.close_code == 1008
    await act(sam, ben, {"type": "set_limit", "limit": 2})  # nobody else noticed


async def test_an_oversized_frame_closes_only_that_connection(relay: RelayServer) -> None:
    sam, ben = await pair(relay.url)
    big = await Client.open(relay.url)
    await big.send({"type": "say", "payload": "x" * MAX_FRAME})
    with pytest.raises(ConnectionClosed):
        await big.recv()
    assert big.ws.close_code == 1009
    await act(sam, ben, {"type": "set_limit", "limit": 2})


async def test_health_check_answers_plain_http(relay: RelayServer) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", relay.port)
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
    status = await asyncio.wait_for(reader.readline(), 5)
    writer.close()
    await writer.wait_closed()
    assert status.startswith(b"HTTP/1.1 200")


async def test_closing_the_relay_closes_clients_with_1001(relay: RelayServer) -> None:
    sam, ben = await pair(relay.url)
    await relay.close()
    for client in (sam, ben):
        with pytest.raises(ConnectionClosed):
            await client.recv()
        assert client.ws.close_code == 1001


async def test_a_port_in_use_is_one_clear_error(relay: RelayServer, tmp_path: Path) -> None:
    with pytest.raises(ListenError, match=f"port {relay.port} .* already in use"):
        await start_relay(port=relay.port, db=tmp_path / "other.sqlite3")


async def test_a_client_that_stops_reading_is_dropped_and_holds_up_nobody(
    relay: RelayServer,
) -> None:
    sam = await Client.open(relay.url)
    welcome = await sam.hello(create={"deck": "test-deck", "name": "Sam"})
    sock = socket.create_connection(("127.0.0.1", relay.port))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    ben = Client(await connect(relay.url, sock=sock, compression=None, max_queue=1))
    await ben.hello(join={"number": welcome.number, "name": "Ben"})
    await ben.send({"type": "key", "step": "pake", "payload": "ben"})
    await sam.expect(PartnerKey)
    await sam.send({"type": "code_checked", "matched": True, "pake": "ben", "proof": "stand-in"})
    await sam.expect(SeatView)
    dropped = False
    for n in range(1, 101):  # Ben never reads again; Sam's replies keep coming at once
        for _ in range(50):
            await sam.send({"type": "say", "payload": "x" * 4000})
        await sam.send(
            {"type": "command", "id": f"i{n}", "command": {"type": "set_limit", "limit": 1 + n % 2}}
        )
        while not isinstance(reply := await sam.recv(), Error):  # or too fast: go on
            dropped |= isinstance(reply, SeatView) and not reply.b.connected
            if sam.acked is not None and sam.acked.id == f"i{n}":
                break  # the view that acknowledges this command
        if dropped:
            break
    assert dropped, "the relay never dropped the client that stopped reading"


# --- The core, without sockets -----------------------------------------------------------


def test_idle_rooms_expire(db: Path) -> None:
    now = [1000.0]
    relay = Relay(
        RelayStore(db), {"test-deck": make_deck()}.get, idle_hours=1, clock=lambda: now[0]
    )
    relay.connect(1, "192.0.2.1")
    hello = {
        "type": "hello",
        "version": PROTOCOL_VERSION,
        "create": {"deck": "test-deck", "name": "Sam"},
    }
    welcome = relay.receive(1, json.dumps(hello))[0]
    assert isinstance(welcome, Send) and isinstance(welcome.message, Welcome)
    limit = {"type": "command", "id": "l", "command": {"type": "set_limit", "limit": 2}}
    relay.receive(1, json.dumps(limit))
    now[0] += UNJOINED_MINUTES * 60 - 1  # nobody joined: it goes in minutes, not hours
    assert relay.expire() == [] and relay.rooms
    now[0] += 1
    assert relay.expire() == [Close(1, 1001, "this game has expired")]
    assert not relay.rooms and RelayStore(db).rooms() == []
    with sqlite3.connect(db) as records:  # nothing resumes it: its limit is blanked
        [limit] = [b for (b,) in records.execute("SELECT body FROM events") if "limit_set" in b]
    assert '"limit": 0' in limit
    relay.connect(2, "192.0.2.2")
    join = {
        "type": "hello",
        "version": PROTOCOL_VERSION,
        "join": {"number": welcome.message.number, "name": "Ben"},
    }
    [refused] = relay.receive(2, json.dumps(join))
    assert isinstance(refused, Send) and isinstance(refused.message, Error)
    assert refused.message.code == "no_such_room"


def _create(relay: Relay, conn: int, deck: str) -> Send:
    relay.connect(conn, "192.0.2.1")
    hello = {"type": "hello", "version": PROTOCOL_VERSION, "create": {"deck": deck, "name": "Sam"}}
    reply = relay.receive(conn, json.dumps(hello))[0]
    assert isinstance(reply, Send)
    return reply


def test_rooms_share_their_deck_and_see_deck_files_change(db: Path, data_dir: Path) -> None:
    relay = Relay(RelayStore(db), DeckShelf())
    _create(relay, 1, "first-steps")
    _create(relay, 2, "first-steps")
    one, two = (live.room.state.deck for live in relay.rooms.values())
    assert one is two and one.id == "first-steps"

    assert isinstance(_create(relay, 3, "our-deck").message, Error)
    shipped = (shipped_decks_dir() / "first-steps.toml").read_text(encoding="utf-8")
    ours = shipped.replace('id = "first-steps"', 'id = "our-deck"', 1)
    path = data_dir / "decks" / "our-deck.toml"
    path.write_text(ours, encoding="utf-8")
    assert isinstance(_create(relay, 4, "our-deck").message, Welcome)
    path.write_text(ours.replace('title = "First steps"', 'title = "Ours now"', 1), "utf-8")
    assert isinstance(_create(relay, 5, "our-deck").message, Welcome)
    titles = {live.room.state.deck.title for live in relay.rooms.values()}
    assert titles == {"First steps", "Ours now"}


def test_a_waiting_joiner_meets_a_host_who_comes_back_and_leaves_with_an_expired_room(
    db: Path,
) -> None:
    now = [1000.0]
    relay = Relay(
        RelayStore(db), {"test-deck": make_deck()}.get, idle_hours=1, clock=lambda: now[0]
    )

    def say(conn: int, message: dict[str, object]) -> list[Output]:
        return relay.receive(conn, json.dumps(message))

    relay.connect(1, "192.0.2.1")
    create = {"deck": "test-deck", "name": "Sam"}
    welcome = say(1, {"type": "hello", "version": PROTOCOL_VERSION, "create": create})[0]
    assert isinstance(welcome, Send) and isinstance(welcome.message, Welcome)
    relay.disconnect(1)  # Sam's screen drops before anyone joins
    relay.connect(2, "192.0.2.2")
    join = {"number": welcome.message.number, "name": "Ben"}
    [welcomed] = say(2, {"type": "hello", "version": PROTOCOL_VERSION, "join": join})
    assert isinstance(welcomed.message, Welcome) and welcomed.message.seat == "b"
    assert say(2, {"type": "key", "step": "pake", "payload": "ben"}) == []  # nobody to tell
    # Sam comes back: he gets Ben's kept message with his view, and can check the code.
    relay.connect(3, "192.0.2.1")
    resume = {"token": welcome.message.token, "last_seq": 1}
    back = say(3, {"type": "hello", "version": PROTOCOL_VERSION, "resume": resume})
    assert Send(3, PartnerKey(seat=Seat.B, step="pake", payload="ben")) in back
    assert say(3, {"type": "key", "step": "pake", "payload": "sam"}) == [
        Send(2, PartnerKey(seat=Seat.A, step="pake", payload="sam"))
    ]
    now[0] += 3600
    assert sorted(relay.expire(), key=lambda out: out.conn) == [
        Close(2, 1001, "this game has expired"),
        Close(3, 1001, "this game has expired"),
    ]


def test_rooms_come_back_from_the_records(db: Path) -> None:
    relay = Relay(RelayStore(db), {"test-deck": make_deck()}.get)
    relay.connect(1, "192.0.2.1")
    hello = {
        "type": "hello",
        "version": PROTOCOL_VERSION,
        "create": {"deck": "test-deck", "name": "Sam"},
    }
    welcome = relay.receive(1, json.dumps(hello))[0]
    command = {"type": "command", "id": "k", "command": {"type": "set_limit", "limit": 2}}
    ack = relay.receive(1, json.dumps(command))[0]
    assert isinstance(welcome, Send) and isinstance(welcome.message, Welcome)
    assert isinstance(ack, Send) and isinstance(ack.message, Encoded)
    delta = ack.message.decoded()
    assert isinstance(delta, ViewDelta) and (delta.ack, delta.seq) == ("k", 2)

    again = Relay(RelayStore(db))
    assert again.restore() == 1
    [live] = again.rooms.values()
    assert live.number == welcome.message.number and live.room.seq == 2
    assert live.room.state == relay.rooms[live.number].room.state
    again.connect(7, "192.0.2.1")
    resume = {
        "type": "hello",
        "version": PROTOCOL_VERSION,
        "resume": {"token": welcome.message.token, "last_seq": 2},
    }
    again.receive(7, json.dumps(resume))
    assert again.receive(7, json.dumps(command)) == [Send(7, Ack(id="k", seq=2))]


def test_the_word_list_is_long_and_plain() -> None:
    assert len(WORDS) >= 256 and len(set(WORDS)) == len(WORDS)
    assert all(re.fullmatch(r"[a-z]{2,12}", word) for word in WORDS)


def test_the_committed_protocol_schema_is_current() -> None:
    committed = Path(__file__).parent.parent / "docs" / "protocol.schema.json"
    assert committed.read_text() == schema_text(), (
        "docs/protocol.schema.json is stale: regenerate it with "
        "`uv run python -m reciprocity_server.schema > docs/protocol.schema.json`"
    )


def test_the_command_line_takes_an_idle_time_and_refuses_a_bad_one(
    capsys: pytest.CaptureFixture[str],
) -> None:
    parser = build_parser()
    assert parser.parse_args(["serve"]).idle_hours == 24
    assert parser.parse_args(["serve", "--idle-hours", "0.5"]).idle_hours == 0.5
    for bad, why in [("soon", "'soon' is not a number of hours"), ("0", "above 0")]:
        with pytest.raises(SystemExit) as refused:
            parser.parse_args(["serve", "--idle-hours", bad])
        assert refused.value.code == 2 and why in capsys.readouterr().err
    assert parser.parse_args(["join", "7-amber-harbor", "--aloud"]).aloud
    assert not parser.parse_args(["host"]).aloud


async def test_a_relay_started_afresh_forgets_the_rooms_left_in_its_database(db: Path) -> None:
    first = Relay(RelayStore(db), {"test-deck": make_deck()}.get)
    welcome = _create(first, 1, "test-deck").message
    assert isinstance(welcome, Welcome)
    limit = {"type": "command", "id": "l", "command": {"type": "set_limit", "limit": 2}}
    first.receive(1, json.dumps(limit))
    server = await start_relay(port=0, db=db, decks={"test-deck": make_deck()}, restore=False)
    try:
        async with connect(server.url) as websocket:
            resume = {"token": welcome.token, "last_seq": 1}
            hello = {"type": "hello", "version": PROTOCOL_VERSION, "resume": resume}
            await websocket.send(json.dumps(hello))
            reply = json.loads(await websocket.recv())
        assert reply["type"] == "error" and reply["code"] == "bad_token"
        assert RelayStore(db).rooms() == []
        with sqlite3.connect(db) as records:  # the forgotten game keeps no limit
            bodies = [b for (b,) in records.execute("SELECT body FROM events")]
        assert ['"limit": 0' in b for b in bodies if "limit_set" in b] == [True]
    finally:
        await server.close()


def test_the_command_line_refuses_a_port_that_is_not_one(
    capsys: pytest.CaptureFixture[str],
) -> None:
    parser = build_parser()
    assert parser.parse_args(["serve", "--port", "9000"]).port == 9000
    for command in (["serve"], ["host"], ["facilitate", "--deck", "d", "--pairs", "2"]):
        for bad, why in [("70000", "70000 is not a port"), ("http", "'http' is not a port")]:
            with pytest.raises(SystemExit) as refused:
                parser.parse_args([*command, "--port", bad])
            assert refused.value.code == 2 and why in capsys.readouterr().err


async def test_one_failed_sweep_does_not_end_the_sweeping(
    db: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from reciprocity_server import serve

    monkeypatch.setattr(serve, "SWEEP_SECONDS", 0.01)
    server = await start_relay(port=0, db=db)
    sweeps: list[int] = []

    def expire() -> list[Output]:
        sweeps.append(1)
        if len(sweeps) == 1:
            raise OSError("disk trouble")
        return []

    monkeypatch.setattr(server._relay, "expire", expire)
    try:
        with caplog.at_level(logging.ERROR, logger="reciprocity_server"):
            for _ in range(200):
                if len(sweeps) >= 3:
                    break
                await asyncio.sleep(0.01)
        assert len(sweeps) >= 3
        assert "internal error in _expire (OSError)" in caplog.text
        assert "disk trouble" not in caplog.text
    finally:
        await server.close()


class KeyRoom:
    """A relay core with Sam seated in a room, for the key exchange's rules; `say` sends one
    message from a connection, and `join` brings a new joiner (connections from 2 on)."""

    def __init__(self, db: Path) -> None:
        self.now = 1000.0
        self.relay = Relay(RelayStore(db), {"test-deck": make_deck()}.get, clock=lambda: self.now)
        welcome = _create(self.relay, 1, "test-deck").message
        assert isinstance(welcome, Welcome)
        self.number, self.token = welcome.number, welcome.token

    def say(self, conn: int, message: dict[str, object]) -> list[Output]:
        return self.relay.receive(conn, json.dumps(message))

    def key(self, conn: int, step: str, payload: str) -> list[Output]:
        return self.say(conn, {"type": "key", "step": step, "payload": payload})

    def join(self, conn: int, address: str = "192.0.2.9") -> list[Output]:
        self.relay.connect(conn, address)
        join = {"number": self.number, "name": "Ben"}
        return self.say(conn, {"type": "hello", "version": PROTOCOL_VERSION, "join": join})


def _errors(outputs: list[Output]) -> list[str]:
    return [
        o.message.message for o in outputs if isinstance(o, Send) and isinstance(o.message, Error)
    ]


def test_a_joiner_gets_one_try_and_uses_up_the_seated_message(db: Path) -> None:
    room = KeyRoom(db)
    assert room.key(1, "pake", "sam-1") == []  # nobody waits yet: kept for the joiner
    welcomed = room.join(2)
    assert Send(2, PartnerKey(seat=Seat.A, step="pake", payload="sam-1")) in welcomed
    assert room.key(2, "pake", "ben-1") == [
        Send(1, PartnerKey(seat=Seat.B, step="pake", payload="ben-1"))
    ]
    # A second message from the same joiner would be a second guess: it is turned away.
    assert _errors(room.key(2, "pake", "ben-2")) == [
        "One try at the code per join. Please join again."
    ]
    assert room.relay.limits.failures("192.0.2.9")
    # The next joiner does not get Sam's used message; it gets his fresh one when it comes.
    assert not [
        o for o in room.join(3) if isinstance(o, Send) and isinstance(o.message, PartnerKey)
    ]
    assert room.key(1, "pake", "sam-2") == [
        Send(3, PartnerKey(seat=Seat.A, step="pake", payload="sam-2"))
    ]
    # A proof before a message breaks the order, and is turned away too.
    assert _errors(room.key(3, "confirm", "proof")) == [
        "One try at the code per join. Please join again."
    ]
    assert room.relay.limits.failures("192.0.2.9") == 2


def test_a_seated_screen_back_gets_the_waiting_joiners_message_and_proof(db: Path) -> None:
    room = KeyRoom(db)
    room.relay.disconnect(1)
    room.join(2)
    assert room.key(2, "pake", "ben-1") == [] and room.key(2, "confirm", "ben-proof") == []
    room.relay.connect(5, "192.0.2.1")
    resume = {"token": room.token, "last_seq": 1}
    back = room.say(5, {"type": "hello", "version": PROTOCOL_VERSION, "resume": resume})
    keys = [o.message for o in back if isinstance(o, Send) and isinstance(o.message, PartnerKey)]
    assert [(k.step, k.payload) for k in keys] == [("pake", "ben-1"), ("confirm", "ben-proof")]


def test_a_joiner_who_never_answers_loses_the_seat_to_someone_else_after_a_while(
    db: Path,
) -> None:
    room = KeyRoom(db)
    room.join(2, "198.51.100.7")  # joins while Sam's screen is away, then says nothing
    room.now += JOIN_SECONDS * 10
    # Until it has Sam's message to answer, the joiner is not late; nor does waiting count.
    assert _errors(room.join(3)) == [
        "Someone is joining this game just now. Please try again in a minute."
    ]
    assert room.relay.limits.failures("192.0.2.9") == 0
    room.key(1, "pake", "sam-1")  # Sam's screen is there: now the joiner could answer
    room.now += JOIN_SECONDS - 1
    assert _errors(room.join(4))[0].startswith("Someone is joining")
    room.now += 1
    # The joiner's own address cannot push it out and start the clock again...
    assert _errors(room.join(5, "198.51.100.7"))[0].startswith("Someone is joining")
    # ...but anyone else may now take its place.
    taken = room.join(6)
    assert _errors(taken) == ["The code was not checked in time. Please join again."]
    assert next(o.conn for o in taken if isinstance(o, Send)) == 2
    assert any(isinstance(o, Send) and isinstance(o.message, Welcome) for o in taken)
    assert room.relay.rooms[room.number].joiner.conn == 6  # type: ignore[union-attr]
    assert room.relay.limits.failures("198.51.100.7") == 1


def test_a_message_an_earlier_joiner_sent_cannot_be_sent_again(db: Path) -> None:
    room = KeyRoom(db)
    room.key(1, "pake", "sam-1")
    room.join(2)
    room.key(2, "pake", "ben-1")
    room.relay.disconnect(2)  # gone before its proof: its message stays spent
    room.key(1, "pake", "sam-2")
    room.join(3, "203.0.113.5")
    assert _errors(room.key(3, "pake", "ben-1")) == [
        "One try at the code per join. Please join again."
    ]


def test_failed_joins_count_against_an_ipv6_network_as_one(db: Path) -> None:
    relay = Relay(RelayStore(db))
    join = {"type": "hello", "version": PROTOCOL_VERSION, "join": {"number": 42, "name": "Kim"}}
    for n in range(JOIN_FAILURES):
        relay.connect(n, f"2001:db8:1:2::{n + 1:x}")  # one /64, ten addresses
        assert _errors(relay.receive(n, json.dumps(join)))[0].startswith("No game has that code")
    relay.connect(99, "2001:db8:1:2:ffff::1")
    assert _errors(relay.receive(99, json.dumps(join)))[0].startswith("Too many wrong codes")
    relay.connect(100, "2001:db8:1:3::1")  # the next /64 is someone else
    assert _errors(relay.receive(100, json.dumps(join)))[0].startswith("No game has that code")
    relay.connect(101, "::ffff:192.0.2.1")  # IPv4 as IPv6: counted as that IPv4 address
    relay.receive(101, json.dumps(join))
    assert relay.limits.failures("192.0.2.1") == 1


def test_rooms_brought_back_after_a_restart_share_their_deck(db: Path) -> None:
    relay = Relay(RelayStore(db), {"test-deck": make_deck()}.get)
    for conn in (1, 2):
        _create(relay, conn, "test-deck")
    again = Relay(RelayStore(db))
    assert again.restore() == 2
    one, two = (live.room.state.deck for live in again.rooms.values())
    assert one is two and one == make_deck()


def test_an_admission_that_cannot_be_saved_keeps_the_seated_message_for_the_next(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    room = KeyRoom(db)
    room.key(1, "pake", "sam-1")
    room.join(2)
    room.key(2, "pake", "ben-1")
    room.key(2, "confirm", "ben-proof")
    room.key(1, "pake", "sam-2")  # Sam's fresh message, for whoever comes next
    live = room.relay.rooms[room.number]

    def full_disk(seat: Seat, command: object) -> None:
        raise StoreError("cannot write the records: database or disk is full")

    monkeypatch.setattr(live.room, "submit", full_disk)
    verdict = {"type": "code_checked", "matched": True, "pake": "ben-1", "proof": "sam-proof"}
    assert _errors(room.say(1, verdict)) == ["The relay could not save that. Please try again."]
    monkeypatch.undo()
    welcomed = room.join(3, "203.0.113.5")  # the next joiner still gets Sam's fresh message
    assert Send(3, PartnerKey(seat=Seat.A, step="pake", payload="sam-2")) in welcomed


def test_the_protocol_schema_is_one_standard_document_that_checks_real_frames() -> None:
    import jsonschema

    from reciprocity.engine import Draw, Join, SetLimit
    from reciprocity.game.room import Room
    from reciprocity.protocol import SERVER

    schema = json.loads(schema_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    assert '"discriminator"' not in schema_text()
    validator = jsonschema.Draft202012Validator(schema)
    room = Room.create(make_deck(), None, checkin=False)
    room.submit(Seat.A, Join(name="Sam"))
    room.submit(Seat.B, Join(name="Ben"))
    for seat in Seat:
        room.submit(seat, SetLimit(limit=2))
    room.submit(Seat.A, Draw())
    frames = [
        {"type": "hello", "version": PROTOCOL_VERSION, "join": {"number": 7, "name": "Ben"}},
        {"type": "command", "id": "c-1", "command": {"type": "draw", "level": None}},
        json.loads(SERVER.dump_json(room.view(Seat.A))),
        {"type": "ack", "id": "c-1", "seq": 5},
        {"type": "delta", "seq": 6, "since": 5, "ack": "c-2", "changes": {"phase": "respond"}},
        {"type": "view_please"},
    ]
    for frame in frames:
        validator.validate(frame)  # every $ref resolves from the file alone
    wrong = {"type": "hello", "version": str(PROTOCOL_VERSION), "join": {"number": 7, "name": "B"}}
    assert not validator.is_valid(wrong)
