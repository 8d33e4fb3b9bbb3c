"""Network play: `WebSocketConnection` against a real relay, the TUI over it, and the CLI.

Everything runs on loopback, on free ports, with temporary data folders.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from pathlib import Path

import pytest
from conftest import make_deck
from reciprocity_server.records import RelayStore
from reciprocity_server.serve import RelayServer, start_relay
from test_relay_process import free_port
from textual.pilot import Pilot
from textual.widgets import Input, RichLog, Static

from reciprocity.deck import Deck
from reciprocity.deck_files import find_deck
from reciprocity.engine import (
    CheckIn,
    Draw,
    End,
    Forgive,
    MarkStung,
    MarkSupported,
    NameHurt,
    Outcome,
    Phase,
    Repair,
    Respond,
    Seat,
    SetLimit,
    Share,
)
from reciprocity.game.history import past_games
from reciprocity.net.choices import HostChoice, JoinChoice
from reciprocity.net.client import JoinCode
from reciprocity.net.codes import BadCode, check_code, invite_line
from reciprocity.net.connection import (
    RecordArrived,
    Rejected,
    StatusChanged,
    Update,
    ViewChanged,
    WordsArrived,
)
from reciprocity.net.core import RelayRefused, RelayUnreachable
from reciprocity.net.driver import RECONNECTING, WebSocketConnection
from reciprocity.net.hosting import LocalRelay, lan_address
from reciprocity.protocol import CreateRoom
from reciprocity.records.store import Store
from reciprocity.seat_view import SeatView
from reciprocity.tui.app import ReciprocityApp
from reciprocity.tui.screens.closing import ClosingScreen
from reciprocity.tui.screens.home import HomeScreen
from reciprocity.tui.screens.join import JoinScreen
from reciprocity.tui.screens.limits import LimitScreen
from reciprocity.tui.screens.notes import NotesScreen
from reciprocity.tui.screens.table import TableScreen
from reciprocity.tui.screens.waiting import WaitingScreen
from reciprocity.tui.setup_flow import deck_for

SIZE = (80, 24)
ROOT = Path(__file__).resolve().parents[1]


def assert_never_kept(markers: tuple[str, ...], log: Path, folder: Path) -> None:
    """Words players typed (each carrying a marker) reached neither the relay's log nor its
    database files in `folder`."""
    said = log.read_text()
    kept = b"".join(p.read_bytes() for p in folder.glob("relay.db*") if p.is_file())
    for marker in markers:
        assert marker not in said and marker.encode() not in kept, marker


async def eventually(check: Callable[[], bool], timeout: float = 10.0, what: str = "") -> None:
    """Wait until `check()` holds, or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or check}")
        await asyncio.sleep(0.02)


class Player:
    """One partner's connection, with every update it delivered."""

    def __init__(self, connection: WebSocketConnection) -> None:
        self.connection = connection
        self.updates: list[Update] = []
        self.task: asyncio.Task[None] | None = None

    @property
    def view(self) -> SeatView:
        """The latest view delivered."""
        return next(u.view for u in reversed(self.updates) if isinstance(u, ViewChanged))

    @property
    def status(self) -> str | None:
        """The latest status delivered (None when all is well)."""
        found = [u.text for u in self.updates if isinstance(u, StatusChanged)]
        return found[-1] if found else None

    def words(self) -> list[str]:
        """Every line of words delivered, as `seat: text`."""
        return [f"{u.seat}: {u.text}" for u in self.updates if isinstance(u, WordsArrived)]

    async def start(self) -> Player:
        """Take the seat and start delivering."""
        await self.connection.open()
        self.task = asyncio.create_task(self.connection.run(self.updates.append))
        return self

    async def until(self, check: Callable[[SeatView], bool], what: str = "") -> SeatView:
        """The first view (the latest, or one still to come) for which `check` holds."""

        def ready() -> bool:
            return any(isinstance(u, ViewChanged) for u in self.updates) and check(self.view)

        await eventually(ready, what=what)
        return self.view

    async def stop(self) -> None:
        """Close the connection and wait for its worker to end."""
        self.connection.close()
        if self.task is not None:
            await asyncio.wait_for(self.task, 5)


