"""Taking back a seat with the code, end to end: through a real `reciprocity serve` process,
with each screen keeping its sessions in its own data folder, and in a facilitated session
whose facilitator frees the seat from the dashboard."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from reciprocity_server.serve import RelayServer
from test_facilitate_dashboard import Session, until_screen
from test_facilitate_dashboard import session as session
from test_remote import (
    SIZE,
    Player,
    app_view,
    assert_never_kept,
    banner_on,
    choose_limit,
    eventually,
    free_port,
    healthy,
    relay_process,
)
from test_remote import deck as deck
from test_remote import relay as relay

from reciprocity.deck import Deck
from reciprocity.engine import CheckIn, Draw, End, Phase, Seat, SetLimit
from reciprocity.net.choices import HostChoice
from reciprocity.net.client import JoinCode
from reciprocity.net.connection import RecordArrived, Rejected
from reciprocity.net.driver import WebSocketConnection
from reciprocity.net.reclaim import BACK_ELSEWHERE
from reciprocity.net.refusals import STOPPED
from reciprocity.protocol import CLOSE_FREED, CLOSE_MOVED, CreateRoom, Record
from reciprocity.tui.app import ReciprocityApp
from reciprocity.tui.screens.checkin import CheckInScreen
from reciprocity.tui.screens.closing import ClosingScreen
from reciprocity.tui.screens.confirm import ConfirmScreen
from reciprocity.tui.screens.dashboard import DashboardScreen
from reciprocity.tui.screens.table import TableScreen
from reciprocity.tui.screens.waiting import WaitingScreen
from reciprocity.tui.screens.whose import WhoseScreen


def records(player: Player) -> list[Record]:
    return [u.record for u in player.updates if isinstance(u, RecordArrived)]


def notices(player: Player) -> list[str]:
    return [u.message for u in player.updates if isinstance(u, Rejected)]


@pytest.mark.timeout(60)
async def test_a_dead_laptops_seat_is_taken_back_from_another_data_folder_with_the_code(
    tmp_path: Path,
) -> None:
    port, db, log = free_port(), tmp_path / "relay.db", tmp_path / "relay.log"
    url = f"ws://127.0.0.1:{port}"
    with relay_process(port, db, log):
        await healthy(port)
        opening = CreateRoom(deck="first-steps", name="Ana", checkin=False)
        ana = await Player(WebSocketConnection(url, opening, sessions=tmp_path / "ana")).start()
        code = ana.connection.code
        assert code is not None
        first = tmp_path / "ben-laptop"
        ben = await Player(
            WebSocketConnection(url, JoinCode(code, "Ben"), sessions=first, first_delay=0.05)
        ).start()
        for player in (ana, ben):
            player.connection.send(player.connection.seat, SetLimit(limit=2))
        await ana.until(lambda view: view.phase is Phase.DRAW, "the game to start")
        kept = ben.connection.session
        assert kept is not None and kept.exists()

        # Ben's laptop dies: no goodbye, its kept session stays behind.
        assert ben.task is not None and ben.connection._lock is not None
        ben.task.cancel()
        await asyncio.gather(ben.task, return_exceptions=True)
        os.close(ben.connection._lock)  # as the end of its process would
        await ana.until(lambda view: view.away == "Ben", "Ana to see Ben away")
        for line in ("mk-away-one-3c1f", "mk-away-two-9a0e"):
            ana.connection.say(Seat.A, line)

        # Ben's second computer: another data folder, and only the code.
        second = tmp_path / "ben-desktop"
        again = await Player(
            WebSocketConnection(url, JoinCode(code, "Ben"), sessions=second, first_delay=0.05)
        ).start()
        assert again.connection.seat is Seat.B
        await eventually(
            lambda: BACK_ELSEWHERE.format(partner="Ben") in notices(ana), what="Ana's notice"
        )
        await eventually(lambda: len(again.words()) == 2, what="the words typed meanwhile")
        assert again.words() == ["a: mk-away-one-3c1f", "a: mk-away-two-9a0e"]  # once each
        await ana.until(lambda view: view.away is None, "Ana to see Ben back")

        # The game goes on where it was.
        ana.connection.send(Seat.A, Draw())
        await again.until(lambda view: view.phase is Phase.SHARE, "Ana's card on Ben's screen")
        again.connection.say(Seat.B, "mk-back-5e7d")
        await eventually(lambda: "b: mk-back-5e7d" in ana.words(), what="Ben's words")
        assert again.connection.session is not None and again.connection.session.exists()

        # The dead laptop comes back: it is told plainly, stops, and forgets its game.
        old = Player(WebSocketConnection.saved(kept, first_delay=0.05))
        old.task = asyncio.create_task(old.connection.run(old.updates.append))
        await eventually(
            lambda: old.status == STOPPED[CLOSE_MOVED], what="the old screen to be told"
        )
        assert not kept.exists()
        ana.connection.say(Seat.A, "mk-last-0b1d")  # once it arrives, all before it has too
        await eventually(lambda: "a: mk-last-0b1d" in again.words(), what="the last words")
        heard = [line for line in again.words() if line.startswith("a: ")]
        assert heard == ["a: mk-away-one-3c1f", "a: mk-away-two-9a0e", "a: mk-last-0b1d"]
        assert ana.words().count("b: mk-back-5e7d") == 1
        assert not notices(again) and not old.words() and ana.view.b.connected

        # Both screens keep the same record of the game: one seat B throughout.
        again.connection.send(Seat.B, End())
        for player in (ana, again):
            await eventually(lambda p=player: bool(records(p)), what="the record")  # type: ignore[misc]
        assert records(ana) == records(again)
        [record] = records(ana)
        joined = [e.event for e in record.events if e.event.type == "joined"]
        assert [(e.seat, e.name) for e in joined] == [(Seat.A, "Ana"), (Seat.B, "Ben")]
        for player in (ana, again, old):
            await player.stop()
    relay_said = log.read_text()
    assert "seat b was taken with the code" in relay_said
    assert_never_kept(("mk-away", "mk-back", "mk-last"), log, tmp_path)


@pytest.mark.timeout(60)
async def test_the_facilitator_frees_a_gone_players_seat_and_another_computer_takes_it(
    session: Session, tmp_path: Path
) -> None:
    app = await session.app()
    async with app.run_test(size=(80, 24)) as pilot:
        url, code = session.relay.url, session.codes[0]
        sam = await Player(WebSocketConnection(url, JoinCode(code, "Sam"))).start()
        ben = await Player(
            WebSocketConnection(url, JoinCode(code, "Ben"), sessions=tmp_path / "ben-laptop")
        ).start()
        for player in (sam, ben):
            player.connection.send(player.connection.seat, SetLimit(limit=2))
            player.connection.send(player.connection.seat, CheckIn(score=4))
        await sam.until(lambda view: view.phase is Phase.DRAW, "the game to start")

        await pilot.press("f")  # the first row is selected
        await until_screen(pilot, WhoseScreen)
        await pilot.press("b")  # Ben
        await until_screen(pilot, ConfirmScreen)
        await pilot.press("y")
        await until_screen(pilot, DashboardScreen)
        # Ben's old screen says the facilitator freed the seat, not that another screen took it.
        await eventually(lambda: ben.status == STOPPED[CLOSE_FREED], what="Ben's screen to stop")
        assert (
            ben.status
            == "The facilitator freed this seat for another screen, so this one has stopped."
        )
        await sam.until(lambda view: view.away == "Ben", "Sam to see the seat free")
        sam.connection.say(sam.connection.seat, "mk-freed-71aa")

        again = await Player(
            WebSocketConnection(url, JoinCode(code, "Ben"), sessions=tmp_path / "ben-lent")
        ).start()
        assert again.connection.seat is Seat.B
        await eventually(lambda: "a: mk-freed-71aa" in again.words(), what="Sam's words")
        again.connection.say(Seat.B, "mk-lent-c0de")
        await eventually(lambda: "b: mk-lent-c0de" in sam.words(), what="Ben's words")
        assert again.words().count("a: mk-freed-71aa") == 1
        for player in (sam, ben, again):
            await player.stop()


@pytest.mark.timeout(60)
async def test_a_partner_who_is_away_is_not_waited_for_once_the_game_is_closed_calmly(
    relay: RelayServer, deck: Deck
) -> None:
    app = ReciprocityApp(network_form=HostChoice(deck, "Sam", relay.url, False, aloud=False))
    async with app.run_test(size=SIZE) as sam:
        await sam.press("ctrl+s")
        await until_screen(sam, WaitingScreen)
        assert app.network is not None
        ben = await Player(
            WebSocketConnection(relay.url, JoinCode(app.network.code, "Ben"))
        ).start()
        ben.connection.send(Seat.B, SetLimit(limit=2))
        await choose_limit(sam)
        await until_screen(sam, TableScreen)
        await ben.stop()  # Ben's laptop dies, or he quit
        calmly = "Ben is reconnecting… (e: close the game calmly)"
        await eventually(lambda: banner_on(sam) == calmly, what="Sam's banner")
        await sam.press("e")
        await until_screen(sam, ConfirmScreen)
        question = sam.app.screen
        assert isinstance(question, ConfirmScreen)
        assert question.question == "Ben is away. Close the game calmly, without waiting for Ben?"
        await sam.press("y")
        await until_screen(sam, ClosingScreen)  # no check-out of Ben's to wait for
        assert app_view(sam).phase is Phase.FINISHED
        assert app_view(sam).notice == "Sam closed the game while Ben was away."


@pytest.mark.timeout(60)
async def test_the_last_check_in_does_not_wait_for_a_partner_who_left(
    relay: RelayServer, deck: Deck
) -> None:
    app = ReciprocityApp(network_form=HostChoice(deck, "Sam", relay.url, True, aloud=False))
    async with app.run_test(size=SIZE) as sam:
        await sam.press("ctrl+s")
        await until_screen(sam, WaitingScreen)
        assert app.network is not None
        ben = await Player(
            WebSocketConnection(relay.url, JoinCode(app.network.code, "Ben"))
        ).start()
        ben.connection.send(Seat.B, SetLimit(limit=2))
        ben.connection.send(Seat.B, CheckIn(score=3))
        await choose_limit(sam)
        await until_screen(sam, CheckInScreen)
        await sam.press("enter")
        await until_screen(sam, TableScreen)
        ben.connection.send(Seat.B, End())
        await until_screen(sam, CheckInScreen)
        await ben.stop()  # and Ben is gone before his last check-in
        await sam.press("enter")
        await until_screen(sam, WaitingScreen)
        await eventually(lambda: banner_on(sam) == "Ben is reconnecting…", what="the banner")
        await sam.press("escape")  # "Close without Ben"
        await until_screen(sam, ClosingScreen)
        assert app_view(sam).phase is Phase.FINISHED
