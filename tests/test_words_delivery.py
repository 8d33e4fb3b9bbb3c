"""Nothing lost, nobody stranded. Typed words survive a relay killed with SIGKILL: they arrive
exactly once, even when the sender's screen comes back before the partner's (a real
`reciprocity serve` process, and each screen's connection held back in turn through a cable
that can be cut). A host whose program died comes back with its relay, and the partner
resumes."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import pytest
from reciprocity_server.records import RelayStore
from reciprocity_server.serve import ListenError, start_relay
from test_remote import Cable, Player, eventually, free_port, healthy, relay_process

from reciprocity.deck_files import find_deck
from reciprocity.engine import Draw, End, Phase, Respond, Seat, SetLimit, Share
from reciprocity.net.client import JoinCode
from reciprocity.net.connection import RecordArrived, Rejected
from reciprocity.net.core import RelayError
from reciprocity.net.driver import UNREACHABLE, WebSocketConnection
from reciprocity.net.hosting import LocalRelay, resume_game
from reciprocity.protocol import CreateRoom, Record

#: Screens that try again quickly, so a test does not wait out a long back-off.
QUICK = {"first_delay": 0.05, "max_delay": 0.3}


def record(player: Player) -> Record:
    [arrived] = [u for u in player.updates if isinstance(u, RecordArrived)]
    return arrived.record


@pytest.mark.timeout(90)
@pytest.mark.parametrize("who", ["share", "response"])
async def test_words_typed_while_the_relay_restarts_arrive_once_when_the_sender_is_back_first(
    tmp_path: Path, who: str
) -> None:
    port, db = free_port(), tmp_path / "relay.db"
    cables = {seat: Cable(port) for seat in Seat}
    for cable in cables.values():
        await cable.mend()
    url = {seat: f"ws://127.0.0.1:{cable.port}" for seat, cable in cables.items()}
    marker = f"{who}-words-7c1e"
    with relay_process(port, db) as first:
        await healthy(port)
        opening = CreateRoom(deck="first-steps", name="Sam", checkin=False)
        sam = await Player(WebSocketConnection(url[Seat.A], opening, **QUICK)).start()
        assert sam.connection.code is not None
        joining = JoinCode(sam.connection.code, "Ben")
        ben = await Player(WebSocketConnection(url[Seat.B], joining, **QUICK)).start()
        for player in (sam, ben):
            player.connection.send(player.connection.seat, SetLimit(limit=3))
        await sam.until(lambda view: view.phase is Phase.DRAW, "the game to start")
        sam.connection.send(Seat.A, Draw())
        if who == "response":
            sam.connection.send(Seat.A, Share())
        step = Phase.SHARE if who == "share" else Phase.RESPOND
        await ben.until(lambda view: view.phase is step, "the turn to reach the words")
        sender, receiver = (sam, ben) if who == "share" else (ben, sam)
        command = Share() if who == "share" else Respond()
        after = Phase.RESPOND if who == "share" else Phase.LAND

        first.send_signal(signal.SIGKILL)
        first.wait(5)
        await cables[receiver.connection.seat].cut()  # the receiver's screen is held back
        await eventually(lambda: sender.status is not None, what="the sender to see the drop")
        sender.connection.say(sender.connection.seat, marker)  # typed while the relay is down
        sender.connection.send(sender.connection.seat, command)
        with relay_process(port, db) as second:
            await healthy(port)
            await sender.until(lambda view: view.phase is after, "the sender back first")
            assert not [line for line in receiver.words() if marker in line]
            await cables[receiver.connection.seat].mend()
            await eventually(lambda: any(marker in line for line in receiver.words()), 20)
            await receiver.until(lambda view: view.phase is after, "the receiver back too")

            sam.connection.send(Seat.A, End())
            await eventually(
                lambda: all(
                    any(isinstance(u, RecordArrived) for u in p.updates) for p in (sam, ben)
                ),
                20,
                "both records",
            )
            assert [line for line in receiver.words() if marker in line] == [
                f"{sender.connection.seat}: {marker}"
            ]  # exactly once
            assert not [u for u in sender.updates if isinstance(u, Rejected)]
            await sam.stop()
            await ben.stop()
            second.send_signal(signal.SIGTERM)
            second.wait(5)

    # The relay's log and both screens' records agree: nothing lost, nothing doubled.
    store = RelayStore(db)
    [log] = store.logs()
    logged = [(seq, event) for seq, _, event in store.events(log.id)]
    assert [seq for seq, _ in logged] == list(range(1, len(logged) + 1))
    for player in (sam, ben):
        kept = record(player)
        assert [(e.seq, e.event) for e in kept.events] == logged
    assert marker.encode() not in b"".join(
        p.read_bytes() for p in tmp_path.iterdir() if p.is_file()
    )


async def a_hosted_game(sessions: Path) -> tuple[LocalRelay, Player, Player]:
    """Sam hosts with a relay in his program, keeping his session in `sessions`; Ben joins."""
    deck = find_deck("first-steps")
    relay = await LocalRelay.start(free_port(), deck, host="127.0.0.1")
    opening = CreateRoom(deck=deck.id, name="Sam", checkin=False)
    sam = await Player(
        WebSocketConnection(relay.url, opening, sessions=sessions, hosted=relay.port)
    ).start()
    assert sam.connection.code is not None
    ben = await Player(
        WebSocketConnection(relay.url, JoinCode(sam.connection.code, "Ben"), **QUICK)
    ).start()
    return relay, sam, ben


async def hosts_program_dies(relay: LocalRelay, sam: Player) -> None:
    """Sam's screen stops without closing, and the relay in his program stops with it."""
    assert sam.task is not None and sam.connection._lock is not None
    sam.task.cancel()
    await asyncio.gather(sam.task, return_exceptions=True)
    os.close(sam.connection._lock)  # as the end of his process would
    await relay.close()