@pytest.fixture
def deck() -> Deck:
    """A small deck the in-process relay is given by id."""
    return make_deck()


@pytest.fixture
async def relay(tmp_path: Path, deck: Deck) -> AsyncIterator[RelayServer]:
    """A relay in this process, on a free loopback port."""
    server = await start_relay("127.0.0.1", 0, db=tmp_path / "relay.db", decks={deck.id: deck})
    yield server
    await server.close()


async def pair(url: str, deck: Deck, *, checkin: bool = True) -> tuple[Player, Player]:
    """Sam hosts a game and Ben joins it with the code."""
    sam = await Player(
        WebSocketConnection(url, CreateRoom(deck=deck.id, name="Sam", checkin=checkin))
    ).start()
    code = sam.connection.code
    assert code is not None
    ben = await Player(
        WebSocketConnection(url, JoinCode(code=code, name="Ben"), first_delay=0.05)
    ).start()
    return sam, ben


# --- the connection, with no screen ----------------------------------------------------------


@pytest.mark.timeout(30)
async def test_a_pair_of_connections_plays_a_whole_game_with_a_repair(
    relay: RelayServer, deck: Deck
) -> None:
    sam, ben = await pair(relay.url, deck)
    assert (sam.connection.seat, ben.connection.seat) == (Seat.A, Seat.B)
    assert sam.connection.code == ben.connection.code
    for player in (sam, ben):
        seat = player.connection.seat
        player.connection.send(seat, SetLimit(limit=3))
        player.connection.send(seat, CheckIn(score=3))
    await sam.until(lambda view: view.phase is Phase.DRAW, "the game to start")
    assert sam.view.me.limit == 3 and sam.view.ceiling_text == "you both chose level 3"

    sam.connection.send(Seat.A, Draw())
    sam.connection.send(Seat.A, Share())
    sam.connection.say(Seat.A, "marker-5c1d")
    await ben.until(lambda view: view.phase is Phase.RESPOND, "Sam to share")
    await eventually(lambda: "a: marker-5c1d" in ben.words(), what="Sam's words at Ben's")
    assert "a: marker-5c1d" in sam.words()  # shown on the sharer's own screen at once
    ben.connection.send(Seat.B, Respond())
    await sam.until(lambda view: view.phase is Phase.LAND)
    sam.connection.send(Seat.A, MarkStung())
    sam.connection.send(Seat.A, NameHurt())
    await ben.until(lambda view: view.phase is Phase.REPAIR, "the repair step")
    ben.connection.send(Seat.B, Repair())
    await sam.until(lambda view: view.phase is Phase.FORGIVE)
    sam.connection.send(Seat.A, Forgive())
    view = await ben.until(lambda view: view.turns == 1, "the turn to end")
    assert view.last_outcome is Outcome.REPAIRED and view.sharer is Seat.B

    ben.connection.send(Seat.B, Draw())
    ben.connection.send(Seat.B, Share())
    await sam.until(lambda view: view.phase is Phase.RESPOND)
    sam.connection.send(Seat.A, Respond())
    await ben.until(lambda view: view.phase is Phase.LAND)
    ben.connection.send(Seat.B, MarkSupported())
    await sam.until(lambda view: view.turns == 2 and view.level == 2, "level 2 to open")

    sam.connection.send(Seat.A, End())
    for player in (sam, ben):
        await player.until(lambda view: view.phase is Phase.CLOSING)
        player.connection.send(player.connection.seat, CheckIn(score=5))
    final = await ben.until(lambda view: view.phase is Phase.FINISHED, "the game to finish")
    assert final.summary is not None
    assert (final.summary.turns, final.summary.repairs, final.summary.deepest_level) == (2, 1, 2)
    assert not [u for u in sam.updates + ben.updates if isinstance(u, Rejected)]

    def records(player: Player) -> list[RecordArrived]:
        return [update for update in player.updates if isinstance(update, RecordArrived)]

    await eventually(lambda: records(sam) and records(ben), what="the game's record")
    for player in (sam, ben):
        [arrived] = records(player)
        assert len(arrived.record.events) == final.seq
    await sam.stop()
    await ben.stop()
    stored = b"".join(p.read_bytes() for p in relay.db.parent.rglob("*") if p.is_file())
    assert b"marker-5c1d" not in stored


