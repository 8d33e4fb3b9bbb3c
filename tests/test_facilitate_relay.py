"""Facilitated sessions at the relay: rooms made at start, the facilitator's secret token, the
rows the dashboard gets (outcomes and counts only), pacing, the hold, the end, announcements."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from conftest import make_deck
from reciprocity_server.serve import RelayServer, start_relay
from relay_client import Client, act

from reciprocity.engine import Outcome, Seat
from reciprocity.pacing_wire import (
    ClockStatus,
)
from reciprocity.protocol import (
    PROTOCOL_VERSION,
    Announcement,
    Error,
    PartnerKey,
    Record,
    RoomStatus,
    SessionStatus,
    TurnPlayed,
    Welcome,
    Words,
)
from reciprocity.seat_view import SeatView

pytestmark = pytest.mark.timeout(30)

SECRET = "our-private-words-41c7"


class Session:
    """A relay running a session of three rooms, and the facilitator's token and numbers."""

    def __init__(self, relay: RelayServer, token: str, numbers: list[int], db: Path) -> None:
        self.relay, self.token, self.numbers, self.db = relay, token, numbers, db


@pytest.fixture
async def session(tmp_path: Path) -> AsyncIterator[Session]:
    db = tmp_path / "relay.sqlite3"
    relay = await start_relay(port=0, db=db)
    token, numbers = await relay.start_session(make_deck(), 3)
    yield Session(relay, token, numbers, db)
    await relay.close()


def hello(**part: Any) -> dict[str, Any]:
    return {"type": "hello", "version": PROTOCOL_VERSION, **part}


async def dashboard(session: Session) -> tuple[Client, SessionStatus]:
    """The facilitator's connection, with the session as it stands."""
    client = await Client.open(session.relay.url)
    await client.send(hello(facilitate={"token": session.token}))
    return client, await client.expect(SessionStatus)


async def join(session: Session, number: int, name: str, checker: Client) -> Client:
    """A player joins a room by its number, and is admitted once its code is checked (a
    stand-in exchange here): the first of a pair by the facilitator's dashboard (`checker`),
    the second by the first one's screen (`checker`, the first player)."""
    client = await Client.open(session.relay.url)
    welcome = await client.hello(join={"number": number, "name": name})
    if welcome.seat == "b":
        await checker.admit(client)
        return client
    pake = f"pake-{number}-{name}"
    await client.send({"type": "key", "step": "pake", "payload": pake})
    step = await checker.expect(PartnerKey)
    assert (step.number, step.seat, step.payload) == (number, "a", pake)
    await client.send({"type": "key", "step": "confirm", "payload": "joiner-proof"})
    proof = await checker.expect(PartnerKey)
    assert (proof.number, proof.step, proof.payload) == (number, "confirm", "joiner-proof")
    verdict = {"matched": True, "pake": pake, "proof": "proof", "number": number}
    await checker.send({"type": "code_checked", **verdict})
    assert (await client.expect(PartnerKey)).payload == "proof"
    await client.expect(SeatView)
    return client


async def row(facilitator: Client, number: int) -> RoomStatus:
    """The next row the dashboard gets, which must be this room's."""
    status = await facilitator.expect(RoomStatus)
    assert status.number == number
    return status


async def test_rooms_are_made_at_start_and_the_first_joiner_takes_seat_a(
    session: Session,
) -> None:
    assert len(set(session.numbers)) == 3
    facilitator, status = await dashboard(session)
    assert [room.number for room in status.rooms] == session.numbers
    assert status.deck_id == "test-deck" and status.depth == 3
    first = status.rooms[0]
    assert (first.state, first.names, first.level, first.open_level) == (
        "waiting",
        (None, None),
        1,
        1,
    )
    number = session.numbers[0]
    sam = await join(session, number, "Sam", facilitator)
    assert sam.welcome is not None and sam.welcome.seat == "a"
    assert (await row(facilitator, number)).names == ("Sam", None)
    ben = await join(session, number, "Ben", sam)
    assert ben.welcome is not None and ben.welcome.seat == "b"
    assert (await row(facilitator, number)).names == ("Sam", "Ben")
    kim = await Client.open(session.relay.url)
    await kim.send(hello(join={"number": number, "name": "Kim"}))
    await kim.error("room_full")


