"""The facilitator's dashboard, piloted, with three rooms and scripted pairs playing through
the real relay; the totals CSV; pacing; and the dashboard with fifty rooms at 100x30 and at
80x24."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import make_deck
from reciprocity_server.serve import RelayServer, start_relay
from test_remote import Player, eventually
from textual.geometry import Region
from textual.pilot import Pilot
from textual.widgets import Checkbox, DataTable, Input, Static

from reciprocity.deck import Deck
from reciprocity.engine import (
    CheckIn,
    Draw,
    MarkSupported,
    OpenLevel,
    Phase,
    Respond,
    Seat,
    SetLimit,
    Share,
)
from reciprocity.game.pacing import pacing_line
from reciprocity.game.session_export import totals_csv
from reciprocity.net.client import JoinCode
from reciprocity.net.codes import WORDS, new_words
from reciprocity.net.connection import Announced, StatusChanged
from reciprocity.net.driver import RECONNECTING, FacilitatorConnection, WebSocketConnection
from reciprocity.net.facilitator import SessionUpdate
from reciprocity.pacing_wire import (
    ClockStatus,
)
from reciprocity.protocol import (
    RoomStatus,
    SessionStatus,
)
from reciprocity.tui.facilitator import FacilitatorApp
from reciprocity.tui.screens.announce import AnnounceScreen
from reciprocity.tui.screens.confirm import ConfirmScreen
from reciprocity.tui.screens.dashboard import DashboardScreen, pair_label
from reciprocity.tui.screens.export import ExportScreen
from reciprocity.tui.screens.handoff import HandoffScreen

SIZE = (100, 30)
NARROW = (80, 24)
RELAY_LINE = "ws://192.0.2.7:8765"

pytestmark = pytest.mark.timeout(60)


class Session:
    """A relay running a session, and the facilitator's connection to it."""

    def __init__(self, relay: RelayServer, token: str, numbers: list[int]) -> None:
        self.relay, self.token, self.numbers = relay, token, numbers
        # The words of each code are the facilitator's program's, as `facilitate` makes them.
        self.codes = [f"{number}-{new_words()}" for number in numbers]
        self.by_number = dict(zip(numbers, self.codes, strict=True))
        # It checks each room's first joiner, as `facilitate`'s does, while it runs.
        self.connection = FacilitatorConnection(relay.url, token, self.by_number)

    async def app(self, **options: Any) -> FacilitatorApp:
        first = await self.connection.open()
        return FacilitatorApp(self.connection, first, self.by_number, relay=RELAY_LINE, **options)

    async def checking(self) -> asyncio.Task[None]:
        """The facilitator's connection, running without the dashboard's screen."""
        await self.connection.open()
        return asyncio.create_task(self.connection.run(lambda update: None))


@pytest.fixture
async def session(tmp_path: Path) -> AsyncIterator[Session]:
    deck = make_deck(levels=3, cards=12)
    relay = await start_relay(port=0, db=tmp_path / "relay.sqlite3")
    token, numbers = await relay.start_session(deck, 3)
    session = Session(relay, token, numbers)
    yield session
    await session.connection.aclose()
    await relay.close()


async def join_pair(url: str, code: str, names: tuple[str, str]) -> tuple[Player, Player]:
    """Two scripted partners join the same code and set up; the game starts."""
    first = await Player(WebSocketConnection(url, JoinCode(code=code, name=names[0]))).start()
    second = await Player(WebSocketConnection(url, JoinCode(code=code, name=names[1]))).start()
    for player in (first, second):
        seat = player.connection.seat
        player.connection.send(seat, SetLimit(limit=3))
        player.connection.send(seat, CheckIn(score=4))
    await first.until(lambda view: view.phase is Phase.DRAW, "the game to start")
    return first, second


async def supported_turn(sharer: Player, listener: Player) -> None:
    turns = sharer.view.turns
    sharer.connection.send(sharer.connection.seat, Draw())
    sharer.connection.send(sharer.connection.seat, Share())
    await listener.until(lambda view: view.phase is Phase.RESPOND)
    listener.connection.send(listener.connection.seat, Respond())
    await sharer.until(lambda view: view.phase is Phase.LAND)
    sharer.connection.send(sharer.connection.seat, MarkSupported())
    await sharer.until(lambda view: view.turns == turns + 1)


