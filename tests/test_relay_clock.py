"""The session's clock at the relay core, with a fake `now`: it waits to be started (or for
every pair to be seated), opens each level on time, moving the pairs of a deck whose levels
move, ends the session after the last level, stands still while held or paused, and comes
back unshifted after a restart. Also: rooms added during a session."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import make_deck
from reciprocity_server.facilitation import TOO_MANY_ROOMS
from reciprocity_server.outputs import Output, Send, frame
from reciprocity_server.records import RelayStore
from reciprocity_server.relay import Relay

from reciprocity.engine import CheckIn, Draw, Join, Phase, Seat, SetLimit, Share
from reciprocity.game.facilitation import MAX_PAIRS
from reciprocity.pacing_wire import (
    ClockStatus,
)
from reciprocity.protocol import (
    PROTOCOL_VERSION,
    Error,
    RoomsAdded,
    SessionStatus,
)

DECK = make_deck(levels=3, cards=12).model_copy(update={"pace_minutes": 15, "move_on_clock": True})
MINUTE = 60.0


class Clocked:
    """A relay core running a session of `pairs` rooms with a clock of one minute a level,
    its dashboard on connection 1, and a clock of our own."""

    def __init__(self, db: Path, pairs: int = 2, *, auto_start: bool = False) -> None:
        self.now = 1_000_000.0
        self.db = db
        self.relay = self._relay()
        self.token, self.numbers = self.relay.start_session(
            DECK, pairs, MINUTE, auto_start=auto_start
        )
        self.relay.connect(1, "127.0.0.1")
        login = {"type": "hello", "version": PROTOCOL_VERSION, "facilitate": {"token": self.token}}
        [welcome] = self.relay.receive(1, json.dumps(login))
        assert isinstance(welcome, Send) and isinstance(welcome.message, SessionStatus)
        self.session = welcome.message

    def _relay(self) -> Relay:
        return Relay(RelayStore(self.db), {DECK.id: DECK}.get, clock=lambda: self.now)

    def pace(self, action: str) -> list[Output]:
        return self.relay.receive(1, json.dumps({"type": "pace", "action": action}))

    def later(self, seconds: float) -> list[Output]:
        """Let `seconds` pass, ticking every second as the shell does."""
        outputs: list[Output] = []
        for _ in range(int(seconds)):
            self.now += 1
            outputs += self.relay.tick()
        return outputs

    def seat_everyone(self) -> None:
        """Every pair seated and set up (as admission and their screens would leave them)."""
        for number in self.numbers:
            live = self.relay.rooms[number]
            for seat, name in ((Seat.A, "Ana"), (Seat.B, "Ben")):
                live.tokens[seat] = f"{number}-{seat}"
                live.room.submit(seat, Join(name=name))
                live.room.submit(seat, SetLimit(limit=3))
                live.room.submit(seat, CheckIn(score=3))

    def levels(self) -> list[int]:
        return [self.relay.rooms[number].room.state.level for number in self.numbers]


def clocks(outputs: list[Output]) -> list[ClockStatus]:
    return [
        o.message for o in outputs if isinstance(o, Send) and isinstance(o.message, ClockStatus)
    ]


def test_the_clock_waits_until_the_facilitator_starts_it(tmp_path: Path) -> None:
    session = Clocked(tmp_path / "relay.sqlite3")
    assert session.session.clock.state == "waiting" and session.session.clock.left is None
    session.seat_everyone()
    assert session.later(5 * MINUTE) == []  # not at launch, nor once everyone is seated
    assert session.levels() == [1, 1]
    live = session.relay.rooms[session.numbers[0]]
    live.conns[Seat.A] = 7  # Ana's screen is connected
    started = session.pace("start")
    [status] = clocks(started)
    assert (status.state, status.left, status.moves) == ("running", MINUTE, True)
    # Every connected player's view now carries the time left in the set.
    [shown] = [
        json.loads(frame(o.message))["clock"]
        for o in started
        if isinstance(o, Send) and o.conn == 7 and "clock" in json.loads(frame(o.message))
    ]
    assert (shown["left"], shown["running"], shown["last"]) == (MINUTE, True, False)
    session.later(MINUTE - 1)
    assert session.levels() == [1, 1]
    opened = session.later(1)
    assert session.levels() == [2, 2]
    assert [c.open_level for c in clocks(opened)] == [2]


def test_with_a_pace_asked_for_it_starts_by_itself_once_every_pair_is_seated(
    tmp_path: Path,
) -> None:
    session = Clocked(tmp_path / "relay.sqlite3", auto_start=True)
    assert session.later(10) == []
    session.seat_everyone()
    [status] = clocks(session.later(1))
    assert status.state == "running"


def test_each_pair_moves_when_its_turn_ends_and_the_session_ends_after_the_last_level(
    tmp_path: Path,
) -> None:
    session = Clocked(tmp_path / "relay.sqlite3")
    session.seat_everyone()
    busy = session.relay.rooms[session.numbers[0]].room
    busy.submit(Seat.A, Draw())
    busy.submit(Seat.A, Share())  # mid-turn when the clock opens level 2
    session.pace("start")
    session.later(MINUTE)
    assert session.levels() == [1, 2]
    assert busy.state.open_level == 2 and busy.state.moving_to == 2
    session.later(MINUTE)
    assert session.levels() == [1, 3]
    [ended] = clocks(session.later(MINUTE))
    assert ended.state == "ended"
    phases = [session.relay.rooms[n].room.state.phase for n in session.numbers]
    assert phases == [Phase.CLOSING, Phase.CLOSING]
    assert session.later(5 * MINUTE) == []


def test_holding_the_clock_keeps_the_session_where_it_is(tmp_path: Path) -> None:
    session = Clocked(tmp_path / "relay.sqlite3")
    session.seat_everyone()
    session.pace("start")
    session.later(20)
    [held] = clocks(session.pace("hold"))
    assert (held.state, held.left) == ("held", MINUTE - 20)
    session.later(10 * MINUTE)
    assert session.levels() == [1, 1]
    [going] = clocks(session.pace("go_on"))
    assert (going.state, going.left) == ("running", MINUTE - 20)
    session.later(MINUTE - 20)
    assert session.levels() == [2, 2]


def test_the_clock_stands_still_while_everyone_is_paused(tmp_path: Path) -> None:
    session = Clocked(tmp_path / "relay.sqlite3")
    session.seat_everyone()
    session.pace("start")
    session.later(30)
    steer = {"type": "steer", "command": {"type": "hold"}}
    paused = clocks(session.relay.receive(1, json.dumps(steer)))
    assert [(c.state, c.left) for c in paused] == [("paused", 30.0)]
    session.later(5 * MINUTE)
    assert session.levels() == [1, 1]
    steer["command"] = {"type": "release"}
    session.relay.receive(1, json.dumps(steer))
    session.later(30)
    assert session.levels() == [2, 2]


def test_next_opens_the_next_level_now_and_counts_a_full_level_from_there(
    tmp_path: Path,
) -> None:
    session = Clocked(tmp_path / "relay.sqlite3")
    session.seat_everyone()
    session.pace("start")
    session.later(40)
    [status] = clocks(session.pace("next"))
    assert (status.open_level, status.left) == (2, MINUTE)
    assert session.levels() == [2, 2]


def test_a_restart_neither_stops_nor_shifts_the_clock(tmp_path: Path) -> None:
    session = Clocked(tmp_path / "relay.sqlite3")
    session.seat_everyone()
    session.pace("start")
    session.later(25)
    session.relay.store.close()
    session.now += 20  # the facilitator's program was down for twenty seconds
    again = session._relay()
    again.restore()
    clock = again.facilitation.clock
    assert clock is not None and clock.remaining(session.now) == MINUTE - 45
    session.relay = again
    session.later(MINUTE - 45)
    assert session.levels() == [2, 2]


def test_a_step_missed_while_the_relay_was_down_comes_at_once(tmp_path: Path) -> None:
    session = Clocked(tmp_path / "relay.sqlite3")
    session.seat_everyone()
    session.pace("start")
    session.relay.store.close()
    session.now += 2 * MINUTE
    session.relay = session._relay()
    session.relay.restore()
    session.later(1)
    assert session.levels() == [2, 2]


def test_rooms_added_during_a_session_join_at_the_level_the_clock_reached(
    tmp_path: Path,
) -> None:
    session = Clocked(tmp_path / "relay.sqlite3")
    session.seat_everyone()
    session.pace("start")
    session.later(MINUTE)
    [added] = session.relay.receive(1, json.dumps({"type": "add_rooms", "count": 2}))
    assert isinstance(added, Send) and isinstance(added.message, RoomsAdded)
    numbers = [row.number for row in added.message.rooms]
    assert len(set(numbers) | set(session.numbers)) == 4
    assert all(row.open_level == 2 and row.state == "waiting" for row in added.message.rooms)
    late = session.relay.rooms[numbers[0]].room.state
    assert late.moving_to == 2  # a late pair starts at the set everyone is in
    # They are the session's: kept, and brought back after a restart.
    session.relay.store.close()
    again = session._relay()
    again.restore()
    assert [live.number for live in again.facilitation.session_rooms()][-2:] == numbers


def test_only_the_facilitator_may_pace_or_add_rooms(tmp_path: Path) -> None:
    session = Clocked(tmp_path / "relay.sqlite3")
    session.relay.connect(2, "192.0.2.7")
    for message in ({"type": "pace", "action": "start"}, {"type": "add_rooms", "count": 1}):
        [refused] = session.relay.receive(2, json.dumps(message))
        assert isinstance(refused, Send) and isinstance(refused.message, Error)
        assert refused.message.code == "not_facilitator"
    assert session.relay.facilitation.clock is not None
    assert session.relay.facilitation.clock.state == "waiting"


def test_a_session_grows_to_its_most_rooms_and_no_further(tmp_path: Path) -> None:
    session = Clocked(tmp_path / "relay.sqlite3", pairs=MAX_PAIRS - 3)
    add = {"type": "add_rooms", "count": 4}
    [refused] = session.relay.receive(1, json.dumps(add))
    assert isinstance(refused, Send) and refused.message == TOO_MANY_ROOMS
    assert len(session.relay.facilitation.session_rooms()) == MAX_PAIRS - 3  # none added
    [added] = session.relay.receive(1, json.dumps(add | {"count": 3}))
    assert isinstance(added, Send) and isinstance(added.message, RoomsAdded)
    assert len(session.relay.facilitation.session_rooms()) == MAX_PAIRS
