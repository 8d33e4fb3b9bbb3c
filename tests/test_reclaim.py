"""Taking back a seat with the code, without sockets: player and facilitator cores wired to
the relay core in memory (as in `test_client_core.py`). A player who quit or whose laptop
died comes back from another screen with the code; the partner's screen checks it; the old
screen is told the seat moved; the partner may end the game kindly while waiting."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import make_deck
from reciprocity_server.reclaim import BOTH_AWAY
from reciprocity_server.records import RelayStore
from reciprocity_server.relay import Relay
from test_client_core import (
    RELAY,
    Wire,
    a_pair,
    a_session,
    join,
    said,
    updates,
    views,
)

from reciprocity.engine import CheckIn, End, Phase, Seat, SetLimit
from reciprocity.net.client import KeepSession, PlayerCore
from reciprocity.net.connection import Rejected
from reciprocity.net.e2e import CODE_MISMATCH, Channel
from reciprocity.net.reclaim import BACK_ELSEWHERE
from reciprocity.net.refusals import SEAT_FREED, SEAT_MOVED, WRONG_GUESS, refusal
from reciprocity.protocol import (
    CLIENT,
    CLOSE_FREED,
    PROTOCOL_VERSION,
    CreateRoom,
    Hello,
    JoinRoom,
    KeyExchange,
    PartnerKey,
    Resume,
)


@pytest.fixture(name="wire")
def a_wire(tmp_path: Path) -> Wire:
    return Wire(Relay(RelayStore(tmp_path / "relay.sqlite3"), {"test-deck": make_deck()}.get))


def notices(outputs: list[object]) -> list[str]:
    return [o.message for o in outputs if isinstance(o, Rejected)]


def kept(core: PlayerCore) -> KeepSession:
    return [o for o in updates(core) if isinstance(o, KeepSession)][-1]


def test_a_seat_whose_player_quit_is_taken_back_with_the_code_and_the_game_goes_on(
    wire: Wire,
) -> None:
    sam, _, ben, ben_conn = a_pair(wire)
    assert sam.code is not None
    old_keep = kept(ben)  # what Ben's laptop kept, if it ever comes back
    wire.drop(ben_conn)  # Ben's laptop died
    updates(sam)
    sam.say("Take your time.")
    sam.say("I'll be here.")
    wire.pump()  # the relay has nobody to give them to
    again, _ = join(wire, sam.code, "Ben")  # another computer, another data folder
    assert again.admitted and again.seat is Seat.B and again.sealed
    arrived = updates(again)
    assert views(arrived)[-1].b.name == "Ben"
    assert said(arrived, Seat.A) == ["Take your time.", "I'll be here."]  # once each
    news = updates(sam)
    assert BACK_ELSEWHERE.format(partner="Ben") in notices(news)
    assert views(news)[-1].b.connected
    again.say("Sorry, my laptop died.")
    again.send(SetLimit(limit=2))
    wire.pump()
    assert said(updates(sam), Seat.B) == ["Sorry, my laptop died."]
    assert not notices(updates(again))
    # The old laptop, back from its kept session, is told the seat moved.
    old = PlayerCore.resuming(RELAY, old_keep.token, 0, Channel.from_state(old_keep.channel))
    conn = wire.connect(old)
    assert str(wire.refused[conn]) == SEAT_MOVED


def test_the_hosts_seat_is_taken_back_too_checked_by_the_joiner_with_the_code(
    wire: Wire,
) -> None:
    sam, sam_conn, ben, _ = a_pair(wire)
    assert sam.code is not None
    wire.drop(sam_conn)
    ben.say("Are you there?")
    wire.pump()
    again, _ = join(wire, sam.code, "Sam")
    assert again.admitted and again.seat is Seat.A and again.sealed
    assert said(updates(again), Seat.B) == ["Are you there?"]
    again.say("Yes, new laptop.")
    wire.pump()
    assert said(updates(ben), Seat.A) == ["Yes, new laptop."]


def test_a_wrong_code_for_an_away_seat_is_turned_away_and_the_seat_stays(wire: Wire) -> None:
    sam, _, ben, ben_conn = a_pair(wire)
    assert sam.code is not None
    wire.drop(ben_conn)
    updates(sam)
    number = sam.code.split("-")[0]
    stranger, conn = join(wire, f"{number}-wrong-words")
    assert str(wire.refused[conn]) == CODE_MISMATCH and not stranger.admitted
    assert WRONG_GUESS in notices(updates(sam))
    wire.connect(ben)  # the seat is still Ben's own
    assert views(updates(sam))[-1].b.connected
    sam.say("welcome back")
    wire.pump()
    assert said(updates(ben), Seat.A) == ["welcome back"]


def test_a_game_whose_partners_are_both_here_is_still_full(wire: Wire) -> None:
    sam, _, _, _ = a_pair(wire)
    assert sam.code is not None
    _, conn = join(wire, sam.code)
    assert str(wire.refused[conn]) == f"the game {sam.code} already has two partners"


def test_a_screen_back_from_a_kept_session_checks_with_the_code_it_kept(wire: Wire) -> None:
    sam, sam_conn, _, ben_conn = a_pair(wire)
    keep = kept(sam)
    assert keep.code == sam.code and sam.code is not None
    wire.drop(sam_conn)  # Sam's program crashed; Ben quit
    wire.drop(ben_conn)
    channel = Channel.from_state(keep.channel)
    channel.skip_ahead()
    sam = PlayerCore.resuming(RELAY, keep.token, keep.last_seq, channel, code=keep.code)
    wire.connect(sam)
    sam.say("still here")
    wire.pump()
    again, _ = join(wire, keep.code)
    assert again.admitted and again.sealed
    assert said(updates(again), Seat.A) == ["still here"]


def test_the_partner_ends_the_game_kindly_while_the_other_is_away(wire: Wire) -> None:
    sam, _, ben, ben_conn = a_pair(wire)
    ben.send(End(partner_away=True))  # Sam is here: not this kind of end
    wire.pump()
    assert "Your partner is here, so the game waits for them." in notices(updates(ben))
    wire.drop(ben_conn)
    sam.send(End(partner_away=True))
    wire.pump()
    view = views(updates(sam))[-1]
    assert view.phase is Phase.FINISHED and view.ended_by is Seat.A  # no check-in to wait for
    assert view.notice == "Sam closed the game while Ben was away."
    assert sam.code is not None
    _, conn = join(wire, sam.code)  # nothing left to take back
    assert "already has two partners" in str(wire.refused[conn])


def test_a_relay_restarted_still_tells_the_old_screen_that_its_seat_moved(
    wire: Wire, tmp_path: Path
) -> None:
    sam, _, ben, ben_conn = a_pair(wire)
    assert sam.code is not None and ben.token is not None
    state = kept(ben).channel
    wire.drop(ben_conn)
    join(wire, sam.code)
    wire.relay.store.close()
    restarted = Wire(Relay(RelayStore(tmp_path / "relay.sqlite3"), {"test-deck": make_deck()}.get))
    restarted.relay.restore()
    old = PlayerCore.resuming(RELAY, ben.token, 0, Channel.from_state(state))
    conn = restarted.connect(old)
    assert str(restarted.refused[conn]) == SEAT_MOVED


def test_the_facilitator_frees_a_seat_and_another_screen_takes_it_with_the_pairs_code(
    wire: Wire,
) -> None:
    board, _, codes = a_session(wire)
    number, code = next(iter(codes.items()))
    sam, _ = join(wire, code, "Sam")
    ben, ben_conn = join(wire, code, "Ben")
    assert ben.sealed
    board.free_seat(number, Seat.B)  # Ben's laptop froze: its connection still looks alive
    wire.pump()
    assert wire.closed[ben_conn] == CLOSE_FREED  # its own words: freed, not taken
    assert ben.token is not None
    frozen = PlayerCore.resuming(RELAY, ben.token, 0, Channel.from_state(kept(ben).channel))
    assert str(wire.refused[wire.connect(frozen)]) == SEAT_FREED
    assert not views(updates(sam))[-1].b.connected
    again, _ = join(wire, code, "Ben")
    assert again.admitted and again.seat is Seat.B and again.sealed
    sam.say("there you are")
    wire.pump()
    assert said(updates(again), Seat.A) == ["there you are"]
    assert "Ben" in [row.names[1] for row in board.outputs() if hasattr(row, "names")]


def test_a_partner_gone_before_the_last_check_in_is_not_waited_for(wire: Wire) -> None:
    sam = PlayerCore(RELAY, CreateRoom(deck="test-deck", name="Sam", checkin=True))
    wire.connect(sam)
    assert sam.code is not None
    ben, ben_conn = join(wire, sam.code)
    for core in (sam, ben):
        core.send(SetLimit(limit=2))
        core.send(CheckIn(score=4))
    ben.send(End())
    wire.pump()
    sam.send(CheckIn(score=5))  # Sam's last check-in; Ben's laptop dies before his
    wire.drop(ben_conn)
    assert views(updates(sam))[-1].phase is Phase.CLOSING
    sam.send(End(partner_away=True))
    wire.pump()
    view = views(updates(sam))[-1]
    assert view.phase is Phase.FINISHED and view.summary is not None
    sam.send(End(partner_away=True))  # once is all it takes
    wire.pump()
    assert "This game has finished." in notices(updates(sam))


def test_a_seated_screens_key_step_goes_to_joiners_only_never_to_the_partner(
    wire: Wire,
) -> None:
    # Each screen checks whoever takes back the other's seat: were one's SPAKE2 message
    # passed to the other, each would take the other's for a joiner's, back and forth.
    _, sam_conn, _, ben_conn = a_pair(wire)
    pake = CLIENT.dump_json(KeyExchange(step="pake", payload="U" * 44)).decode()
    assert not [o for o in wire.relay.receive(sam_conn, pake) if o.conn == ben_conn]


def test_an_old_screen_back_while_someone_takes_its_seat_is_not_sent_their_key_steps(
    wire: Wire,
) -> None:
    sam, _, ben, ben_conn = a_pair(wire)
    old = kept(ben)
    wire.drop(ben_conn)
    relay = wire.relay
    relay.connect(98, "203.0.113.9")  # someone with the number, held for Ben's seat
    hello = Hello(version=PROTOCOL_VERSION, join=JoinRoom(number=sam.number, name="Ben"))
    relay.receive(98, CLIENT.dump_json(hello).decode())
    relay.receive(98, CLIENT.dump_json(KeyExchange(step="pake", payload="J" * 44)).decode())
    relay.connect(99, "192.0.2.1")  # the old screen resumes meanwhile
    resume = Hello(version=PROTOCOL_VERSION, resume=Resume(token=old.token, last_seq=0))
    back = relay.receive(99, CLIENT.dump_json(resume).decode())
    assert [o for o in back if o.conn == 99]  # welcomed back, with its view
    assert not [o for o in back if isinstance(getattr(o, "message", None), PartnerKey)]


def test_a_join_while_both_partners_are_away_is_told_so() -> None:
    # The relay's sentence for it says "just now" as well as "are away".
    said = refusal(BOTH_AWAY, "wss://relay.example", "7-amber-harbor", None)
    assert said == "both partners of the game 7-amber-harbor are away; try again when one is back"