async def earn_level_two(first: Player, second: Player) -> None:
    """Two more supported turns each (the test deck advances after two)."""
    for _ in range(2):
        await supported_turn(first, second)
        await supported_turn(second, first)


def cell(pilot: Pilot[Any], code: str, column: str) -> str:
    table = pilot.app.screen.query_one("#dashboard-rooms", DataTable)
    return str(table.get_cell(code, column))


async def until_cell(pilot: Pilot[Any], code: str, column: str, value: str) -> None:
    async def shown() -> bool:
        await pilot.pause()
        return cell(pilot, code, column) == value

    deadline = asyncio.get_running_loop().time() + 10
    while not await shown():
        if asyncio.get_running_loop().time() > deadline:
            found = cell(pilot, code, column)
            raise AssertionError(f"{code} {column}: expected {value!r}, found {found!r}")
        await asyncio.sleep(0.02)


async def until_screen(pilot: Pilot[Any], kind: type[object]) -> None:
    deadline = asyncio.get_running_loop().time() + 10
    while not isinstance(pilot.app.screen, kind):
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"expected {kind.__name__}, got {type(pilot.app.screen).__name__}")
        await pilot.pause(0.02)


async def test_rows_follow_pairs_playing_through_the_relay(session: Session) -> None:
    app = await session.app()
    async with app.run_test(size=SIZE) as pilot:
        code = session.codes[0]
        assert cell(pilot, code, "state") == "waiting"
        assert cell(pilot, code, "names") == "—"
        join = str(pilot.app.screen.query_one("#dashboard-join", Static).render())
        assert join == f"Pairs join with:  reciprocity join CODE --relay {RELAY_LINE}"
        sam, ben = await join_pair(session.relay.url, code, ("Sam", "Ben"))
        await until_cell(pilot, code, "names", "Sam & Ben")
        await until_cell(pilot, code, "state", "playing")
        await supported_turn(sam, ben)
        await until_cell(pilot, code, "turns", "1")
        assert cell(pilot, code, "support") == "100%"
        await supported_turn(ben, sam)
        await earn_level_two(sam, ben)
        await until_cell(pilot, code, "turns", "6")
        # The pair earned level 2, but only level 1 is open to everyone.
        assert cell(pilot, code, "level") == "1/1" and sam.view.level == 1
        await sam.stop()
        await until_cell(pilot, code, "state", "reconnecting")
        for other in session.codes[1:]:
            assert cell(pilot, other, "turns") == "0"
        await ben.stop()


async def test_the_clock_waits_for_s_opens_by_hand_holds_and_moves_on_by_itself(
    tmp_path: Path,
) -> None:
    """The relay's clock, from the dashboard: a deck whose levels move, two seconds a level."""
    deck = make_deck(levels=3, cards=12).model_copy(
        update={"pace_minutes": 15, "move_on_clock": True}
    )
    relay = await start_relay(port=0, db=tmp_path / "relay.sqlite3")
    token, numbers = await relay.start_session(deck, 3, 2.0)
    session = Session(relay, token, numbers)
    app = await session.app()
    try:
        async with app.run_test(size=NARROW) as pilot:
            pairs = [
                await join_pair(relay.url, code, names)
                for code, names in zip(
                    session.codes[:2], (("Sam", "Ben"), ("Ada", "Kit")), strict=True
                )
            ]
            sam, ada = pairs[0][0], pairs[1][0]
            pacing = pilot.app.screen.query_one("#dashboard-pacing", Static)
            # Not at launch: the clock waits for the facilitator (or, with --pace, for every
            # pair to be seated).
            assert "The 2-second clock starts with s." in str(pacing.render())
            footer = {b.action for (_, b, _, _) in pilot.app.screen.active_bindings.values()}
            assert "start_clock" in footer and "hold" not in footer
            assert sam.view.clock is None

            # Opened by hand, a level of a deck that moves takes every pair along.
            await pilot.press("n")
            await sam.until(lambda view: view.level == 2, "the pair to move to level 2")
            await ada.until(lambda view: view.level == 2, "the other pair to move too")
            await until_cell(pilot, session.codes[0], "level", "2/2")

            # Started, it counts down; held, it stands still.
            await pilot.press("s")
            await sam.until(lambda view: view.clock is not None and view.clock.running)
            await pilot.press("h")
            await sam.until(lambda view: view.clock is not None and not view.clock.running)
            await until_text(pilot, pacing, "Held: level 3 opens")
            await asyncio.sleep(2.5)
            assert sam.view.level == 2
            # Going on, level 3 opens by itself, and after its time the session ends.
            await pilot.press("h")
            await sam.until(lambda view: view.level == 3, "level 3 on the clock")
            assert sam.view.clock is not None and sam.view.clock.last
            await sam.until(lambda view: view.phase is Phase.CLOSING, "the end on the clock")
            await until_text(pilot, pacing, "The session has ended")
            assert app.dashboard.ended
            for player in (p for pair in pairs for p in pair):
                await player.stop()
    finally:
        await session.connection.aclose()
        await relay.close()


