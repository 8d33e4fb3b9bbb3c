"""The facilitator's dashboard under load: 50 rooms, 100 scripted players. Prints figures;
not a test.

This process runs what `reciprocity facilitate` runs: the relay, a session of 50 rooms, and
the dashboard (headless, at 100x30). A second process runs 100 scripted players, two to a
room, playing supported turns with a short random pause before each step.

Measured, for every change in a room: the time from the relay committing it (the row's
`last_active`, by the same clock) to

- the row arriving in the dashboard's connection (the baseline: relay and network only);
- the dashboard's table showing it, after the screen has refreshed.

    uv run python bench/facilitate.py [--rooms 50] [--seconds 30] [--think 0.3]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from reciprocity.deck import Card, Deck, Level
from reciprocity.engine import Seat
from reciprocity.net.codes import new_words
from reciprocity.net.e2e import Handshake
from reciprocity.protocol import PROTOCOL_VERSION, SERVER, Ack, Error, PartnerKey, RoomStatus
from reciprocity.seat_view import SeatView

# --- the players (the second process) ------------------------------------------------------


class Scripted:
    """One scripted player: a reader task keeps the latest view and settles acks."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.view: SeatView | None = None
        self.changed = asyncio.Event()
        self.acks: dict[str, asyncio.Future[bool]] = {}
        self.keys: asyncio.Queue[PartnerKey] = asyncio.Queue()
        self.ids = itertools.count(1)
        self.reader = asyncio.create_task(self._read())

    @classmethod
    async def join(cls, url: str, number: int, name: str) -> Scripted:
        ws = await connect(url, compression=None, max_size=2**20)
        player = cls(ws)
        hello = {"type": "hello", "version": PROTOCOL_VERSION}
        await ws.send(json.dumps(hello | {"join": {"number": number, "name": name}}))
        return player

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send(json.dumps(message))

    async def _read(self) -> None:
        async for frame in self.ws:
            message = SERVER.validate_json(frame)
            if isinstance(message, SeatView):
                self.view = message
                self.changed.set()
            elif isinstance(message, Ack | Error) and message.id in self.acks:
                self.acks.pop(message.id).set_result(isinstance(message, Ack))
            elif isinstance(message, PartnerKey):
                self.keys.put_nowait(message)

    async def act(self, command: dict[str, Any]) -> bool:
        command_id = f"c{next(self.ids)}"
        done = asyncio.get_running_loop().create_future()
        self.acks[command_id] = done
        await self.ws.send(json.dumps({"type": "command", "id": command_id, "command": command}))
        return await done

    async def until(self, check: Any) -> SeatView:
        while self.view is None or not check(self.view):
            self.changed.clear()
            await self.changed.wait()
        return self.view


async def play_pair(url: str, code: str, n: int, think: float, until: float) -> int:
    """Two players join a room and play supported turns until `until`; returns the turns.

    The first is checked by the facilitator's dashboard, with the room's code, as a real
    screen is. The second is admitted when the first says the code matched; there the
    scripted players skip the SPAKE2 arithmetic (a stand-in message), which the relay only
    forwards: this measures the relay and the dashboard, not the key exchange."""
    number = int(code.split("-")[0])
    first = await Scripted.join(url, number, f"A{n}")
    handshake = Handshake(code, number)
    await first.send({"type": "key", "step": "pake", "payload": handshake.message})
    keys = handshake.keys(Seat.A, (await first.keys.get()).payload)
    await first.send({"type": "key", "step": "confirm", "payload": keys.proof})
    await first.until(lambda view: True)
    second = await Scripted.join(url, number, f"B{n}")
    pake = f"stand-in-{n}"
    await second.send({"type": "key", "step": "pake", "payload": pake})
    while (await first.keys.get()).payload != pake:
        pass  # the facilitator's proof, before the partner's message
    await first.send({"type": "code_checked", "matched": True, "pake": pake, "proof": "stand-in"})
    seats = {"a": first, "b": second}
    for player in (first, second):
        await player.act({"type": "set_limit", "limit": 3})
        await player.act({"type": "check_in", "score": 4})
    view = await first.until(lambda view: view.phase == "draw")
    turns = 0
    while time.time() < until:
        sharer = seats[view.sharer]
        listener = seats["b" if view.sharer == "a" else "a"]
        for actor, step in (
            (sharer, "draw"),
            (sharer, "share"),
            (listener, "respond"),
            (sharer, "mark_supported"),
        ):
            await asyncio.sleep(random.uniform(0, 2 * think))
            await actor.act({"type": step})
        turns += 1
        view = await first.until(lambda view, t=turns: view.turns >= t and view.phase == "draw")
    for player in (first, second):
        await player.ws.close()
    return turns