@pytest.mark.timeout(60)
async def test_a_host_whose_program_died_comes_back_with_its_relay_and_the_partner_resumes(
    tmp_path: Path,
) -> None:
    sessions = tmp_path / "sam"
    relay, sam, ben = await a_hosted_game(sessions)
    for player in (sam, ben):
        player.connection.send(player.connection.seat, SetLimit(limit=3))
    await sam.until(lambda view: view.phase is Phase.DRAW, "the game to start")
    sam.connection.send(Seat.A, Draw())
    await ben.until(lambda view: view.card is not None, "the card")

    await hosts_program_dies(relay, sam)
    await eventually(lambda: ben.status == UNREACHABLE, what="Ben to see the relay gone")

    game = await resume_game(sessions)  # `reciprocity host --resume`
    assert game.relay is not None and game.relay.port == relay.port
    again = Player(game.connection)
    again.task = asyncio.create_task(game.connection.run(again.updates.append))
    await again.until(lambda view: view.card is not None and view.b.connected, "Sam back")
    await ben.until(lambda view: view.a.connected, "Ben back, at the same relay")
    assert ben.status is None
    game.connection.send(Seat.A, Share())
    await ben.until(lambda view: view.phase is Phase.RESPOND, "play going on")
    await ben.stop()
    await again.stop()
    await game.aclose()


@pytest.mark.timeout(60)
async def test_a_host_resume_that_cannot_have_its_port_keeps_the_game_to_try_again(
    tmp_path: Path,
) -> None:
    sessions = tmp_path / "sam"
    relay, sam, ben = await a_hosted_game(sessions)
    await sam.until(lambda view: view.b.name == "Ben", "Ben seated")
    await hosts_program_dies(relay, sam)
    squatter = await asyncio.start_server(lambda r, w: None, "127.0.0.1", relay.port)
    try:
        with pytest.raises(RelayError, match="try --resume again"):
            await resume_game(sessions)
        assert list(sessions.glob("*.json"))  # still kept
    finally:
        squatter.close()
        await squatter.wait_closed()
    game = await resume_game(sessions)  # the port is free again: it comes back
    assert game.relay is not None
    await ben.stop()
    await game.aclose()


async def test_a_second_relay_on_the_same_records_is_refused_and_harms_nothing(
    tmp_path: Path,
) -> None:
    db = tmp_path / "host-relay.sqlite3"
    first = await start_relay("127.0.0.1", 0, db=db, restore=False)
    with pytest.raises(ListenError, match="another relay is using"):
        await start_relay("127.0.0.1", 0, db=db, restore=False)
    await first.close()
    again = await start_relay("127.0.0.1", 0, db=db)  # free once the first has stopped
    await again.close()