async def test_a_room_added_during_the_session_shows_its_code_and_is_checked(
    session: Session,
) -> None:
    kept: list[dict[int, str]] = []
    app = await session.app(keep_codes=lambda codes: kept.append(dict(codes)))
    async with app.run_test(size=NARROW) as pilot:
        await pilot.press("a")
        await eventually(lambda: bool(kept), what="the new room's code")
        [(number, code)] = kept[0].items()
        assert number not in session.by_number and code.startswith(f"{number}-")
        await until_cell(pilot, code, "state", "waiting")
        table = pilot.app.screen.query_one("#dashboard-rooms", DataTable)
        assert table.row_count == 4 and fits(table)
        # The facilitator's program checks its first joiner as for any room of the session.
        late, partner = await join_pair(session.relay.url, code, ("Lou", "Max"))
        await until_cell(pilot, code, "names", "Lou & Max")
        await late.stop()
        await partner.stop()


async def until_text(pilot: Pilot[Any], widget: Static, text: str) -> None:
    deadline = asyncio.get_running_loop().time() + 10
    while text not in str(widget.render()):
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"expected {text!r}, found {str(widget.render())!r}")
        await pilot.pause(0.05)


async def test_broadcast_pause_and_end_reach_the_players(session: Session) -> None:
    app = await session.app()
    async with app.run_test(size=SIZE) as pilot:
        sam, ben = await join_pair(session.relay.url, session.codes[0], ("Sam", "Ben"))
        kit = await Player(
            WebSocketConnection(session.relay.url, JoinCode(code=session.codes[1], name="Kit"))
        ).start()
        await pilot.press("b")
        await until_screen(pilot, AnnounceScreen)
        await pilot.press(*"Five minutes left", "enter")
        for player in (sam, ben, kit):
            await eventually(
                lambda p=player: Announced("Five minutes left") in p.updates,  # type: ignore[misc]
                what="the broadcast",
            )

        await pilot.press("p")
        await sam.until(lambda view: view.held, "the facilitator's pause")
        await until_cell(pilot, session.codes[0], "state", "paused")
        sam.connection.send(sam.connection.seat, Draw())
        await eventually(lambda: any("paused everyone" in str(u) for u in sam.updates))
        await pilot.press("p")
        await sam.until(lambda view: not view.held, "play to go on")
        await until_cell(pilot, session.codes[0], "state", "playing")

        await pilot.press("e")
        await until_screen(pilot, ConfirmScreen)
        await pilot.press("n")
        await until_screen(pilot, DashboardScreen)
        assert sam.view.phase is Phase.DRAW
        await pilot.press("e")
        await until_screen(pilot, ConfirmScreen)
        await pilot.press("y")
        await sam.until(lambda view: view.phase is Phase.CLOSING, "the end")
        # Kit joined alone, so a game ended there too; nobody joined the third room.
        for code, state in zip(session.codes, ("ended", "ended", "unused"), strict=True):
            await until_cell(pilot, code, "state", state)
        # Once ended, the dashboard says so and offers only exporting and quitting.
        board = app.screen
        assert isinstance(board, DashboardScreen)
        pacing = str(board.query_one("#dashboard-pacing", Static).render())
        assert pacing == "The session has ended: x exports the totals, q quits."
        footer = {b.action for (_, b, enabled, _) in board.active_bindings.values() if enabled}
        ended = {"open_next", "start_clock", "hold", "add_room", "pause_all", "broadcast"}
        assert (ended | {"end_session"}).isdisjoint(footer)
        assert {"export", "quit_session"} <= footer
        palette = {c.title for c in app.get_system_commands(board)}
        assert "Open the next level" not in palette and "Export the totals" in palette
        for player in (sam, ben, kit):
            await player.stop()


