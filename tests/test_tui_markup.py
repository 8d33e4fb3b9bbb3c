"""Text from another person or a file is shown as it is written, never read as markup."""

from __future__ import annotations

import html
import re

from conftest import make_deck
from test_tui_game import SIZE, turn, until
from textual.pilot import Pilot

from reciprocity.deck import Deck
from reciprocity.engine import Seat
from reciprocity.net.connection import Announced, Rejected
from reciprocity.tui.app import ReciprocityApp, Updated
from reciprocity.tui.screens.closing import ClosingScreen
from reciprocity.tui.screens.handoff import HandoffScreen
from reciprocity.tui.screens.limits import LimitScreen
from reciprocity.tui.screens.table import TableScreen
from reciprocity.tui.screens.whose import WhoseScreen

#: A name that closes a tag nobody opened: Textual's markup parser raises on it.
CLOSER = "[/]"
#: A name that markup would turn into a link running an action.
CLICK = "[@click=app.quit]x[/]"


def marked_deck() -> Deck:
    """The test deck with markup in its title, level names and intents, and card text."""
    deck = make_deck()
    levels = tuple(
        level.model_copy(
            update={
                "name": f"[b]Lv{n}[/b]",
                "intent": f"[@click=app.quit]in{n}[/]",
                "cards": tuple(
                    card.model_copy(update={"text": f"Say [/] and [red]{card.id}[/red]?"})
                    for card in level.cards
                ),
            }
        )
        for n, level in enumerate(deck.levels, start=1)
    )
    return deck.model_copy(update={"title": "[b]Marked[/] deck", "levels": levels})


def shown(pilot: Pilot[None]) -> str:
    """Every character on the screen, as a person would read it."""
    svg = pilot.app.export_screenshot()
    return html.unescape(re.sub(r"<[^>]+>", "", svg)).replace("\xa0", " ")


async def test_markup_in_names_decks_and_messages_is_shown_literally() -> None:
    app = ReciprocityApp(deck=marked_deck(), names=(CLOSER, CLICK), checkin=False, seed=5)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+s")
        await until(pilot, HandoffScreen)
        assert CLOSER in shown(pilot)
        await pilot.press("enter")
        await until(pilot, LimitScreen)
        screen = shown(pilot)
        assert CLOSER in screen and "[b]Lv1[/b]" in screen and "[@click=app.quit]in1[/]" in screen
        await pilot.press("home", "down", "down", "enter")
        await until(pilot, HandoffScreen)
        assert CLICK in shown(pilot)
        await pilot.press("enter")
        await until(pilot, LimitScreen)
        await pilot.press("home", "down", "down", "enter")
        await until(pilot, HandoffScreen)
        await pilot.press("enter")
        await until(pilot, TableScreen)
        await turn(pilot, "d")
        screen = shown(pilot)
        assert "[b]Marked[/] deck" in screen and "[b]Lv1[/b]" in screen
        assert CLOSER in screen and CLICK in screen and "Say [/] and [red]" in screen
        await turn(pilot, "s", "r", "c", "y")
        assert f"{CLOSER} felt supported" in shown(pilot)
        await pilot.press("ctrl+l")
        await until(pilot, WhoseScreen)
        screen = shown(pilot)
        assert f"1 {CLOSER}" in screen and f"2 {CLICK}" in screen
        await pilot.press("escape")
        await until(pilot, TableScreen)
        app.post_message(Updated(Announced(text=CLICK)))
        await until(pilot, HandoffScreen)  # a facilitator's line stays until read
        assert CLICK in shown(pilot) and app.is_running
        await pilot.press("enter")
        await until(pilot, TableScreen)
        app.post_message(Updated(Rejected(seat=Seat.A, message=f"“{CLOSER}” is not a command.")))
        await pilot.pause()
        told = {note.message: note.markup for note in app._notifications}
        assert told[f"“{CLOSER}” is not a command."] is False
        await turn(pilot, "e", "y")
        await until(pilot, ClosingScreen)
        screen = shown(pilot)
        assert f"Thank you, {CLOSER} and {CLICK}." in screen
        assert app.is_running and app.return_code is None