@pytest.mark.timeout(30)
async def test_a_refused_command_comes_back_as_rejected(relay: RelayServer, deck: Deck) -> None:
    sam, ben = await pair(relay.url, deck, checkin=False)
    ben.connection.send(Seat.B, Draw())
    await eventually(lambda: any(isinstance(u, Rejected) for u in ben.updates), what="a refusal")
    [rejected] = [u for u in ben.updates if isinstance(u, Rejected)]
    assert rejected.seat is Seat.B and rejected.message
    await sam.stop()
    await ben.stop()


class Cable:
    """A loopback TCP forwarder to a port that can be cut, and later mended."""

    def __init__(self, target: int) -> None:
        self.target = target
        self.port = free_port()
        self.server: asyncio.Server | None = None
        self.links: list[asyncio.StreamWriter] = []

    async def mend(self) -> None:
        """Start forwarding (again)."""
        self.server = await asyncio.start_server(self._link, "127.0.0.1", self.port)

    async def cut(self) -> None:
        """Drop every connection through the cable and stop accepting new ones."""
        assert self.server is not None
        self.server.close()
        for writer in self.links:
            writer.transport.abort()
        self.links.clear()
        await self.server.wait_closed()

    async def _link(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target)
        self.links += [writer, up_writer]
        await asyncio.gather(
            self._pipe(reader, up_writer), self._pipe(up_reader, writer), return_exceptions=True
        )

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        finally:
            writer.transport.abort()


@pytest.mark.timeout(30)
async def test_a_partner_who_drops_is_shown_away_and_play_goes_on_when_they_return(
    relay: RelayServer, deck: Deck
) -> None:
    cable = Cable(relay.port)
    await cable.mend()
    sam = await Player(
        WebSocketConnection(relay.url, CreateRoom(deck=deck.id, name="Sam", checkin=False))
    ).start()
    assert sam.connection.code is not None
    url = f"ws://127.0.0.1:{cable.port}"
    ben = await Player(
        WebSocketConnection(url, JoinCode(code=sam.connection.code, name="Ben"), first_delay=0.1)
    ).start()
    for player in (sam, ben):
        player.connection.send(player.connection.seat, SetLimit(limit=2))
    await ben.until(lambda view: view.phase is Phase.DRAW)
    sam.connection.send(Seat.A, Draw())
    sam.connection.send(Seat.A, Share())
    await ben.until(lambda view: view.phase is Phase.RESPOND)

    await cable.cut()
    await sam.until(lambda view: not view.b.connected, "Sam to see Ben away")
    await eventually(lambda: ben.status is not None, what="Ben's banner")
    # Ben responds while away: the command waits, and goes when he is back.
    ben.connection.send(Seat.B, Respond())
    await asyncio.sleep(0.3)
    assert sam.view.phase is Phase.RESPOND

    await cable.mend()
    await sam.until(lambda view: view.b.connected, "Sam to see Ben back")
    await sam.until(lambda view: view.phase is Phase.LAND, "Ben's response to arrive")
    await eventually(lambda: ben.status is None, what="Ben's banner to clear")
    assert RECONNECTING in [u.text for u in ben.updates if isinstance(u, StatusChanged)]
    sam.connection.send(Seat.A, MarkSupported())
    await ben.until(lambda view: view.turns == 1 and view.sharer is Seat.B)
    await sam.stop()
    await ben.stop()
    await cable.cut()