async def test_the_totals_export_with_and_without_names(session: Session, tmp_path: Path) -> None:
    app = await session.app()
    async with app.run_test(size=SIZE) as pilot:
        sam, ben = await join_pair(session.relay.url, session.codes[1], ("Sam", "Ben"))
        await supported_turn(sam, ben)
        await until_cell(pilot, session.codes[1], "turns", "1")
        for names, path in ((False, tmp_path / "plain.csv"), (True, tmp_path / "named.csv")):
            await pilot.press("x")
            await until_screen(pilot, ExportScreen)
            pilot.app.screen.query_one("#export-path", Input).value = str(path)
            if names:
                pilot.app.screen.query_one("#export-names", Checkbox).value = True
            await pilot.press("ctrl+s")
            await until_screen(pilot, DashboardScreen)
            await eventually(path.exists, what="the CSV")
        plain = list(csv.DictReader(io.StringIO((tmp_path / "plain.csv").read_text())))
        # Rooms by number: the words of a code stay off the file.
        assert [row["pair"] for row in plain] == [*map(str, session.numbers), "total"]
        assert "partner_a" not in plain[0] and "Sam" not in (tmp_path / "plain.csv").read_text()
        played = plain[1]
        assert (played["turns"], played["supported"], played["support_rate"]) == ("1", "1", "1.00")
        assert (plain[-1]["turns"], plain[-1]["state"]) == ("1", "3 pairs")
        named = list(csv.DictReader(io.StringIO((tmp_path / "named.csv").read_text())))
        assert (named[1]["partner_a"], named[1]["partner_b"]) == ("Sam", "Ben")
        await sam.stop()
        await ben.stop()


# --- without a relay: the totals, pacing, and fifty rooms at 100x30 and 80x24 -------------


def status(n: int, **changes: Any) -> RoomStatus:
    fields: dict[str, Any] = {
        "number": n,
        "names": ("Sam", "Ben"),
        "state": "playing",
        "held": False,
        "level": 2,
        "open_level": 2,
        "turns": 4,
        "supported": 3,
        "repairs": 1,
        "unrepaired": 0,
        "passes": 1,
        "last_active": 1000.0,
    }
    return RoomStatus(**(fields | changes))


def test_the_totals_add_up_and_leave_names_out_unless_asked() -> None:
    rows = [status(1), status(2, turns=6, supported=6, unrepaired=2, level=3), status(3, turns=0)]
    rows[2] = status(3, turns=0, supported=0, repairs=0, passes=0, names=(None, None))
    plain = list(csv.DictReader(io.StringIO(totals_csv(rows, depth=3, started=0.0))))
    total = plain[-1]
    assert (total["pair"], total["turns"], total["supported"]) == ("total", "10", "9")
    assert (total["unrepaired"], total["repairs"], total["passes"], total["level"]) == (
        "2",
        "2",
        "2",
        "3",
    )
    assert total["support_rate"] == "0.90" and plain[2]["support_rate"] == ""
    assert "partner_a" not in plain[0] and "Sam" not in totals_csv(rows, depth=3, started=0.0)
    named_csv = totals_csv(rows, depth=3, started=0.0, include_names=True)
    named = list(csv.DictReader(io.StringIO(named_csv)))
    assert (named[0]["partner_a"], named[2]["partner_b"]) == ("Sam", "")