async def test_a_first_joiner_waits_for_the_dashboard_which_turns_a_wrong_code_away(
    session: Session,
) -> None:
    number = session.numbers[0]
    # Nobody checks yet: a stranger with the number is welcomed to seat A, but not seated.
    kim = await Client.open(session.relay.url)
    welcome = await kim.hello(join={"number": number, "name": "Kim"})
    assert welcome.seat == "a"
    await kim.send({"type": "key", "step": "pake", "payload": "kim-pake"})
    await kim.send({"type": "command", "id": "c1", "command": {"type": "set_limit", "limit": 3}})
    await kim.error("hello_first")  # not admitted: no moves
    # Another joiner meanwhile is turned away calmly: someone is joining just now.
    ada = await Client.open(session.relay.url)
    await ada.send(hello(join={"number": number, "name": "Ada"}))
    assert "just now" in (await ada.error("room_full")).message
    # The dashboard logs in and is sent what the waiting first joiner sent, to check.
    facilitator, status = await dashboard(session)
    assert status.rooms[0].names == (None, None)
    step = await facilitator.expect(PartnerKey)
    assert (step.number, step.step, step.payload) == (number, "pake", "kim-pake")
    await kim.send({"type": "key", "step": "confirm", "payload": "kim-proof"})
    assert (await facilitator.expect(PartnerKey)).payload == "kim-proof"
    # A player cannot give a verdict on a first joiner, for its room or another.
    verdict = {"type": "code_checked", "matched": True, "pake": "kim-pake", "proof": "p"}
    await ada.send(verdict | {"number": number})
    # The dashboard's proof did not match: Kim is turned away, and that is a failed join.
    await facilitator.send(verdict | {"matched": False, "proof": None, "number": number})
    await kim.error("code_mismatch")
    limits = session.relay._relay.limits
    assert limits.failures("127.0.0.1") == 1  # Kim's; not Ada's "just now"
    # The room is as it was: the next first joiner is checked, and seated.
    sam = await join(session, number, "Sam", facilitator)
    assert sam.seat_view.a.name == "Sam" and (await row(facilitator, number)).names[0] == "Sam"


async def test_a_dashboard_cannot_check_a_second_joiner_nor_seat_a_taken(
    session: Session,
) -> None:
    facilitator, _ = await dashboard(session)
    number = session.numbers[0]
    sam = await join(session, number, "Sam", facilitator)
    await row(facilitator, number)
    # The dashboard's message for a room whose seat A is taken changes nothing.
    await facilitator.send({"type": "key", "step": "pake", "payload": "late", "number": number})
    ben = await Client.open(session.relay.url)
    await ben.hello(join={"number": number, "name": "Ben"})
    await ben.send({"type": "key", "step": "pake", "payload": "ben-pake"})
    assert (await sam.expect(PartnerKey)).payload == "ben-pake"  # Sam's screen checks Ben
    verdict = {"matched": True, "pake": "ben-pake", "proof": "p", "number": number}
    await facilitator.send({"type": "code_checked", **verdict})
    await facilitator.send({"type": "key", "step": "confirm", "payload": "x", "number": number})
    assert isinstance(await facilitator.recv(), Error)  # a checker's proof goes in a verdict
    await sam.send({"type": "code_checked", **verdict, "number": None})
    assert (await ben.expect(PartnerKey)).payload == "p"
    assert (await ben.expect(SeatView)).b.name == "Ben"


async def play_a_turn(facilitator: Client, number: int, sam: Client, ben: Client) -> RoomStatus:
    """Both set limits and check in, then one supported turn; the room's latest row."""
    for player, other in ((sam, ben), (ben, sam)):
        await act(player, other, {"type": "set_limit", "limit": 3})
        await act(player, other, {"type": "check_in", "score": 4})
    for step in ({"type": "draw"}, {"type": "share"}):
        await act(sam, ben, step)
    await act(ben, sam, {"type": "respond"})
    await act(sam, ben, {"type": "mark_supported"})
    # One row per committed command: eight of them; the last turn's facts after its row.
    rows = [await row(facilitator, number) for _ in range(8)]
    played = await facilitator.expect(TurnPlayed)
    assert (played.number, played.index, played.seat, played.outcome) == (
        number,
        1,
        Seat.A,
        Outcome.SUPPORTED,
    )
    assert played.card and played.level == 1 and played.felt == ()
    return rows[-1]