@pytest.mark.timeout(30)
async def test_a_wrong_code_a_full_room_and_a_twin_name_are_refused_in_words(
    relay: RelayServer, deck: Deck
) -> None:
    with pytest.raises(RelayRefused, match="no game has the code 1-wrong-code"):
        await WebSocketConnection(relay.url, JoinCode(code="1-wrong-code", name="Ben")).open()
    sam = await Player(WebSocketConnection(relay.url, CreateRoom(deck=deck.id, name="Sam"))).start()
    assert sam.connection.code is not None
    twin = WebSocketConnection(relay.url, JoinCode(code=sam.connection.code, name="sam"))
    with pytest.raises(RelayRefused, match=r"^please choose a name different from your partner"):
        await twin.open()
    ben = await Player(
        WebSocketConnection(relay.url, JoinCode(code=sam.connection.code, name="Ben"))
    ).start()
    third = WebSocketConnection(relay.url, JoinCode(code=sam.connection.code, name="Kit"))
    with pytest.raises(RelayRefused, match="already has two partners"):
        await third.open()
    await sam.stop()
    await ben.stop()


async def test_a_closed_port_is_unreachable_in_words() -> None:
    url = f"ws://127.0.0.1:{free_port()}"
    opening = JoinCode(code="1-ab-cd", name="Ben")
    with pytest.raises(RelayUnreachable, match=f"cannot reach the relay at {url}: connection"):
        await WebSocketConnection(url, opening, timeout=2).open()


def test_codes_invites_and_the_lan_address() -> None:
    assert check_code(" 7-Amber-Harbor ") == "7-amber-harbor"
    with pytest.raises(BadCode, match="not a game code"):
        check_code("amber")
    assert invite_line("7-amber-harbor", "ws://localhost:8765") == "reciprocity join 7-amber-harbor"
    assert invite_line("7-amber-harbor", "ws://10.0.0.2:9000") == (
        "reciprocity join 7-amber-harbor --relay ws://10.0.0.2:9000"
    )
    assert socket.inet_aton(lan_address())


def test_a_joiner_without_the_deck_chooses_from_an_outline_with_its_topics(deck: Deck) -> None:
    from reciprocity.game.room import Room

    view = Room.create(deck, None, seed=1).view(Seat.B)
    outline = deck_for(view)
    assert [level.name for level in outline.levels] == [level.name for level in deck.levels]
    assert outline.tags() == deck.tags() and outline.tags()  # the joiner can still draw lines
    shipped = find_deck("first-steps")
    assert deck_for(Room.create(shipped, None, seed=1).view(Seat.B)) == shipped


# --- the command line ------------------------------------------------------------------------