def clock(state: str = "waiting", **changes: Any) -> ClockStatus:
    fields: dict[str, Any] = {
        "state": state,
        "open_level": 1,
        "depth": 3,
        "seconds": 900.0,
        "left": None if state == "waiting" else 897.0,
        "moves": True,
        "auto_start": True,
    }
    return ClockStatus(**(fields | changes))


def test_the_pacing_line_says_what_the_clock_does_next() -> None:
    assert pacing_line(clock(), None) == (
        "Level 1 of 3 open to everyone. "
        "The 15-minute clock starts with s or once every pair is seated."
    )
    running = pacing_line(clock("running"), 897.0)
    assert (
        running == "Level 1 of 3 open to everyone. In 14:57, level 2 opens and every pair moves on."
    )
    last = pacing_line(clock("running", open_level=3), 59.2)
    assert last == "Level 3 of 3 open to everyone. In 1:00, the session ends."
    held = pacing_line(clock("held", open_level=2), 300.0)
    assert held == "Level 2 of 3 open to everyone. Held: level 3 opens 5:00 after h."
    paused = pacing_line(clock("paused"), 62.0)
    assert paused.endswith("While all are paused, the clock stands at 1:02.")
    by_hand = pacing_line(clock("none", seconds=None, left=None), None)
    assert by_hand == "Level 1 of 3 open to everyone. n opens the next."
    assert pacing_line(clock("waiting", seconds=20.0, auto_start=False), None).endswith(
        "The 20-second clock starts with s."
    )


class StillConnection(FacilitatorConnection):
    """A connection that delivers nothing and records what the dashboard sends."""

    def __init__(self) -> None:
        super().__init__("ws://127.0.0.1:1", "t" * 43, {})

    async def run(self, deliver: Callable[[SessionUpdate], None]) -> None:
        await asyncio.Event().wait()


def fifty_rooms(
    first: int = 1, words: str = "amber-harbor", *, held: bool = False
) -> FacilitatorApp:
    """Rooms `first` to `first + 49`, each with the code `<number>-<words>`, and a clock that
    waits to start (or, `held`, everyone paused by the facilitator)."""
    deck: Deck = make_deck()
    numbers = range(first, first + 50)
    rooms = tuple(
        status(n, turns=n % 7, supported=min(n % 5, n % 7), last_active=1000.0 - n, held=held)
        for n in numbers
    )
    timer = clock("paused", left=754.0) if held else clock()
    session = SessionStatus(
        deck_id=deck.id, deck_title=deck.title, depth=3, rooms=rooms, clock=timer
    )
    codes = {n: f"{n}-{words}" for n in numbers}
    return FacilitatorApp(StillConnection(), session, codes, relay=RELAY_LINE, clock=lambda: 1060.0)


def fits(table: DataTable[Any]) -> bool:
    """The whole row is on screen: nothing to scroll sideways to."""
    return (
        table.virtual_size.width <= table.scrollable_content_region.width
        and not table.show_horizontal_scrollbar
    )


async def test_fifty_rooms_at_100x30_scroll_to_the_last() -> None:
    app = fifty_rooms()
    async with app.run_test(size=SIZE) as pilot:
        table = pilot.app.screen.query_one("#dashboard-rooms", DataTable)
        assert table.row_count == 50
        assert table.size.width <= SIZE[0] and table.virtual_size.width <= SIZE[0]
        assert table.size.height >= 15
        await pilot.press("ctrl+end")
        await pilot.pause()
        assert table.cursor_row == 49 and table.scroll_y > 0
        assert str(table.get_cell("50-amber-harbor", "idle")) == "1m"
        assert fits(table)


