"""Hostile input through the relay's core: a strict wire, and errors that count."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import make_deck
from reciprocity_server import relay as relay_module
from reciprocity_server.limits import COMMAND_WINDOW, CONNECTION_ERRORS, CREATE_WINDOW
from reciprocity_server.outputs import RECORD_BYTES, Close, Output, Send
from reciprocity_server.quotas import COMMANDS, CREATES
from reciprocity_server.records import RelayStore
from reciprocity_server.relay import (
    CLOSING_EVENTS,
    MAX_EVENTS,
    UNJOINED_MINUTES,
    Relay,
)

from reciprocity.deck import load_deck
from reciprocity.deck_files import shipped_decks_dir
from reciprocity.engine import Joined, Seat
from reciprocity.engine.names import MAX_NAME
from reciprocity.protocol import PROTOCOL_VERSION, Error, LoggedEvent, Record, Welcome

pytestmark = pytest.mark.timeout(30)

GOOD_JOIN = '{"type":"hello","version":%s,"join":{"number":%s,"name":"Ben"}}'


class Core:
    """A relay core on a clock the test moves, with the test deck."""

    def __init__(self, db: Path) -> None:
        self.now = 1000.0
        self.relay = Relay(RelayStore(db), {"test-deck": make_deck()}.get, clock=lambda: self.now)

    def send(self, conn: int, frame: str | bytes | dict[str, object]) -> list[Output]:
        raw = json.dumps(frame) if isinstance(frame, dict) else frame
        return self.relay.receive(conn, raw)

    def create(self, conn: int, address: str = "192.0.2.1") -> Welcome:
        self.relay.connect(conn, address)
        create = {"deck": "test-deck", "name": "Sam"}
        first = self.send(conn, {"type": "hello", "version": PROTOCOL_VERSION, "create": create})
        assert isinstance(first[0], Send) and isinstance(first[0].message, Welcome), first
        return first[0].message


def codes(outputs: list[Output]) -> list[str]:
    """The error codes among the outputs."""
    return [o.message.code for o in outputs if isinstance(o, Send) and isinstance(o.message, Error)]


@pytest.fixture
def core(tmp_path: Path) -> Core:
    return Core(tmp_path / "relay.sqlite3")


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ('{"type":"hello","version":5,', "bad_json"),
        ('{"type":"hello","version":"5","join":{"number":NUMBER,"name":"Ben"}}', "bad_message"),
        ('{"type":"hello","version":5.0,"join":{"number":NUMBER,"name":"Ben"}}', "bad_message"),
        ('{"type":"hello","version":5,"join":{"number":true,"name":"Ben"}}', "bad_message"),
        ('{"type":"hello","version":5,"join":{"number":NUMBER.0,"name":"Ben"}}', "bad_message"),
        (
            '{"type":"say","type":"hello","version":5,"join":{"number":NUMBER,"name":"B"}}',
            "bad_json",
        ),
        ('{"type":"hello","version":5,"join":{"number":Infinity,"name":"Ben"}}', "bad_json"),
        ('{"type":"hello","version":5,"join":{"number":NaN,"name":"Ben"}}', "bad_json"),
    ],
)
def test_the_wire_is_strict(core: Core, frame: str, code: str) -> None:
    number = core.create(1).number
    core.relay.connect(2, "192.0.2.2")
    frame = frame.replace("NUMBER", str(number)).replace(
        '"version":5', f'"version":{PROTOCOL_VERSION}'
    )
    assert codes(core.send(2, frame)) == [code]
    assert core.relay._peers[2].room is None  # nothing was taken as a join


def test_strict_booleans_and_binary_frames(core: Core) -> None:
    core.create(1)
    checked = {"type": "code_checked", "matched": "yes", "pake": "p", "proof": "q"}
    assert codes(core.send(1, checked)) == ["bad_message"]
    core.relay.connect(2, "192.0.2.2")
    join = GOOD_JOIN % (PROTOCOL_VERSION, core.relay.rooms.popitem()[0])
    assert codes(core.relay.receive(2, join.encode())) == ["bad_json"]


def test_every_error_a_connection_causes_counts_toward_its_close(core: Core) -> None:
    number = core.create(1).number
    core.relay.connect(2, "192.0.2.2")
    hello = {
        "type": "hello",
        "version": PROTOCOL_VERSION,
        "join": {"number": number, "name": "Ben"},
    }
    outputs: list[Output] = []
    for attempt in range(CONNECTION_ERRORS):
        core.send(2, hello)
        core.send(1, {"type": "key", "step": "pake", "payload": f"sam-{attempt}"})
        core.send(2, {"type": "key", "step": "pake", "payload": f"ben-{attempt}"})
        checked = {"type": "code_checked", "matched": False, "pake": f"ben-{attempt}"}
        outputs = core.send(1, checked)
        assert codes(outputs) == ["code_mismatch"]
    assert Close(2, 1008, "too many errors") in outputs


def test_creates_are_limited_per_address_and_per_ipv6_64(core: Core) -> None:
    for conn in range(1, CREATES + 1):
        core.create(conn, f"2001:db8::{conn:x}")
    core.relay.connect(100, "2001:db8::ffff")  # the same /64
    create = {"deck": "test-deck", "name": "Sam"}
    hello = {"type": "hello", "version": PROTOCOL_VERSION, "create": create}
    assert codes(core.send(100, hello)) == ["rate_limited"]
    core.create(101, "2001:db8:0:1::1")  # another /64
    core.create(102, "192.0.2.5")
    core.now += CREATE_WINDOW
    core.send(100, hello)
    assert core.relay._peers[100].room is not None


def test_a_room_nobody_joined_expires_within_minutes(core: Core) -> None:
    alone = core.create(1).number
    joined = core.create(2).number
    core.relay.connect(3, "192.0.2.3")
    join = {"number": joined, "name": "Ben"}
    core.send(3, {"type": "hello", "version": PROTOCOL_VERSION, "join": join})
    core.send(3, {"type": "key", "step": "pake", "payload": "ben"})
    checked = {"type": "code_checked", "matched": True, "pake": "ben", "proof": "p"}
    core.send(2, checked)
    _, session = core.relay.start_session(make_deck(), 1)
    core.now += UNJOINED_MINUTES * 60 - 1
    assert core.relay.expire() == []
    core.now += 1
    assert core.relay.expire() == [Close(1, 1001, "this game has expired")]
    assert set(core.relay.rooms) == {joined, *session} and alone not in core.relay.rooms
    core.now += 24 * 3600  # a joined room, or a session's, lasts the idle hours
    assert set(core.relay.expire()) == {Close(c, 1001, "this game has expired") for c in (2, 3)}


def test_a_connection_without_a_hello_is_closed_when_due(core: Core) -> None:
    core.create(1)
    core.relay.connect(2, "192.0.2.2")
    core.send(2, "not a hello")
    assert core.relay.hello_due(1) == []
    assert core.relay.hello_due(2) == [Close(2, 1008, "no hello")]


def seated_pair(core: Core) -> None:
    """Sam (connection 1) and Ben (2) in a started game without check-ins."""
    core.relay.connect(1, "192.0.2.1")
    create = {"deck": "test-deck", "name": "Sam", "checkin": False}
    welcome = core.send(1, {"type": "hello", "version": PROTOCOL_VERSION, "create": create})[0]
    assert isinstance(welcome, Send) and isinstance(welcome.message, Welcome)
    core.relay.connect(2, "192.0.2.2")
    join = {"number": welcome.message.number, "name": "Ben"}
    core.send(2, {"type": "hello", "version": PROTOCOL_VERSION, "join": join})
    core.send(2, {"type": "key", "step": "pake", "payload": "ben"})
    core.send(1, {"type": "code_checked", "matched": True, "pake": "ben", "proof": "p"})
    for conn in (1, 2):
        assert codes(command(core, conn, {"type": "set_limit", "limit": 2})) == []


def command(core: Core, conn: int, body: dict[str, object]) -> list[Output]:
    core.now += 0.001
    return core.send(conn, {"type": "command", "id": f"c{core.now}", "command": body})


def test_commands_per_seat_are_limited_calmly(core: Core) -> None:
    seated_pair(core)
    core.now += COMMAND_WINDOW
    replies = [codes(command(core, 1, {"type": "pause"})) for _ in range(COMMANDS + 5)]
    assert all(reply in ([], ["illegal"]) for reply in replies[:COMMANDS])
    assert replies[COMMANDS:] == [["rate_limited"]] * 5
    assert core.relay._peers[1].room is not None  # not closed: it was only too fast
    core.now += COMMAND_WINDOW
    assert codes(command(core, 1, {"type": "ready"})) == []


def test_a_game_ends_calmly_at_its_length_and_its_record_fits(
    core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(relay_module, "MAX_EVENTS", 40)
    seated_pair(core)
    records = []
    for _ in range(40):
        for conn, body in ((1, "pause"), (1, "ready"), (2, "ready")):
            outputs = command(core, conn, {"type": body})
            records += [o for o in outputs if isinstance(o, Send) and isinstance(o.message, Record)]
        core.now += COMMAND_WINDOW
    room = next(iter(core.relay.rooms.values())).room
    assert room.state.phase == "finished" and len(records) == 2
    assert relay_module.MAX_EVENTS <= room.seq <= relay_module.MAX_EVENTS + CLOSING_EVENTS
    assert codes(command(core, 1, {"type": "pause"})) == ["illegal"]


def test_the_longest_record_fits_a_clients_frame() -> None:
    deck = max(
        (load_deck(path) for path in shipped_decks_dir().glob("*.toml")),
        key=lambda deck: len(deck.model_dump_json()),
    )
    longest = Joined(seat=Seat.B, name="\U0001d54f" * MAX_NAME)
    events = tuple(
        LoggedEvent(seq=seq, at=1_800_000_000.123456, event=longest)
        for seq in range(1, MAX_EVENTS + CLOSING_EVENTS + 1)
    )
    record = Record(deck=deck, seed=2**31 - 1, checkin=True, events=events)
    assert len(record.model_dump_json().encode()) <= RECORD_BYTES < 2**20


def test_a_sessions_players_may_share_one_address(core: Core) -> None:
    before = core.relay.limits.quotas.connections
    core.relay.start_session(make_deck(), 30)
    assert core.relay.limits.quotas.connections == before + 60
