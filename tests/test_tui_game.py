"""Whole games played through the Textual UI with the pilot, as two people at one keyboard."""

from __future__ import annotations

import time
from pathlib import Path

from conftest import make_deck
from test_tui_widgets import play_turn
from textual.pilot import Pilot
from textual.widgets import Static

from reciprocity.deck import Deck
from reciprocity.engine import CheckIn, Join, Outcome, Phase, Seat, SetLimit
from reciprocity.game.history import past_games
from reciprocity.game.room import Room
from reciprocity.records.store import Store
from reciprocity.tui.app import ReciprocityApp
from reciprocity.tui.screens.checkin import CheckInScreen
from reciprocity.tui.screens.closing import ClosingScreen
from reciprocity.tui.screens.handoff import HandoffScreen
from reciprocity.tui.screens.home import HomeScreen
from reciprocity.tui.screens.limits import LimitScreen
from reciprocity.tui.screens.notes import NotesScreen
from reciprocity.tui.screens.pause import PauseScreen
from reciprocity.tui.screens.table import TableScreen
from reciprocity.tui.screens.whose import WhoseScreen

SIZE = (80, 24)


def new_app(deck: Deck | None = None, *, checkin: bool = True) -> ReciprocityApp:
    """An app started as `reciprocity play --names Sam Ben`, with a fixed seed."""
    return ReciprocityApp(deck=deck or make_deck(), names=("Sam", "Ben"), checkin=checkin, seed=5)