async def test_fifty_rooms_with_the_longest_codes_and_names_fit_80x24() -> None:
    longest = max(WORDS, key=len)
    app = fifty_rooms(first=9950, words=f"{longest}-{longest}")
    async with app.run_test(size=NARROW) as pilot:
        table = pilot.app.screen.query_one("#dashboard-rooms", DataTable)
        code = f"9950-{longest}-{longest}"
        assert len(code) == 24 and cell(pilot, code, "code") == code
        long_names = ("Wolfeschlegelsteinhausen", "Christopherson")
        app.dashboard.show_room(
            status(9950, names=long_names, state="reconnecting", turns=112, supported=100)
        )
        await pilot.pause()
        assert fits(table) and table.size.height >= 15
        assert cell(pilot, code, "names") == "W… & C…"
        assert cell(pilot, code, "state") == "reconnecting"
        assert (cell(pilot, code, "turns"), cell(pilot, code, "support")) == ("112", "89%")
        assert cell(pilot, code, "idle") == "1m"
        await pilot.press("ctrl+end")
        await pilot.pause()
        assert table.cursor_row == 49 and table.scroll_y > 0 and table.scroll_x == 0

        # A wider terminal gives the names more room; the cursor stays on its row.
        await pilot.resize_terminal(*SIZE)
        await pilot.pause()
        assert cell(pilot, code, "names") == "Wolfeschleg… & Christopher…"
        assert fits(table) and table.cursor_row == 49


async def test_a_name_is_shown_as_typed_never_read_as_markup() -> None:
    app = fifty_rooms()
    async with app.run_test(size=NARROW) as pilot:
        app.dashboard.show_room(status(1, names=("[/]", "[b]Ben")))
        await pilot.pause()
        assert cell(pilot, "1-amber-harbor", "names") == "[/] & [b]Ben"


def test_a_pair_label_cuts_each_name_to_fit() -> None:
    assert pair_label(("Sam", "Ben"), 9) == "Sam & Ben"
    assert pair_label(("Sam", None), 9) == "Sam & ?"
    assert pair_label((None, None), 9) == "—"
    assert pair_label(("Alexandra", "Ben"), 10) == "Ale… & Ben"
    assert pair_label(("Sam", "Christopherson"), 12) == "Sam & Chris…"
    assert pair_label(("Alexandra", "Christopherson"), 13) == "Alex… & Chri…"


def test_fifty_rooms_snapshot(snap_compare: Callable[..., bool]) -> None:
    assert snap_compare(fifty_rooms(), terminal_size=SIZE)


def test_fifty_rooms_at_80x24_snapshot(snap_compare: Callable[..., bool]) -> None:
    assert snap_compare(fifty_rooms(held=True), terminal_size=NARROW)


def shown(widget: Static) -> str:
    """What a widget shows on the screen, its lines joined: only what fits is there."""
    region = Region(0, 0, widget.region.width, widget.region.height)
    return " ".join(" ".join(strip.text.split()) for strip in widget.render_lines(region))


@pytest.mark.parametrize("held", [False, True])
async def test_at_80x24_the_pacing_line_and_everyone_paused_are_never_cut(held: bool) -> None:
    app = fifty_rooms(held=held)
    async with app.run_test(size=NARROW) as pilot:
        pacing = pilot.app.screen.query_one("#dashboard-pacing", Static)
        for timer, left in [
            (clock(), None),
            (clock("held", open_level=2, left=300.0), 300.0),
            (clock("running", open_level=1, left=597.0), None),
            (clock("paused", open_level=2, left=62.0), 62.0),
        ]:
            app.dashboard.show_clock(timer)
            await pilot.pause()
            whole = pacing_line(timer, left if left is not None else app.dashboard.left())
            if held:
                whole += " Everyone is paused (p resumes)."
            assert shown(pacing) == whole
            assert pacing.region.right <= NARROW[0]
        table = pilot.app.screen.query_one("#dashboard-rooms", DataTable)
        assert fits(table) and table.size.height >= 12


