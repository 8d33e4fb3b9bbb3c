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

from reciprocity.protocol import (
    PROTOCOL_VERSION,
    Announcement,
    Record,
    RoomStatus,
    SeatView,
    SessionStatus,
    Welcome,
    Words,
)

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


async def join(session: Session, number: int, name: str, first: Client | None = None) -> Client:
    """A player joins a room by its number. The first of a pair is seated at once; the second
    is admitted once the first one's screen has checked the code (a stand-in exchange here)."""
    client = await Client.open(session.relay.url)
    await client.hello(join={"number": number, "name": name})
    if first is None:
        await client.expect(SeatView)
    else:
        await first.admit(client)
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
    sam = await join(session, number, "Sam")
    assert sam.welcome is not None and sam.welcome.seat == "a"
    assert (await row(facilitator, number)).names == ("Sam", None)
    ben = await join(session, number, "Ben", first=sam)
    assert ben.welcome is not None and ben.welcome.seat == "b"
    assert (await row(facilitator, number)).names == ("Sam", "Ben")
    kim = await Client.open(session.relay.url)
    await kim.send(hello(join={"number": number, "name": "Kim"}))
    await kim.error("room_full")


async def play_a_turn(facilitator: Client, number: int, sam: Client, ben: Client) -> RoomStatus:
    """Both set limits and check in, then one supported turn; the room's latest row."""
    for player, other in ((sam, ben), (ben, sam)):
        await act(player, other, {"type": "set_limit", "limit": 3})
        await act(player, other, {"type": "check_in", "score": 4})
    for step in ({"type": "draw"}, {"type": "share"}):
        await act(sam, ben, step)
    await act(ben, sam, {"type": "respond"})
    await act(sam, ben, {"type": "mark_supported"})
    # One row per committed command: eight of them.
    rows = [await row(facilitator, number) for _ in range(8)]
    return rows[-1]


async def test_rows_follow_play_with_counts_and_never_words_limits_or_lines(
    session: Session, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    facilitator, _ = await dashboard(session)
    number = session.numbers[1]
    sam = await join(session, number, "Sam")
    await row(facilitator, number)
    ben = await join(session, number, "Ben", first=sam)
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
    # A row has no field for words, limits or lines, and its frame carries none of them.
    forbidden = {"limit", "limits", "lines", "words", "payload", "ceiling", "card", "me"}
    assert forbidden.isdisjoint(RoomStatus.model_fields)
    frame = status.model_dump_json()
    assert SECRET not in frame and "limit" not in frame and "lines" not in frame
    await ben.close()
    assert (await row(facilitator, number)).state == "reconnecting"
    assert SECRET not in caplog.text


async def test_pacing_the_hold_and_the_end_reach_every_room(session: Session) -> None:
    facilitator, _ = await dashboard(session)
    number = session.numbers[0]
    sam = await join(session, number, "Sam")
    await row(facilitator, number)
    ben = await join(session, number, "Ben", first=sam)
    await row(facilitator, number)

    await facilitator.send({"type": "steer", "command": {"type": "open_level", "level": 2}})
    rows = {(await facilitator.expect(RoomStatus)).number for _ in session.numbers}
    assert rows == set(session.numbers)
    assert (await sam.expect(SeatView)).open_level == 2
    await ben.expect(SeatView)

    await facilitator.send({"type": "steer", "command": {"type": "hold"}})
    assert (await sam.expect(SeatView)).held
    await ben.expect(SeatView)
    statuses = [await facilitator.expect(RoomStatus) for _ in session.numbers]
    assert all(status.held for status in statuses)
    await facilitator.send({"type": "steer", "command": {"type": "release"}})
    assert not (await sam.expect(SeatView)).held
    await ben.expect(SeatView)
    for _ in session.numbers:
        await facilitator.expect(RoomStatus)

    await facilitator.send({"type": "steer", "command": {"type": "end_session"}})
    view = await sam.expect(SeatView)
    # They had not checked in yet, so there is no closing check-in: the game is finished,
    # and each player gets its record for their own history.
    assert view.phase == "finished" and view.ended_by is None
    assert view.notice is not None and "facilitator" in view.notice
    assert (await sam.expect(Record)).events[-1].event.type == "game_finished"
    statuses = [await facilitator.expect(RoomStatus) for _ in session.numbers]
    assert {status.state for status in statuses} == {"ended"}


async def test_an_announcement_reaches_every_player_and_is_never_kept(
    session: Session, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    facilitator, _ = await dashboard(session)
    players = []
    for number, name in zip(session.numbers, ("Sam", "Kit", "Ada"), strict=True):
        players.append(await join(session, number, name))
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
    sam = await join(session, number, "Sam")
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
