"""SVG snapshots of the main screens at 80x24, with a fixed seed and the shipped first deck.

Update them after a deliberate change with `uv run pytest tests/test_snapshots.py
--snapshot-update`, and look at the report before committing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from test_tui_game import SIZE, set_up, turn, until
from textual.pilot import Pilot

from reciprocity.deck_files import find_deck
from reciprocity.tui.app import ReciprocityApp
from reciprocity.tui.screens.closing import ClosingScreen
from reciprocity.tui.screens.pause import PauseScreen
from reciprocity.tui.widgets.breathing import BreathingGuide

SnapCompare = Callable[..., bool]


def app() -> ReciprocityApp:
    return ReciprocityApp(deck=find_deck("first-steps"), names=("Sam", "Ben"), seed=7)


def playing(*keys: str) -> Callable[[Pilot[Any]], Awaitable[None]]:
    async def run_before(pilot: Pilot[Any]) -> None:
        await set_up(pilot, limits=(4, 3))
        await turn(pilot, *keys)

    return run_before


def test_the_table(snap_compare: SnapCompare) -> None:
    assert snap_compare(app(), terminal_size=SIZE, run_before=playing("d"))


def test_the_repair_step(snap_compare: SnapCompare) -> None:
    keys = ("d", "s", "r", "y", "d", "s", "r", "x", "h")
    assert snap_compare(app(), terminal_size=SIZE, run_before=playing(*keys))


def test_the_pause(snap_compare: SnapCompare) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await playing("z")(pilot)
        await until(pilot, PauseScreen)
        pilot.app.screen.query_one(BreathingGuide).running = False
        await pilot.pause()

    assert snap_compare(app(), terminal_size=SIZE, run_before=run_before)


def test_the_closing_screen(snap_compare: SnapCompare) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        keys = ["d", "s", "r", "y", "d", "p", "d", "s", "r", "y"]
        keys += ["d", "s", "r", "x", "h", "m", "f", "d", "s", "r", "x", "h", "g"]
        await playing(*keys, "e", "y")(pilot)
        for _ in range(2):
            await pilot.press("enter")
            await pilot.pause()
            await pilot.press("right", "enter")
            await pilot.pause()
        await until(pilot, ClosingScreen)

    assert snap_compare(app(), terminal_size=SIZE, run_before=run_before)