async def test_a_player_waits_for_their_partner_then_sees_the_hold_and_the_broadcast(
    session: Session,
) -> None:
    from test_remote import banner_on, choose_limit

    from reciprocity.net.choices import JoinChoice
    from reciprocity.tui.app import ReciprocityApp
    from reciprocity.tui.screens.checkin import CheckInScreen
    from reciprocity.tui.screens.table import TableScreen
    from reciprocity.tui.screens.waiting import WaitingScreen

    code = session.codes[2]
    board = await session.app()
    player = ReciprocityApp(network_form=JoinChoice(code, "Sam", session.relay.url, aloud=True))
    async with board.run_test(size=SIZE) as facilitator, player.run_test(size=(80, 24)) as sam:
        await sam.press("ctrl+s")
        await until_screen(sam, WaitingScreen)
        screen = sam.app.screen
        assert str(screen.query_one("#waiting-code", Static).render()) == code
        body = str(screen.query_one("#waiting-body", Static).render())
        assert body == "Your partner joins with this code."
        ben = await Player(
            WebSocketConnection(session.relay.url, JoinCode(code=code, name="Ben"))
        ).start()
        ben.connection.send(ben.connection.seat, SetLimit(limit=3))
        ben.connection.send(ben.connection.seat, CheckIn(score=3))
        await choose_limit(sam)
        await until_screen(sam, CheckInScreen)
        await sam.press("enter")
        await until_screen(sam, TableScreen)

        await facilitator.press("p")
        await eventually(lambda: banner_on(sam) is not None, what="the hold on Sam's screen")
        assert (
            banner_on(sam) == "Your facilitator has paused everyone. Play goes on when they resume."
        )
        prompt = str(sam.app.screen.query_one("#prompt", Static).render())
        assert "paused everyone" in prompt
        await sam.press("d")
        await sam.pause(0.2)
        assert ben.view.phase is Phase.DRAW and ben.view.card is None
        await facilitator.press("p")
        await eventually(lambda: banner_on(sam) is None, what="the banner to go")

        await facilitator.press("b")
        await until_screen(facilitator, AnnounceScreen)
        await facilitator.press(*"Two minutes", "enter")
        await until_screen(sam, HandoffScreen)  # it stays until Sam has read it
        shown = sam.app.screen
        assert isinstance(shown, HandoffScreen)
        assert (shown.heading, shown.body) == ("From your facilitator", "Two minutes")
        await sam.pause(0.5)
        assert sam.app.screen is shown
        await sam.press("enter")
        await until_screen(sam, TableScreen)
        await ben.stop()


# --- the command line: every mistake is one line ------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--deck", "nope", "--pairs", "3"], "no deck named 'nope'"),
        (["--deck", "fast-friends", "--pairs", "0"], "--pairs must be from 1 to 200"),
        (["--deck", "fast-friends", "--pairs", "2", "--pace", "0"], "--pace must be a number"),
        (["--deck", "fast-friends", "--pairs", "2", "--pace", "nan"], "at least 1"),
        (["--deck", "fast-friends", "--pairs", "2", "--pace", "inf"], "at least 1"),
        (["--deck", "fast-friends", "--pairs", "2", "--pace", "0.5"], "at least 1"),
        (
            ["--deck", "fast-friends", "--pairs", "2", "--codes-out", "/no/such/folder/c.txt"],
            "cannot write the codes to /no/such/folder/c.txt: no such folder",
        ),
        (
            ["--deck", "fast-friends", "--pairs", "2", "--totals-out", "/no/such/folder/t.csv"],
            "cannot write the totals to /no/such/folder/t.csv: no such folder",
        ),
        (
            ["--deck", "fast-friends", "--pairs", "2", "--pace-seconds", "nan"],
            "--pace-seconds must be a number of seconds, at least 1",
        ),
        (["--resume", "--pace-seconds", "5"], "leave out --host, --pace-seconds"),
    ],
)
def test_facilitate_mistakes_are_one_line(args: list[str], expected: str) -> None:
    from test_remote import reciprocity

    result = reciprocity("facilitate", "--host", "127.0.0.1", *args)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and expected in result.stderr, result.stderr
    assert result.stderr.startswith("reciprocity: ")


def test_facilitate_on_a_port_in_use_is_one_line() -> None:
    import socket

    from test_remote import reciprocity

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = reciprocity(
            "facilitate",
            "--deck",
            "fast-friends",
            "--pairs",
            "2",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        )
    assert result.returncode == 1
    assert result.stderr == (
        f"reciprocity: port {port} on 127.0.0.1 is already in use; choose another with --port\n"
    )


