"""The client cores without sockets: player and facilitator cores wired to the relay core in
memory, the way `test_relay.py` drives the relay core. Frames go back and forth as text, as
they would on the wire, and a connection can be dropped at any frame."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from pathlib import Path

import pytest
from conftest import make_deck
from reciprocity_server.outputs import Close, Output, Send
from reciprocity_server.outputs import frame as frame_of
from reciprocity_server.records import RelayStore
from reciprocity_server.relay import Relay

from reciprocity.engine import CheckIn, Draw, OpenLevel, Seat, SetLimit
from reciprocity.net.client import (
    MAX_WAITING_WORDS,
    MAX_WRONG_GUESSES,
    JoinCode,
    KeepSession,
    PlayerCore,
)
from reciprocity.net.codes import new_words
from reciprocity.net.connection import (
    CodeChanged,
    Rejected,
    ViewChanged,
    WordsArrived,
)
from reciprocity.net.core import Core, RelayRefused, RelayUnreachable
from reciprocity.net.e2e import CODE_MISMATCH
from reciprocity.net.facilitator import FacilitatorCore, RoomsMade
from reciprocity.net.refusals import DROPPED, NOT_SEALED, WRONG_GUESS
from reciprocity.pacing_wire import (
    AddRooms,
    ClockStatus,
    Pace,
)
from reciprocity.protocol import (
    CLIENT,
    SERVER,
    CommandMessage,
    CreateRoom,
    Error,
    Hello,
    PartnerKey,
    RoomStatus,
    SessionStatus,
    Words,
)
from reciprocity.seat_view import SeatView

RELAY = "ws://relay.test"


class Wire:
    """Cores connected to one relay core in memory: no sockets, no event loop, no clock."""

    def __init__(self, relay: Relay) -> None:
        self.relay = relay
        self.cores: dict[int, Core[object]] = {}
        self.refused: dict[int, RelayRefused] = {}
        self.closed: dict[int, int] = {}
        #: The hello each connection began with, and every frame it sent.
        self.hellos: dict[int, Hello] = {}
        self.sent: dict[int, list[str]] = {}
        self._ids = itertools.count(1)

    def connect(self, core: Core[object], address: str = "192.0.2.1") -> int:
        """Open a connection for `core`, say its hello, and run until all is quiet."""
        conn = next(self._ids)
        self.relay.connect(conn, address)
        self.cores[conn] = core
        hello = core.hello()
        self.hellos[conn] = Hello.model_validate_json(hello)
        self.sent[conn] = [hello]
        self._deliver(self.relay.receive(conn, hello))
        self.pump()
        return conn

    def drop(self, conn: int) -> None:
        """The connection is lost: what was on its way is gone."""
        self.cores.pop(conn, None)
        self._deliver(self.relay.disconnect(conn))
        self.pump()

    def pump(self) -> None:
        """Carry every core's frames to the relay, and the relay's to the cores, until quiet."""
        moved = True
        while moved:
            moved = False
            for conn, core in list(self.cores.items()):
                while conn in self.cores and (frame := core.next_frame()) is not None:
                    core.frame_sent()
                    self.sent[conn].append(frame)
                    self._deliver(self.relay.receive(conn, frame))
                    moved = True

    def _deliver(self, outputs: Iterable[Output]) -> None:
        for output in outputs:
            core = self.cores.get(output.conn)
            if core is None:
                continue
            if isinstance(output, Close):
                self.closed[output.conn] = output.code
                self.drop(output.conn)
                continue
            assert isinstance(output, Send)
            try:
                core.receive(frame_of(output.message))
            except RelayRefused as refused:
                self.refused[output.conn] = refused
                self.drop(output.conn)


@pytest.fixture
def wire(tmp_path: Path) -> Wire:
    return Wire(Relay(RelayStore(tmp_path / "relay.sqlite3"), {"test-deck": make_deck()}.get))


def host(wire: Wire, name: str = "Sam") -> tuple[PlayerCore, int]:
    core = PlayerCore(RELAY, CreateRoom(deck="test-deck", name=name, checkin=False))
    return core, wire.connect(core)


def join(wire: Wire, code: str, name: str = "Ben") -> tuple[PlayerCore, int]:
    core = PlayerCore(RELAY, JoinCode(code, name))
    return core, wire.connect(core, address=f"198.51.100.{len(wire.cores) + 1}")


def updates(core: PlayerCore) -> list[object]:
    return list(core.outputs())


def views(outputs: Iterable[object]) -> list[SeatView]:
    return [output.view for output in outputs if isinstance(output, ViewChanged)]


def a_pair(wire: Wire) -> tuple[PlayerCore, int, PlayerCore, int]:
    sam, sam_conn = host(wire)
    assert sam.code is not None
    ben, ben_conn = join(wire, sam.code)
    return sam, sam_conn, ben, ben_conn


# --- taking a seat ------------------------------------------------------------------------


def test_the_host_is_seated_at_once_with_a_code_of_the_relays_number_and_its_own_words(
    wire: Wire,
) -> None:
    sam, _ = host(wire)
    assert sam.admitted and sam.seat is Seat.A and sam.token
    assert sam.code is not None and sam.code.startswith(f"{sam.number}-")
    [view] = views(updates(sam))
    assert view.a.name == "Sam" and view.b.name is None
    assert not sam.sealed


def test_the_right_code_admits_the_joiner_and_seals_both_ways(wire: Wire) -> None:
    sam, _, ben, _ = a_pair(wire)
    assert ben.admitted and ben.seat is Seat.B and sam.sealed and ben.sealed
    for core in (sam, ben):
        outputs = updates(core)
        assert views(outputs)[-1].b.name == "Ben"
        [keep] = [output for output in outputs if isinstance(output, KeepSession)]
        assert keep.token == core.token  # the keys are settled: worth keeping, never words
    sam.say("I was nervous about tonight.")
    ben.say("  So was I.  ")
    wire.pump()
    assert WordsArrived(Seat.A, "I was nervous about tonight.") in updates(ben)
    assert WordsArrived(Seat.B, "So was I.") in updates(sam)


def test_a_wrong_code_is_refused_and_the_host_is_told(wire: Wire) -> None:
    sam, _ = host(wire)
    updates(sam)
    kim, conn = join(wire, f"{sam.number}-{new_words()}")
    assert str(wire.refused[conn]) == CODE_MISMATCH and not kim.admitted
    assert Rejected(Seat.A, WRONG_GUESS) in updates(sam)
    assert sam.code is not None
    ben, _ = join(wire, sam.code)  # the right code still works afterwards
    assert ben.admitted and ben.sealed


def test_too_many_wrong_codes_give_the_game_new_words(wire: Wire) -> None:
    sam, _ = host(wire)
    first = sam.code
    for attempt in range(MAX_WRONG_GUESSES):
        join(wire, f"{sam.number}-{new_words()}", name=f"Kim{attempt}")
    changed = [output for output in updates(sam) if isinstance(output, CodeChanged)]
    assert [output.code for output in changed] == [sam.code] and sam.code != first
    assert first is not None
    old, conn = join(wire, first)
    assert str(wire.refused[conn]) == CODE_MISMATCH and not old.admitted
    assert sam.code is not None
    assert join(wire, sam.code)[0].admitted


def test_a_refusal_is_a_sentence_for_a_person(wire: Wire) -> None:
    nobody = PlayerCore(RELAY, JoinCode("42-amber-harbor", "Ben"))
    nobody.hello()
    with pytest.raises(RelayRefused, match="no game has the code 42-amber-harbor"):
        nobody.receive('{"type":"error","code":"no_such_room","message":"No such room."}')
    deckless = PlayerCore(RELAY, CreateRoom(deck="nope", name="Sam"))
    conn = wire.connect(deckless)
    assert "does not know the deck 'nope'" in str(wire.refused[conn])


def test_an_answer_that_is_not_a_relays_is_unreachable() -> None:
    core = PlayerCore(RELAY, CreateRoom(deck="test-deck", name="Sam"))
    core.hello()
    with pytest.raises(RelayUnreachable, match="did not answer as a relay"):
        core.receive("<html>hello</html>")


# --- commands, drops and resumes ------------------------------------------------------------


def limits(wire: Wire, *cores: PlayerCore) -> None:
    for core in cores:
        core.send(SetLimit(limit=3))
    wire.pump()


def test_a_command_whose_ack_was_lost_goes_again_and_counts_once(wire: Wire) -> None:
    sam, sam_conn, ben, _ = a_pair(wire)
    limits(wire, sam, ben)
    before = views(updates(sam))[-1]
    sam.send(Draw())
    frame = sam.next_frame()
    assert frame is not None
    sam.frame_sent()
    sent = CLIENT.validate_json(frame)
    assert isinstance(sent, CommandMessage)
    wire.relay.receive(sam_conn, frame)  # committed, but the answer never arrives
    wire.drop(sam_conn)
    resume = wire.hellos[wire.connect(sam)].resume
    assert resume is not None and resume.token == sam.token and resume.last_seq == before.seq
    after = views(updates(sam))[-1]
    assert after.card is not None and after.turns == before.turns
    assert after.seq == before.seq + 1  # one card dealt, not two
    assert not [output for output in updates(sam) if isinstance(output, Rejected)]


def test_a_dropped_seat_shows_as_away_and_comes_back_with_its_token(wire: Wire) -> None:
    sam, _, ben, ben_conn = a_pair(wire)
    updates(sam)
    wire.drop(ben_conn)
    assert not views(updates(sam))[-1].b.connected
    ben.say("typed while away")  # sealed and kept until the connection is back
    wire.connect(ben)
    back = updates(sam)
    assert views(back)[-1].b.connected
    assert WordsArrived(Seat.B, "typed while away") in back


def test_a_kept_session_resumes_with_its_token_and_keys(wire: Wire) -> None:
    sam, _, ben, ben_conn = a_pair(wire)
    [keep] = [output for output in updates(ben) if isinstance(output, KeepSession)]
    wire.drop(ben_conn)
    from reciprocity.net.e2e import Channel

    channel = Channel.from_state(keep.channel)
    channel.skip_ahead()
    again = PlayerCore.resuming(RELAY, keep.token, keep.last_seq, channel)
    wire.connect(again)
    assert again.admitted and again.seat is Seat.B
    assert views(updates(again))[-1].b.name == "Ben"
    again.say("back again")
    wire.pump()
    assert WordsArrived(Seat.B, "back again") in updates(sam)


# --- words --------------------------------------------------------------------------------


def test_words_before_the_partner_joins_are_refused_calmly(wire: Wire) -> None:
    sam, _ = host(wire)
    updates(sam)
    sam.say("hello?")
    assert updates(sam) == [Rejected(Seat.A, NOT_SEALED)]
    assert sam.next_frame() is None


def test_words_that_do_not_open_are_dropped_with_a_notice(wire: Wire) -> None:
    _, _, ben, _ = a_pair(wire)
    updates(ben)
    ben.receive(SERVER.dump_json(Words(seat=Seat.A, payload="AAAA")).decode())
    [notice] = updates(ben)
    assert isinstance(notice, Rejected) and notice.message.startswith(DROPPED.split("{")[0])


def test_a_refused_command_is_a_notice_and_is_not_sent_again(wire: Wire) -> None:
    sam, sam_conn, _, _ = a_pair(wire)
    updates(sam)
    sam.send(CheckIn(score=4))  # no check-in in this game
    wire.pump()
    [notice] = [output for output in updates(sam) if isinstance(output, Rejected)]
    assert notice.seat is Seat.A
    wire.drop(sam_conn)
    wire.connect(sam)
    assert not [output for output in updates(sam) if isinstance(output, Rejected)]


# --- the facilitator ------------------------------------------------------------------------


def test_the_facilitator_core_follows_its_session_and_steers_it(wire: Wire) -> None:
    token, numbers = wire.relay.start_session(make_deck(), 2)
    board = FacilitatorCore(RELAY, token, {})
    conn = wire.connect(board)
    assert isinstance(board.session, SessionStatus)
    assert [room.number for room in board.session.rooms] == numbers
    assert board.outputs() == []  # the first session is `open()`'s answer
    board.steer(OpenLevel(level=2))
    wire.pump()
    clock, *rows = board.outputs()
    assert isinstance(clock, ClockStatus) and clock.open_level == 2  # the clock follows
    assert rows and all(isinstance(row, RoomStatus) for row in rows)
    assert {row.open_level for row in rows if isinstance(row, RoomStatus)} == {2}
    board.ask(Pace(action="next"))
    wire.pump()
    clock, *rows = board.outputs()
    assert isinstance(clock, ClockStatus) and clock.open_level == 3
    wire.drop(conn)
    wire.connect(board)
    [again] = board.outputs()
    assert isinstance(again, SessionStatus)  # after a reconnect, the whole session again


def test_rooms_added_get_codes_made_here_and_their_first_joiner_is_checked(
    wire: Wire,
) -> None:
    board, _, codes = a_session(wire)
    board.ask(AddRooms(count=2))
    wire.pump()
    [made] = board.outputs()
    assert isinstance(made, RoomsMade) and len(made.codes) == 2
    assert all(code.startswith(f"{number}-") for number, code in made.codes.items())
    assert not set(made.codes) & set(codes)
    assert [row.number for row in made.rooms] == list(made.codes)
    # The dashboard checks each new room's first joiner, as for the rooms made at the start.
    lou, _ = join(wire, next(iter(made.codes.values())), "Lou")
    assert lou.admitted and lou.seat is Seat.A


def test_a_wrong_token_is_refused(wire: Wire) -> None:
    board = FacilitatorCore(RELAY, "not-the-token-at-all-" + "x" * 20, {})
    conn = wire.connect(board)
    assert wire.refused[conn].code


def a_session(wire: Wire) -> tuple[FacilitatorCore, int, dict[int, str]]:
    """A session of two rooms, its codes as the facilitator's program makes them, and the
    checking dashboard connected."""
    token, numbers = wire.relay.start_session(make_deck(), 2)
    codes = {number: f"{number}-{new_words()}" for number in numbers}
    board = FacilitatorCore(RELAY, token, codes)
    return board, wire.connect(board), codes


def test_a_session_rooms_first_joiner_is_checked_by_the_facilitator_and_checks_the_second(
    wire: Wire,
) -> None:
    board, _, codes = a_session(wire)
    code = next(iter(codes.values()))
    sam, _ = join(wire, code, "Sam")
    assert sam.admitted and sam.seat is Seat.A and not sam.sealed  # no keys with the dashboard
    assert views(updates(sam))[-1].a.name == "Sam"
    assert [row.names for row in board.outputs() if isinstance(row, RoomStatus)] == [("Sam", None)]
    ben, _ = join(wire, code, "Ben")
    assert ben.admitted and ben.seat is Seat.B and sam.sealed and ben.sealed
    sam.say("Shall we start?")
    wire.pump()
    assert WordsArrived(Seat.A, "Shall we start?") in updates(ben)


def test_a_stranger_with_only_a_rooms_number_cannot_take_its_first_seat(wire: Wire) -> None:
    board, board_conn, codes = a_session(wire)
    heard: list[str] = []
    receive = board.receive
    board.receive = lambda frame: (heard.append(str(frame)), receive(frame))[1]  # type: ignore[method-assign]
    number, code = next(iter(codes.items()))
    guess = f"{number}-{new_words()}"
    assert guess != code
    kim, conn = join(wire, guess, "Kim")
    assert str(wire.refused[conn]) == CODE_MISMATCH and not kim.admitted
    assert wire.relay.limits.failures(f"198.51.100.{conn}") == 1  # a failed join
    status = wire.relay.rooms[number]
    assert Seat.A not in status.tokens and status.room.state.a.name is None
    # The dashboard heard Kim's key steps (SPAKE2 messages and a proof, which let no one
    # test a guess offline), never the words Kim guessed nor Kim's name.
    steps = [SERVER.validate_json(frame) for frame in heard]
    assert {step.step for step in steps if isinstance(step, PartnerKey)} == {"pake", "confirm"}
    said = " ".join(step.model_dump_json(exclude={"payload"}) for step in steps)
    assert not any(part in said for part in [*guess.split("-")[1:], "Kim"])
    sam, _ = join(wire, code, "Sam")  # the right code is admitted afterwards
    assert sam.admitted and sam.seat is Seat.A
    assert board_conn in wire.cores


def test_a_first_joiner_waits_while_the_dashboard_is_away_and_is_checked_when_it_is_back(
    wire: Wire,
) -> None:
    board, board_conn, codes = a_session(wire)
    wire.drop(board_conn)
    number, code = next(iter(codes.items()))
    sam, sam_conn = join(wire, code, "Sam")
    assert not sam.admitted and sam_conn not in wire.refused and sam.seat is Seat.A
    wire.connect(board)  # the same program logs in again, with the same codes
    assert sam.admitted and views(updates(sam))[-1].a.name == "Sam"
    ben, _ = join(wire, code, "Ben")
    assert ben.admitted and sam.sealed and ben.sealed and number == sam.number


def test_a_check_meets_each_joiner_with_a_fresh_message_once() -> None:
    from reciprocity.net.checking import JoinerCheck
    from reciprocity.net.e2e import Handshake
    from reciprocity.protocol import (
        CodeChecked,
        KeyExchange,
    )

    check = JoinerCheck("57-amber-harbor", 57, Seat.B, numbered=True)  # as the facilitator's
    offered = check.offer()
    joiner = Handshake("57-amber-harbor", 57)
    keys = joiner.keys(Seat.A, offered.payload)
    first = check.take("pake", joiner.message)
    [fresh] = first.send
    assert first.new_joiner and not first.wrong
    assert isinstance(fresh, KeyExchange) and fresh.number == 57
    assert fresh.payload != offered.payload  # never one message of ours for two joiners
    assert check.take("pake", joiner.message).send == ()  # sent again after a drop: the same one
    proved = check.take("confirm", keys.proof)
    [verdict] = proved.send
    assert isinstance(verdict, CodeChecked) and verdict.matched and verdict.number == 57
    assert proved.channel is not None
    assert keys.confirm(verdict.proof or "")  # the joiner checks our proof in turn
    stranger = Handshake("57-olive-lantern", 57)
    wrong = stranger.keys(Seat.A, fresh.payload)
    [again] = check.take("pake", stranger.message).send  # a wrong code shows only in its proof
    assert isinstance(again, KeyExchange) and again.payload != fresh.payload
    turned = check.take("confirm", wrong.proof)
    assert turned.wrong and turned.channel is None
    assert turned.send == (CodeChecked(matched=False, pake=stranger.message, number=57),)


# --- words arrive exactly once, or their sender is told -------------------------------------


def said(outputs: Iterable[object], seat: Seat) -> list[str]:
    return [o.text for o in outputs if isinstance(o, WordsArrived) and o.seat is seat]


def test_words_typed_while_the_partner_is_away_arrive_once_when_they_are_back(
    wire: Wire,
) -> None:
    sam, sam_conn, ben, ben_conn = a_pair(wire)
    wire.drop(ben_conn)
    wire.drop(sam_conn)
    wire.connect(sam)  # the sender's screen comes back first
    sam.say("I was scared to tell you that.")
    wire.pump()  # the relay has nobody to give them to
    updates(ben)
    wire.connect(ben)
    assert said(updates(ben), Seat.A) == ["I was scared to tell you that."]
    wire.drop(ben_conn := next(iter(c for c, core in wire.cores.items() if core is ben)))
    wire.connect(ben)  # a second drop sends nothing twice
    assert said(updates(ben), Seat.A) == []
    assert not [o for o in updates(sam) if isinstance(o, Rejected)]


def test_words_whose_receipt_was_lost_go_again_and_show_once(wire: Wire) -> None:
    sam, sam_conn, ben, _ = a_pair(wire)
    updates(ben)
    sam.say("one")
    frame = sam.next_frame()
    assert frame is not None
    sam.frame_sent()
    wire.relay.receive(sam_conn, frame)  # delivered to Ben's connection below
    for output in wire.relay.receive(sam_conn, frame):  # and the same frame twice on the way
        assert isinstance(output, Send)
        ben.receive(frame_of(output.message))
    wire.drop(sam_conn)  # Sam never hears Ben's receipts
    wire.connect(sam)  # so "one" goes again
    assert said(updates(ben), Seat.A) == ["one"]


def test_a_sender_that_stops_with_words_on_their_way_is_told_when_it_comes_back(
    wire: Wire,
) -> None:
    sam, _, ben, ben_conn = a_pair(wire)
    wire.drop(ben_conn)
    ben.say("are you there?")
    [keep] = [o for o in updates(ben) if isinstance(o, KeepSession)][-1:]
    assert keep.unanswered == 1  # the count is kept; the words never are
    from reciprocity.net.e2e import Channel

    channel = Channel.from_state(keep.channel)
    again = PlayerCore.resuming(RELAY, keep.token, keep.last_seq, channel, lost=keep.unanswered)
    wire.connect(again)
    notices = [o.message for o in updates(again) if isinstance(o, Rejected)]
    assert notices == ["1 of your messages may not have reached Sam."]
    assert said(updates(sam), Seat.B) == []


def test_too_many_words_on_their_way_are_refused_with_a_notice(wire: Wire) -> None:
    sam, _, _, ben_conn = a_pair(wire)
    wire.drop(ben_conn)
    updates(sam)
    for n in range(MAX_WAITING_WORDS + 1):
        sam.say(f"message {n}")
    outputs = updates(sam)
    assert len(said(outputs, Seat.A)) == MAX_WAITING_WORDS
    [notice] = [o for o in outputs if isinstance(o, Rejected)]
    assert notice.message.startswith("These words were not sent") and "Ben" in notice.message


def test_words_sent_to_a_socket_the_relay_had_not_seen_die_go_again_when_the_partner_resumes(
    wire: Wire,
) -> None:
    sam, _, ben, ben_conn = a_pair(wire)
    updates(sam)
    del wire.cores[ben_conn]  # Ben's network changed: the relay still holds his dead socket
    sam.say("did you get this?")
    wire.pump()  # sent to the dead socket: lost on the way, and Sam never saw Ben away
    wire.connect(ben)  # Ben resumes; the relay replaces the old connection at once
    assert said(updates(ben), Seat.A) == ["did you get this?"]
    assert not [o for o in updates(sam) if isinstance(o, Rejected)]


def test_a_seats_own_token_resumes_even_from_an_address_that_guessed_too_often(
    wire: Wire,
) -> None:
    sam, sam_conn, _, _ = a_pair(wire)
    shared = "203.0.113.9"  # a classroom's one address, with typos
    tries = [
        wire.connect(PlayerCore(RELAY, JoinCode(f"{sam.number}-{new_words()}", "Kim")), shared)
        for _ in range(12)
    ]
    assert wire.refused[tries[-1]].code == "rate_limited"  # that address is held back now
    wire.drop(sam_conn)
    back = wire.connect(sam, address=shared)
    assert back not in wire.refused and sam.admitted


def test_words_the_partner_never_answered_before_the_game_ended_are_owned_up_to(
    wire: Wire,
) -> None:
    from reciprocity.engine import End

    sam, _, ben, ben_conn = a_pair(wire)
    limits(wire, sam, ben)
    wire.drop(ben_conn)  # Ben's program is gone, for good
    sam.say("thank you for tonight")
    sam.send(End())
    wire.pump()
    notices = [o.message for o in updates(sam) if isinstance(o, Rejected)]
    assert notices == ["1 of your messages may not have reached Ben."]


def test_a_joiners_spake2_message_never_takes_a_seat_after_a_relay_restart(
    tmp_path: Path,
) -> None:
    first = Wire(Relay(RelayStore(tmp_path / "relay.sqlite3"), {"test-deck": make_deck()}.get))
    sam, _ = host(first)
    _, kim_conn = join(first, f"{sam.number}-{new_words()}", "Kim")  # wrong words: turned away
    assert kim_conn in first.refused
    [pake] = [f for f in first.sent[kim_conn] if '"step":"pake"' in f]  # as an eavesdropper saw it
    first.relay.store.close()

    restarted = Relay(RelayStore(tmp_path / "relay.sqlite3"), {"test-deck": make_deck()}.get)
    restarted.restore()
    second = Wire(restarted)
    second.connect(sam)  # Sam's screen comes back to the restarted relay
    restarted.connect(99, "203.0.113.5")
    again = PlayerCore(RELAY, JoinCode(f"{sam.number}-{new_words()}", "Kim"))
    restarted.receive(99, again.hello())  # a new join, then Kim's old message, recorded
    replay = restarted.receive(99, pake)  # the recorded message, tried again
    refusals = [o.message for o in replay if isinstance(o, Send) and isinstance(o.message, Error)]
    assert [e.code for e in refusals] == ["join_again"]


@pytest.mark.parametrize(
    ("message", "says"),
    [
        # What a relay of protocol 5 says to this client.
        ("This relay speaks protocol version 5, not 6: please upgrade Reciprocity.", "older"),
        # What a relay of a newer protocol says.
        ("This relay needs a newer Reciprocity: it speaks protocol version 7, not 6.", "newer"),
    ],
)
def test_a_relay_of_another_protocol_says_which_side_to_upgrade(message: str, says: str) -> None:
    core = PlayerCore(RELAY, CreateRoom(deck="test-deck", name="Sam"))
    core.hello()
    frame = SERVER.dump_json(Error(code="version", message=message)).decode()
    with pytest.raises(RelayRefused) as refused:
        core.receive(frame)
    text = str(refused.value)
    assert "runs an older Reciprocity" in text if says == "older" else "needs a newer" in text
    assert "upgrade" in text and text.count("\n") == 0