async def test_rows_follow_play_with_counts_and_never_words_limits_or_lines(
    session: Session, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    facilitator, _ = await dashboard(session)
    number = session.numbers[1]
    sam = await join(session, number, "Sam", facilitator)
    await row(facilitator, number)
    ben = await join(session, number, "Ben", sam)
    await row(facilitator, number)
    await sam.send({"type": "say", "payload": SECRET})
    assert (await ben.expect(Words)).payload == SECRET
    status = await play_a_turn(facilitator, number, sam, ben)
    assert (status.state, status.turns, status.supported, status.support_rate) == (
        "playing",
        1,
        1,
        1.0,
    )
    assert status.last_active is not None
    # A row, or a turn's facts, has no field for words, limits or lines, and its frame
    # carries none of them.
    forbidden = {"limit", "limits", "lines", "words", "payload", "ceiling", "me", "text"}
    assert forbidden.isdisjoint(RoomStatus.model_fields)
    assert forbidden.isdisjoint(TurnPlayed.model_fields)
    assert (status.deepest_level, status.turns_by_level) == (1, (1, 0, 0))
    assert (status.ios_before, status.ios_after) == ((4, 4), (None, None))
    frame = status.model_dump_json()
    assert SECRET not in frame and "limit" not in frame and "lines" not in frame
    await ben.close()
    assert (await row(facilitator, number)).state == "reconnecting"
    assert SECRET not in caplog.text


async def test_pacing_the_hold_and_the_end_reach_every_room(session: Session) -> None:
    facilitator, _ = await dashboard(session)
    number = session.numbers[0]
    sam = await join(session, number, "Sam", facilitator)
    await row(facilitator, number)
    ben = await join(session, number, "Ben", sam)
    await row(facilitator, number)

    await facilitator.send({"type": "steer", "command": {"type": "open_level", "level": 2}})
    # The clock (none here: no pace) follows first, then a row per room.
    assert (await facilitator.expect(ClockStatus)).open_level == 2
    rows = {(await facilitator.expect(RoomStatus)).number for _ in session.numbers}
    assert rows == set(session.numbers)
    assert (await sam.expect(SeatView)).open_level == 2
    await ben.expect(SeatView)

    await facilitator.send({"type": "steer", "command": {"type": "hold"}})
    assert (await sam.expect(SeatView)).held
    await ben.expect(SeatView)
    await facilitator.expect(ClockStatus)
    statuses = [await facilitator.expect(RoomStatus) for _ in session.numbers]
    assert all(status.held for status in statuses)
    await facilitator.send({"type": "steer", "command": {"type": "release"}})
    assert not (await sam.expect(SeatView)).held
    await ben.expect(SeatView)
    await facilitator.expect(ClockStatus)
    for _ in session.numbers:
        await facilitator.expect(RoomStatus)

    await facilitator.send({"type": "steer", "command": {"type": "end_session"}})
    view = await sam.expect(SeatView)
    # They had not checked in yet, so there is no closing check-in: the game is finished,
    # and each player gets its record for their own history.
    assert view.phase == "finished" and view.ended_by is None
    assert view.notice is not None and "facilitator" in view.notice
    assert (await sam.expect(Record)).events[-1].event.type == "game_finished"
    assert (await facilitator.expect(ClockStatus)).state == "ended"
    statuses = [await facilitator.expect(RoomStatus) for _ in session.numbers]
    # The rooms nobody joined say so, not that a game ended in them.
    states = {status.number: status.state for status in statuses}
    assert states == {n: "ended" if n == number else "unused" for n in session.numbers}


async def test_an_announcement_reaches_every_player_and_is_never_kept(
    session: Session, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    facilitator, _ = await dashboard(session)
    players = []
    for number, name in zip(session.numbers, ("Sam", "Kit", "Ada"), strict=True):
        players.append(await join(session, number, name, facilitator))
        await row(facilitator, number)
    await facilitator.send({"type": "announce", "text": "Five minutes left " + SECRET})
    for player in players:
        assert (await player.expect(Announcement)).text == "Five minutes left " + SECRET
    await session.relay.close()
    stored = b"".join(p.read_bytes() for p in session.db.parent.glob(session.db.name + "*"))
    assert SECRET.encode() not in stored
    assert SECRET not in caplog.text


async def test_nobody_without_the_token_can_control_anything(session: Session) -> None:
    facilitator, _ = await dashboard(session)
    number = session.numbers[0]
    sam = await join(session, number, "Sam", facilitator)
    await row(facilitator, number)
    steer = {"type": "steer", "command": {"type": "open_level", "level": 3}}
    announce = {"type": "announce", "text": "I am the facilitator now"}
    # A player in the session, a stranger who said no hello, and a wrong token.
    stranger = await Client.open(session.relay.url)
    for client in (sam, stranger):
        for message in (steer, {"type": "steer", "command": {"type": "hold"}}, announce):
            await client.send(message)
            error = await client.error("not_facilitator")
            assert error.message == "Only the facilitator of this session can do that."
    await stranger.send(hello(facilitate={"token": "x" * 43}))
    await stranger.error("not_facilitator")
    await stranger.send(steer)
    await stranger.error("not_facilitator")
    # Nothing changed: the next thing Sam hears is his own command's outcome.
    view = await act(sam, None, {"type": "set_limit", "limit": 3})
    assert (view.open_level, view.held) == (1, False)
    _, status = await dashboard(session)
    assert all((room.open_level, room.held) == (1, False) for room in status.rooms)


async def test_a_relay_without_a_session_refuses_every_facilitator(tmp_path: Path) -> None:
    relay = await start_relay(port=0, db=tmp_path / "relay.sqlite3")
    try:
        client = await Client.open(relay.url)
        await client.send(hello(facilitate={"token": "t" * 43}))
        await client.error("not_facilitator")
    finally:
        await relay.close()


async def test_a_hello_with_two_parts_is_refused(session: Session) -> None:
    client = await Client.open(session.relay.url)
    await client.send(
        hello(facilitate={"token": session.token}, join={"number": session.numbers[0], "name": "X"})
    )
    await client.error("bad_message")
    assert not isinstance(client.welcome, Welcome)