async def test_every_action_has_a_footer_key_and_a_palette_entry() -> None:
    app = fifty_rooms()
    async with app.run_test(size=SIZE) as pilot:
        screen = pilot.app.screen
        keys = {binding.action: binding.key for binding in DashboardScreen.BINDINGS}  # type: ignore[union-attr]
        actions = {"open_next", "hold", "pause_all", "broadcast", "export", "end_session"}
        actions |= {"start_clock", "add_room"}
        assert actions | {"quit_session"} <= set(keys)
        palette = {command.callback.__name__ for command in app.get_system_commands(screen)}
        assert {f"action_{action}" for action in actions} <= palette
        footer = {binding.action for (_, binding, enabled, _) in screen.active_bindings.values()}
        # The clock waits: s starts it, and h shows once it runs.
        assert actions - {"hold"} <= footer and "hold" not in footer
        app.dashboard.show_clock(clock("running"))
        await pilot.pause()
        footer = {binding.action for (_, binding, enabled, _) in screen.active_bindings.values()}
        assert actions - {"start_clock"} <= footer and "start_clock" not in footer


async def test_the_dashboard_connection_comes_back_after_a_drop(session: Session) -> None:
    from test_remote import Cable

    cable = Cable(session.relay.port)
    await cable.mend()
    url = f"ws://127.0.0.1:{cable.port}"
    connection = FacilitatorConnection(url, session.token, session.by_number)
    await connection.open()
    updates: list[SessionUpdate] = []
    task = asyncio.create_task(connection.run(updates.append))
    await cable.cut()
    await eventually(lambda: StatusChanged(RECONNECTING) in updates, what="the drop")
    # A first joiner waits while the facilitator's program is away, and is checked when it
    # is back.
    joining = asyncio.create_task(
        Player(
            WebSocketConnection(session.relay.url, JoinCode(code=session.codes[0], name="Sam"))
        ).start()
    )
    await asyncio.sleep(0.2)
    assert not joining.done()
    await cable.mend()
    sam = await joining
    await eventually(lambda: any(isinstance(u, SessionStatus) for u in updates), what="the session")
    [again] = [u for u in updates if isinstance(u, SessionStatus)]
    assert again.rooms[0].names == (None, None)  # Sam was checked after the dashboard's login
    await eventually(
        lambda: any(isinstance(u, RoomStatus) and u.names == ("Sam", None) for u in updates),
        what="Sam's row",
    )
    connection.steer(OpenLevel(level=2))
    await sam.until(lambda view: view.open_level == 2, "a command after the drop")
    connection.close()
    await asyncio.wait_for(task, 5)
    await sam.stop()
    await cable.cut()


async def test_the_facilitator_checks_the_first_joiner_who_checks_the_second(
    session: Session,
) -> None:
    from reciprocity.net.core import RelayRefused
    from reciprocity.net.e2e import CODE_MISMATCH

    number = session.numbers[0]
    checking = await session.checking()
    wrong = f"{number}-{new_words()}"
    assert wrong != session.codes[0]
    # A stranger with the number alone cannot take the first seat: the facilitator's program
    # checks the code.
    with pytest.raises(RelayRefused) as refused:
        await WebSocketConnection(session.relay.url, JoinCode(code=wrong, name="Kim")).open()
    assert str(refused.value) == CODE_MISMATCH
    sam = await Player(
        WebSocketConnection(session.relay.url, JoinCode(code=session.codes[0], name="Sam"))
    ).start()
    assert sam.connection.seat is Seat.A
    with pytest.raises(RelayRefused) as refused:
        await WebSocketConnection(session.relay.url, JoinCode(code=wrong, name="Kim")).open()
    assert str(refused.value) == CODE_MISMATCH
    ben = await Player(
        WebSocketConnection(session.relay.url, JoinCode(code=session.codes[0], name="Ben"))
    ).start()
    view = await sam.until(lambda view: view.b.name == "Ben", "Ben admitted by Sam's screen")
    assert view.a.name == "Sam"
    await sam.stop()
    await ben.stop()
    session.connection.close()
    await asyncio.wait_for(checking, 5)


def test_the_codes_file_is_for_the_facilitator_alone(tmp_path: Path) -> None:
    from reciprocity.kept import write_private

    path = tmp_path / "codes.txt"
    path.write_text("old\n")
    path.chmod(0o644)
    write_private(path, "7-amber-harbor\n")
    assert path.read_text() == "7-amber-harbor\n"
    assert path.stat().st_mode & 0o777 == 0o600