async def until(pilot: Pilot[int], screen: type[object], timeout: float = 10.0) -> None:
    """Let the app run until the given screen is on top (generous, for a loaded machine)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if isinstance(pilot.app.screen, screen):
            return
        await pilot.pause(0.01)
    raise AssertionError(f"expected {screen.__name__}, got {type(pilot.app.screen).__name__}")


async def set_up(pilot: Pilot[int], limits: tuple[int, int] = (3, 3), checkin: bool = True) -> None:
    """Start the game, choose both limits (and check in), and sit down at the table."""
    await pilot.press("ctrl+s")
    for limit in limits:
        await until(pilot, HandoffScreen)
        await pilot.press("enter")
        await until(pilot, LimitScreen)
        await pilot.press("home", *["down"] * (limit - 1), "enter")
        if checkin:
            await until(pilot, CheckInScreen)
            await pilot.press("enter")
    await until(pilot, HandoffScreen)
    await pilot.press("enter")
    await until(pilot, TableScreen)
    await pilot.pause()


async def at_table(
    pilot: Pilot[int],
    deck: Deck | None = None,
    *,
    limits: tuple[int, int] = (3, 3),
    checkin: bool = False,
    turns: tuple[str, ...] = (),
) -> None:
    """Sit Sam and Ben down at a game set up as `set_up` would (every check-in at 4), after
    `turns` already played (see `play_turn`): for tests of the table, not of the set-up."""
    app = pilot.app
    assert isinstance(app, ReciprocityApp)
    room = Room.create(deck or make_deck(), app.store, checkin=checkin, seed=app.seed)
    for seat, name in zip(Seat, ("Sam", "Ben"), strict=True):
        room.submit(seat, Join(name=name))
    for seat, limit in zip(Seat, limits, strict=True):
        room.submit(seat, SetLimit(limit=limit))
        if checkin:
            room.submit(seat, CheckIn(score=4))
    for how in turns:
        play_turn(room, how)
    app.play_here(room)
    await until(pilot, TableScreen)
    await pilot.pause()


def table_app() -> ReciprocityApp:
    """An app to sit down at a prepared game in, with a fixed seed."""
    return ReciprocityApp(seed=5)


#: Four turns that land well: each partner is met with support twice, so level 2 opens.
LEVEL_TWO = ("supported",) * 4


async def turn(pilot: Pilot[int], *keys: str) -> None:
    """Press the keys of one turn, letting the screen catch up after each."""
    for key in keys:
        await pilot.press(key)
        await pilot.pause()


def notice(pilot: Pilot[int]) -> str:
    return str(pilot.app.screen.query_one("#notice", Static).render())


async def test_a_whole_game_with_a_repair_ends_in_the_history() -> None:
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await set_up(pilot)
        assert app.view is not None and app.view.phase is Phase.DRAW
        assert app.view.ceiling_text == "you both chose level 3"
        await turn(pilot, "d", "s", "r", "u", "c", "y")
        assert "Sam felt supported: understood, cared for." in notice(pilot)
        assert app.view.sharer is Seat.B
        await turn(pilot, "d", "s", "r", "x")
        assert app.view.phase is Phase.NAME_HURT
        await turn(pilot, "h", "m", "f")
        assert app.view.last_outcome is Outcome.REPAIRED
        assert "Ben forgave Sam" in notice(pilot)
        # Sam's support (1) plus the bonus (1), and Ben's share (1) plus the bonus (1):
        # both reach advance_after, so level 2 opens and progress starts again.
        assert app.view.level == 2
        assert (app.view.a.progress, app.view.b.progress) == (0, 0)
        await turn(pilot, "e", "y")
        for _ in Seat:
            await until(pilot, HandoffScreen)
            await pilot.press("enter")
            await until(pilot, CheckInScreen)
            await pilot.press("right", "enter")
        await until(pilot, ClosingScreen)
        await pilot.press("enter")
        await until(pilot, HandoffScreen)
        await pilot.press("enter")
        await until(pilot, NotesScreen)
        await pilot.press("tab", *"Thank you", "ctrl+s")
        await until(pilot, HandoffScreen)
        await pilot.press("enter")
        await until(pilot, NotesScreen)
        await pilot.press("escape")
        await until(pilot, HandoffScreen)
        assert "Sam says: Thank you" in str(app.screen.query_one("#handoff-body", Static).render())
        await pilot.press("enter")
        await until(pilot, HomeScreen)
    [record] = past_games(Store())
    assert record.summary.turns == 2 and record.summary.repairs == 1
    assert record.summary.deepest_level == 2
    assert (record.summary.a.ios_before, record.summary.a.ios_after) == (4, 5)
    assert (record.summary.b.ios_before, record.summary.b.ios_after) == (4, 5)


async def test_a_sting_brushed_off_steps_the_level_down() -> None:
    app = table_app()
    async with app.run_test(size=SIZE) as pilot:
        await at_table(pilot, turns=LEVEL_TWO)
        assert "Level 2 is open" in notice(pilot)
        await turn(pilot, "d", "s", "r", "x", "h", "g")
        assert app.view.level == 1
        assert app.view.last_outcome is Outcome.UNREPAIRED
        assert "let it go without a repair" in notice(pilot)
        assert (app.view.a.progress, app.view.b.progress) == (0, 0)


async def test_pass_is_free_and_offers_a_lighter_card() -> None:
    app = table_app()
    async with app.run_test(size=SIZE) as pilot:
        await at_table(pilot, turns=LEVEL_TWO)
        sharer = app.view.sharer
        await turn(pilot, "d", "p")
        assert app.view.sharer is sharer and app.view.phase is Phase.DRAW
        assert "A pass is always free" in notice(pilot)
        await turn(pilot, "l")
        assert app.view.card is not None and app.view.card.level == 1


async def test_typed_words_show_on_the_screen_and_nowhere_else() -> None:
    app = table_app()
    async with app.run_test(size=SIZE) as pilot:
        await at_table(pilot)
        await turn(pilot, "d", "t")
        await pilot.press(*"marker-7a3e", "enter")
        await pilot.pause()
        words = app.screen.query_one("#words")
        assert "Sam: marker-7a3e" in "\n".join(str(line.text) for line in words.lines)
        await turn(pilot, "s")
        assert app.view is not None and app.view.phase is Phase.RESPOND
        await turn(pilot, "2")
        assert "Ben: I've felt that too." in "\n".join(str(line.text) for line in words.lines)
    stored = b"".join(
        path.read_bytes() for path in Store().path.parent.rglob("*") if path.is_file()
    )
    assert b"marker-7a3e" not in stored


async def test_pause_waits_for_both_partners() -> None:
    app = table_app()
    async with app.run_test(size=SIZE) as pilot:
        await at_table(pilot)
        await turn(pilot, "z")
        await until(pilot, PauseScreen)
        assert app.view is not None and app.view.paused
        await turn(pilot, "1")
        assert app.view.paused and isinstance(app.screen, PauseScreen)
        await turn(pilot, "2")
        await until(pilot, TableScreen)
        assert not app.view.paused


async def test_not_yet_offers_a_pause() -> None:
    app = table_app()
    async with app.run_test(size=SIZE) as pilot:
        await at_table(pilot)
        await turn(pilot, "d", "s", "r", "x", "h", "m", "w")
        assert app.view is not None and app.view.last_outcome is Outcome.NOT_YET
        await pilot.pause()
        await turn(pilot, "y")
        await until(pilot, PauseScreen)


async def test_the_footer_offers_only_the_keys_of_this_moment() -> None:
    app = table_app()
    async with app.run_test(size=SIZE) as pilot:
        await at_table(pilot)
        screen = app.screen
        assert screen.check_action("draw", ()) and not screen.check_action("share", ())
        await turn(pilot, "s")
        assert app.view is not None and app.view.phase is Phase.DRAW
        await turn(pilot, "d")
        assert screen.check_action("share", ()) and not screen.check_action("draw", ())
        assert not screen.check_action("forgive", ())


async def test_lowering_a_limit_mid_game_is_private_and_takes_effect() -> None:
    app = table_app()
    async with app.run_test(size=SIZE) as pilot:
        await at_table(pilot, limits=(3, 3), turns=LEVEL_TWO)
        await pilot.press("ctrl+l")
        await until(pilot, WhoseScreen)
        await pilot.press("b")
        await until(pilot, HandoffScreen)
        await pilot.press("enter")
        await until(pilot, LimitScreen)
        await pilot.press("home", "enter")
        await until(pilot, TableScreen)
        await pilot.pause()
        assert app.view.level == 1 and app.view.ceiling == 1
        assert app.views[Seat.B].me.limit == 1 and app.views[Seat.A].me.limit == 3
        assert "You are playing up to level 1 now." in notice(pilot)


async def test_a_note_that_cannot_be_kept_is_one_calm_line_and_the_goodbye_goes_on(
    data_dir: Path,
) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "notes").write_text("a file where the notes folder should be")
    app = table_app()
    async with app.run_test(size=SIZE) as pilot:
        await at_table(pilot, turns=("supported",))
        await turn(pilot, "e", "y")
        await until(pilot, ClosingScreen)
        await pilot.press("enter")
        await until(pilot, HandoffScreen)
        await pilot.press("enter")
        await until(pilot, NotesScreen)
        await pilot.press(*"kept for me", "ctrl+s")
        await until(pilot, HandoffScreen)  # on to Ben: nothing crashed
        assert any("Sam's note could not be kept" in n.message for n in app._notifications)
        await pilot.press("enter")
        await until(pilot, NotesScreen)
        await pilot.press("escape")
        await until(pilot, HomeScreen)
