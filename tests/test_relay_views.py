"""Protocol 6's views: a command costs two frames out (the ack rides in the sender's delta),
deltas followed from a whole view make exactly the whole view, and a gap asks for it again."""

from __future__ import annotations

import json
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from conftest import make_deck
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reciprocity_server.outputs import Output, Send, frame
from reciprocity_server.quotas import DEFAULT_QUOTAS
from reciprocity_server.records import RelayStore
from reciprocity_server.relay import Relay

from reciprocity.engine import Seat
from reciprocity.net.client import PlayerCore
from reciprocity.net.connection import ViewChanged
from reciprocity.net.deltas import FollowedView
from reciprocity.protocol import (
    PROTOCOL_VERSION,
    SERVER,
    Ack,
    CreateRoom,
    ServerMessage,
    ViewDelta,
    ViewPlease,
    Welcome,
)
from reciprocity.seat_view import SeatView

#: Every command a seat may send, with arguments, legal or not.
COMMANDS: list[dict[str, Any]] = [
    {"type": "set_limit", "limit": 1},
    {"type": "set_limit", "limit": 3, "lines": ["family"]},
    {"type": "check_in", "score": 4},
    {"type": "draw"},
    {"type": "draw", "level": 1},
    {"type": "draw", "level": 2},
    {"type": "share"},
    {"type": "pass"},
    {"type": "respond"},
    {"type": "mark_supported", "felt": ["understood"]},
    {"type": "mark_stung"},
    {"type": "name_hurt"},
    {"type": "repair"},
    {"type": "let_go"},
    {"type": "forgive"},
    {"type": "not_yet"},
    {"type": "pause"},
    {"type": "ready"},
    {"type": "end"},
]


class Table:
    """A relay core with Sam and Ben seated in one room, each following their own view from
    the frames the relay sends (as a client does)."""

    def __init__(self, db: Path, *, checkin: bool = True) -> None:
        quotas = replace(DEFAULT_QUOTAS, commands=1_000_000)
        self.relay = Relay(RelayStore(db), {"test-deck": make_deck()}.get, quotas=quotas)
        self.followed = {Seat.A: FollowedView(), Seat.B: FollowedView()}
        self.conns = {Seat.A: 1, Seat.B: 2}
        self.ids = iter(range(1, 1_000_000))
        self.relay.connect(1, "192.0.2.1")
        create = {"deck": "test-deck", "name": "Sam", "checkin": checkin}
        hello = {"type": "hello", "version": PROTOCOL_VERSION, "create": create}
        [welcome, *_] = self.take(self.say(Seat.A, hello))
        assert isinstance(welcome, Welcome)
        self.number = welcome.number
        self.tokens = {Seat.A: welcome.token}
        self.relay.connect(2, "192.0.2.2")
        hello = {
            "type": "hello",
            "version": PROTOCOL_VERSION,
            "join": {"number": welcome.number, "name": "Ben"},
        }
        [welcome, *_] = self.take(self.say(Seat.B, hello))
        assert isinstance(welcome, Welcome)
        self.tokens[Seat.B] = welcome.token
        self.take(self.say(Seat.B, {"type": "key", "step": "pake", "payload": "ben"}))
        checked = {"type": "code_checked", "matched": True, "pake": "ben", "proof": "sam"}
        self.take(self.say(Seat.A, checked))

    def say(self, seat: Seat, message: dict[str, Any]) -> list[Send]:
        outputs: list[Output] = self.relay.receive(self.conns[seat], json.dumps(message))
        assert all(isinstance(out, Send) for out in outputs)
        return [out for out in outputs if isinstance(out, Send)]

    def command(self, seat: Seat, command: dict[str, Any]) -> tuple[str, list[Send]]:
        command_id = f"c{next(self.ids)}"
        message = {"type": "command", "id": command_id, "command": command}
        return command_id, self.say(seat, message)

    def take(self, sends: list[Send]) -> list[ServerMessage]:
        """Each seat follows the frames sent to it; the messages, as decoded."""
        seats = {conn: seat for seat, conn in self.conns.items()}
        decoded = []
        for send in sends:
            message = SERVER.validate_json(frame(send.message))
            decoded.append(message)
            if isinstance(message, SeatView | ViewDelta) and send.conn in seats:
                followed = self.followed[seats[send.conn]].follow(message)
                assert isinstance(followed, SeatView), f"a gap at {message!r}"
        return decoded

    def whole(self, seat: Seat) -> SeatView:
        """What the relay would send this seat as a whole view now."""
        live = self.relay.rooms[self.number]
        view = live.room.view(seat)
        connected = {s: s in live.conns for s in Seat}
        return view.model_copy(
            update={
                "a": view.a.model_copy(update={"connected": connected[Seat.A]}),
                "b": view.b.model_copy(update={"connected": connected[Seat.B]}),
            }
        )

    def shown(self, seat: Seat) -> SeatView | None:
        """The view a seat has built from the frames sent to it."""
        return self.followed[seat].view