def reciprocity(*args: str, timeout: float = 20) -> subprocess.CompletedProcess[str]:
    """Run `python -m reciprocity ARGS` with no terminal, as a person's shell would."""
    return subprocess.run(
        [sys.executable, "-m", "reciprocity", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        cwd=ROOT,
    )


@pytest.mark.timeout(30)
@pytest.mark.parametrize("name", [["--name", "Ben"], []])
def test_join_with_no_relay_there_says_so_in_one_line(name: list[str]) -> None:
    url = f"ws://127.0.0.1:{free_port()}"
    result = reciprocity("join", "7-amber-harbor", "--relay", url, *name)
    assert result.returncode == 1
    assert result.stderr == f"reciprocity: cannot reach the relay at {url}: connection refused\n"
    assert result.stdout == ""


@pytest.mark.timeout(30)
async def test_join_with_a_wrong_code_says_so_in_one_line(relay: RelayServer) -> None:
    process = await asyncio.create_subprocess_exec(
        *[sys.executable, "-m", "reciprocity", "join", "12-wrong-code", "--name", "Ben"],
        *["--relay", relay.url],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    out, err = await asyncio.wait_for(process.communicate(), 20)
    assert process.returncode == 1
    assert err.decode() == (
        "reciprocity: no game has the code 12-wrong-code; check it with your partner\n"
    )
    assert out == b""


@pytest.mark.timeout(30)
def test_join_with_something_that_is_not_a_code_says_so_in_one_line() -> None:
    result = reciprocity("join", "amber-harbor")
    assert result.returncode == 1
    assert result.stderr == (
        "reciprocity: 'amber-harbor' is not a game code; a code looks like 7-amber-harbor\n"
    )


@pytest.mark.timeout(30)
def test_host_on_a_port_in_use_says_so_in_one_line() -> None:
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = reciprocity("host", "--name", "Sam", "--port", str(port))
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"reciprocity: port {port} ")
    assert "already in use" in result.stderr


@pytest.mark.timeout(30)
async def test_the_join_form_says_what_went_wrong_and_stays(relay: RelayServer) -> None:
    app = ReciprocityApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("down", "down", "enter")
        await until_screen(pilot, JoinScreen)
        await pilot.press(*"12-wrong-code", "enter", *"Ben", "tab")
        relay_input = pilot.app.screen.query_one("#join-relay", Input)
        relay_input.value = relay.url
        await pilot.press("ctrl+s")
        status = pilot.app.screen.query_one("#join-status", Static)
        await eventually(lambda: "No game has the code 12-wrong-code" in str(status.render()))
        assert isinstance(pilot.app.screen, JoinScreen) and app.network is None


@pytest.mark.timeout(30)
async def test_the_host_may_cancel_while_waiting_for_a_partner(
    relay: RelayServer, deck: Deck
) -> None:
    app = ReciprocityApp(network_form=HostChoice(deck, "Sam", relay.url, True, aloud=False))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+s")
        await until_screen(pilot, WaitingScreen)
        await pilot.press("escape")
        await until_screen(pilot, HomeScreen)
        assert app.network is None and app.connection is None


# --- two screens through a relay process, which is killed and comes back ---------------------


SERVE = (sys.executable, "-m", "reciprocity", "serve")


@contextlib.contextmanager
def relay_process(
    port: int, db: Path, log: Path | None = None, extra: Sequence[str] = ()
) -> Iterator[subprocess.Popen[bytes]]:
    """`reciprocity serve` on a loopback port (with `extra` options), killed at the end if it
    still runs. What it logs is added to `log`, if given."""
    with contextlib.ExitStack() as stack:
        stderr = stack.enter_context(log.open("ab")) if log is not None else subprocess.DEVNULL
        process = subprocess.Popen(
            [*SERVE, "--port", str(port), "--db", str(db), *extra],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            cwd=ROOT,
            env={**os.environ},
        )
        try:
            yield process
        finally:
            if process.poll() is None:
                process.kill()
            process.wait(5)


async def healthy(port: int, timeout: float = 15.0) -> None:
    """Wait until the relay on `port` answers `GET /healthz`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            await writer.drain()
            answer = await reader.read(64)
            writer.close()
            if answer.startswith(b"HTTP/1.1 200"):
                return
        await asyncio.sleep(0.05)
    raise AssertionError(f"the relay on port {port} never became healthy")


async def until_screen(pilot: Pilot[int], screen: type[object], timeout: float = 10.0) -> None:
    """Let the app run until the given screen is on top."""
    deadline = time.monotonic() + timeout
    while not isinstance(pilot.app.screen, screen):
        if time.monotonic() > deadline:
            found = type(pilot.app.screen).__name__
            raise AssertionError(f"expected {screen.__name__}, got {found}")
        await pilot.pause(0.02)


def app_view(pilot: Pilot[int]) -> SeatView:
    app = pilot.app
    assert isinstance(app, ReciprocityApp) and app.view is not None
    return app.view


def words_on(pilot: Pilot[int]) -> str:
    screen = pilot.app.screen
    log = screen.words if isinstance(screen, TableScreen) else screen.query_one("#words", RichLog)
    return "\n".join(str(line.text) for line in log.lines)


def banner_on(pilot: Pilot[int]) -> str | None:
    banner = pilot.app.screen.query_one("#banner", Static)
    return str(banner.render()) if banner.display else None


async def choose_limit(pilot: Pilot[int]) -> None:
    await until_screen(pilot, LimitScreen)
    await pilot.press("enter")


@pytest.mark.timeout(90)
async def test_two_screens_play_through_a_relay_that_is_killed_and_restarted(
    tmp_path: Path,
) -> None:
    port, db = free_port(), tmp_path / "relay.db"
    url = f"ws://127.0.0.1:{port}"
    deck = find_deck("first-steps")
    with relay_process(port, db) as first:
        await healthy(port)
        host = ReciprocityApp(network_form=HostChoice(deck, "Sam", url, False, aloud=False))
        async with host.run_test(size=SIZE) as sam:
            await sam.press("ctrl+s")
            await until_screen(sam, WaitingScreen)
            assert host.network is not None
            code = host.network.code
            shown = str(sam.app.screen.query_one("#waiting-code", Static).render())
            invite = str(sam.app.screen.query_one("#waiting-invite", Static).render())
            assert shown == code and invite == f"reciprocity join {code} --relay {url}"

            joiner = ReciprocityApp(network_form=JoinChoice(code, "Ben", url, aloud=True))
            async with joiner.run_test(size=SIZE) as ben:
                await ben.press("ctrl+s")
                await choose_limit(ben)
                await choose_limit(sam)
                await until_screen(sam, TableScreen)
                await until_screen(ben, TableScreen)
                assert app_view(ben).name(Seat.A) == "Sam"

                await sam.press("d", "t", *"marker-9e2f", "enter")
                await eventually(lambda: "Sam: marker-9e2f" in words_on(ben), what="words")
                await sam.press("s")
                await eventually(lambda: app_view(ben).phase is Phase.RESPOND)
                # Ben talks aloud on a call: no typing line is offered to him.
                prompt = str(ben.app.screen.query_one("#prompt", Static).render())
                assert "respond to Sam, aloud." in prompt and "typed" not in prompt
                await ben.press("t")
                assert not ben.app.screen.query_one("#say", Input).display

                first.send_signal(signal.SIGKILL)
                first.wait(5)
                await eventually(lambda: banner_on(ben) is not None, what="Ben's banner")
                await eventually(lambda: banner_on(sam) is not None, what="Sam's banner")
                # Ben responds while the relay is down: it goes once the relay is back.
                await ben.press("r")
                with relay_process(port, db):
                    await healthy(port)
                    await eventually(
                        lambda: app_view(sam).phase is Phase.LAND, 20, "Ben's response"
                    )
                    await eventually(lambda: banner_on(sam) is None, what="the banner to go")
                    # Words sealed after the restart open on Ben's screen: no new code.
                    await sam.press("t", *"marker-4a7c", "enter")
                    await eventually(
                        lambda: "Sam: marker-4a7c" in words_on(ben), what="words after"
                    )
                    await sam.press("y")
                    await eventually(lambda: app_view(ben).turns == 1, what="the turn's end")
                    assert app_view(ben).last_outcome is Outcome.SUPPORTED
                    assert banner_on(ben) is None

                    await ben.press("e", "y")
                    for pilot in (sam, ben):
                        await until_screen(pilot, ClosingScreen)
                        await pilot.press("enter")
                        await until_screen(pilot, NotesScreen)
                    await ben.press("tab", *"Thank you, Sam", "ctrl+s")
                    await sam.press("escape")
                    await until_screen(sam, WaitingScreen)
                    body = sam.app.screen.query_one("#waiting-body", Static)
                    await eventually(lambda: "Ben says: Thank you, Sam" in str(body.render()))

                    # Each partner's own history keeps the game (here both share one folder).
                    history = Store()
                    await eventually(lambda: len(past_games(history)) == 2, what="both records")
                    games = past_games(history)
                    assert {game.mode for game in games} == {"network"}
                    assert all(game.summary.turns == 1 and game.finished_at for game in games)
                    outcomes = [[p.outcome for p in game.summary.timeline] for game in games]
                    assert outcomes == [[Outcome.SUPPORTED]] * 2
                    history.close()


@pytest.mark.timeout(30)
async def test_the_hosts_own_relay_keeps_its_own_records_and_starts_afresh(
    data_dir: Path, deck: Deck
) -> None:
    first = await LocalRelay.start(0, deck, host="127.0.0.1")
    sam = await Player(WebSocketConnection(first.url, CreateRoom(deck=deck.id, name="Sam"))).start()
    await sam.stop()
    await first.close()
    assert (data_dir / "host-relay.sqlite3").exists()
    assert not (data_dir / "relay.sqlite3").exists()  # `reciprocity serve`'s stays its own
    again = await LocalRelay.start(0, deck, host="127.0.0.1")
    try:
        assert RelayStore(data_dir / "host-relay.sqlite3").rooms() == []  # none comes back
    finally:
        await again.close()