async def players(url: str, codes: list[str], think: float, seconds: float) -> None:
    until = time.time() + seconds
    turns = await asyncio.gather(
        *(play_pair(url, code, n, think, until) for n, code in enumerate(codes))
    )
    print(json.dumps({"turns": sum(turns)}), flush=True)


# --- the facilitator's side (this process) ------------------------------------------------


def bench_deck() -> Deck:
    return Deck(
        id="bench-facilitate",
        title="Bench",
        levels=tuple(
            Level(
                name=f"L{lv}",
                intent="bench",
                cards=tuple(Card(id=f"c{lv}-{n}", text="?") for n in range(400)),
            )
            for lv in range(1, 4)
        ),
    )


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def facilitator(rooms: int, seconds: float, think: float) -> None:
    from reciprocity_server.serve import start_relay

    from reciprocity.net.driver import FacilitatorConnection
    from reciprocity.net.facilitator import SessionUpdate
    from reciprocity.tui.facilitator import FacilitatorApp
    from reciprocity.tui.screens.dashboard import DashboardScreen

    folder = Path(tempfile.mkdtemp(prefix="reciprocity-bench-"))
    os.environ["RECIPROCITY_DATA_DIR"] = str(folder)
    deck = bench_deck()
    relay = await start_relay("127.0.0.1", 0, db=folder / "relay.sqlite3", decks={deck.id: deck})
    token, numbers = await relay.start_session(deck, rooms)
    codes = {number: f"{number}-{new_words()}" for number in numbers}
    connection = FacilitatorConnection(relay.url, token, codes)
    arrived: list[float] = []
    shown: list[float] = []

    original = DashboardScreen.show_room

    def show_room(self: DashboardScreen, room: RoomStatus) -> None:
        original(self, room)
        if room.last_active is not None:
            committed = room.last_active
            self.call_after_refresh(lambda: shown.append(time.time() - committed))

    DashboardScreen.show_room = show_room  # type: ignore[method-assign]
    session = await connection.open()
    app = FacilitatorApp(connection, session, codes, relay=relay.url)
    deliver = app._deliver

    def timed(update: SessionUpdate) -> None:
        if isinstance(update, RoomStatus) and update.last_active is not None:
            arrived.append(time.time() - update.last_active)
        deliver(update)

    app._deliver = timed  # type: ignore[method-assign]
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "--players",
        relay.url,
        "--think",
        str(think),
        "--seconds",
        str(seconds),
        *codes.values(),
        stdout=subprocess.PIPE,
    )
    async with app.run_test(size=(100, 30)):
        out, _ = await process.communicate()
    await connection.aclose()
    await relay.close()
    played = json.loads(out.decode().strip().splitlines()[-1])["turns"]
    print(f"{rooms} rooms, {2 * rooms} scripted players, {seconds:.0f} s, think {think} s a step")
    print(f"turns played: {played}; row updates: {len(arrived)} arrived, {len(shown)} shown")
    print(f"{'':34} {'p50':>8} {'p99':>8} {'max':>8}")
    for label, values in (
        ("baseline: row arrives (relay+net)", arrived),
        ("row shown on dashboard", shown),
    ):
        print(
            f"{label:34} {statistics.median(values) * 1000:7.1f}ms"
            f" {percentile(values, 0.99) * 1000:7.1f}ms {max(values) * 1000:7.1f}ms"
        )
    print(f"target: p99 under 500 ms: {'met' if percentile(shown, 0.99) < 0.5 else 'missed'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rooms", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--think", type=float, default=0.3, help="mean pause before a step")
    parser.add_argument("--players", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("codes", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.players:
        asyncio.run(players(args.players, args.codes, args.think, args.seconds))
    else:
        asyncio.run(facilitator(args.rooms, args.seconds, args.think))


if __name__ == "__main__":
    main()