def test_a_command_costs_two_frames_out_with_the_ack_in_the_senders_view(
    tmp_path: Path,
) -> None:
    table = Table(tmp_path / "relay.sqlite3")
    command_id, sends = table.command(Seat.A, {"type": "set_limit", "limit": 2})
    assert [send.conn for send in sends] == [1, 2]
    mine, theirs = table.take(sends)
    assert isinstance(mine, ViewDelta) and mine.ack == command_id
    assert isinstance(theirs, ViewDelta) and theirs.ack is None
    assert mine.seq == theirs.seq == mine.since + 1
    # Only what changed travels: Sam's limit is his own, Ben sees only that one is set.
    assert mine.changes["me"]["limit"] == 2 and "me" not in theirs.changes
    assert theirs.changes["a"]["limit_set"] is True and "deck_title" not in theirs.changes
    # A retry of the same id changes nothing and is answered with the ack alone.
    retry = {"type": "command", "id": command_id, "command": {"type": "set_limit", "limit": 2}}
    again = table.take(table.say(Seat.A, retry))
    assert again == [Ack(id=command_id, seq=mine.seq)]


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    steps=st.lists(
        st.tuples(
            st.sampled_from([Seat.A, Seat.B]),
            st.one_of(
                st.integers(0, len(COMMANDS) - 1).map(lambda n: ("command", n)),
                st.just(("drop", 0)),
                st.just(("view_please", 0)),
            ),
        ),
        max_size=60,
    ),
    checkin=st.booleans(),
)
def test_any_commands_followed_as_deltas_make_the_whole_view(
    steps: list[tuple[Seat, tuple[str, int]]], checkin: bool
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        table = Table(Path(folder) / "relay.sqlite3", checkin=checkin)
        next_conn = iter(range(10, 10_000))
        for seat, (kind, n) in steps:
            if kind == "command":
                command_id, sends = table.command(seat, COMMANDS[n])
                decoded = table.take(sends)
                deltas = [m for m in decoded if isinstance(m, ViewDelta)]
                if deltas:  # it was legal: a view to each seat (and the record, at the end)
                    assert len(deltas) == 2 and not any(isinstance(m, Ack) for m in decoded)
                    assert [m.ack for m in deltas if m.ack] == [command_id]
            elif kind == "drop":  # the seat's connection drops, and it resumes on a new one
                dropped = table.relay.disconnect(table.conns[seat])
                table.take([send for send in dropped if isinstance(send, Send)])
                conn = table.conns[seat] = next(next_conn)
                table.relay.connect(conn, "192.0.2.3")
                resume = {"token": table.tokens[seat], "last_seq": 0}
                hello = {"type": "hello", "version": PROTOCOL_VERSION, "resume": resume}
                table.take(table.say(seat, hello))
            else:
                table.take(table.say(seat, {"type": "view_please"}))
            for each in Seat:
                assert table.shown(each) == table.whole(each)


def test_a_client_that_finds_a_gap_asks_for_the_whole_view_and_shows_it(
    tmp_path: Path,
) -> None:
    table = Table(tmp_path / "relay.sqlite3")
    sam = PlayerCore("the relay", CreateRoom(deck="test-deck", name="Sam"))
    sam.admitted, sam.token = True, "t" * 32
    live = table.relay.rooms[table.number]
    sam.receive(frame(table.whole(Seat.A)))
    assert [type(o) for o in sam.outputs()] == [ViewChanged]
    # A delta that does not follow on from the view held (one went missing) is a gap.
    _, sends = table.command(Seat.A, {"type": "set_limit", "limit": 2})
    _, sends = table.command(Seat.B, {"type": "set_limit", "limit": 1})
    sam.receive(frame(sends[0].message))
    assert sam.outputs() == []
    assert sam.next_frame() == ViewPlease().model_dump_json()
    sam.frame_sent()
    # A second delta past the gap asks no more; the relay answers the ask with a whole view.
    sam.receive(frame(sends[0].message))
    assert sam.next_frame() is None
    answer = table.say(Seat.A, {"type": "view_please"})
    assert [send.conn for send in answer] == [1]  # Ben has nothing new: nothing for him
    whole = SERVER.validate_json(frame(answer[0].message))
    assert isinstance(whole, SeatView) and whole == table.whole(Seat.A)
    sam.receive(frame(answer[0].message))
    [shown] = sam.outputs()
    assert isinstance(shown, ViewChanged) and shown.view.seq == live.room.seq
    assert shown.view.me.limit == 2
