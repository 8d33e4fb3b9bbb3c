"""Pilot tests for the rough edges a new player met at 80 by 24 (issue 18, "The screens")."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import make_deck
from test_tui_game import LEVEL_TWO, SIZE, at_table, notice, table_app, turn, until
from test_tui_markup import shown
from textual import events
from textual.pilot import Pilot
from textual.widgets import Input, Static

from reciprocity import DEFAULT_DECK
from reciprocity.deck_files import find_deck
from reciprocity.engine import Seat
from reciprocity.game.narrate import LIGHTER_CARD
from reciprocity.tui.app import ReciprocityApp
from reciprocity.tui.closing_flow import ENDED
from reciprocity.tui.palette import LEAVE
from reciprocity.tui.screens.confirm import ConfirmScreen
from reciprocity.tui.screens.handoff import HandoffScreen
from reciprocity.tui.screens.home import HomeScreen
from reciprocity.tui.screens.limits import LimitScreen
from reciprocity.tui.screens.new_game import NewGameScreen
from reciprocity.tui.screens.notes import NotesScreen, WrittenNotes
from reciprocity.tui.screens.table import TableScreen
from reciprocity.tui.screens.whose import WhoseScreen, partner_keys
from reciprocity.tui.widgets.lines_list import LinesList
from reciprocity.tui.widgets.standing import CEILING_REACHED, Standing


def test_partner_keys_are_first_letters_or_numbers() -> None:
    assert partner_keys({Seat.A: "Sam", Seat.B: "Ben"}) == {Seat.A: "s", Seat.B: "b"}
    assert partner_keys({Seat.A: "Sam", Seat.B: "sue"}) == {Seat.A: "1", Seat.B: "2"}
    assert partner_keys({Seat.A: "Ёжик", Seat.B: "Ben"}) == {Seat.A: "1", Seat.B: "2"}


async def test_whose_limit_names_the_partners_and_escape_cancels() -> None:
    app = table_app()
    async with app.run_test(size=SIZE) as pilot:
        await at_table(pilot)
        await pilot.press("ctrl+l")
        await until(pilot, WhoseScreen)
        footer = shown(pilot)
        assert "s Sam" in footer and "b Ben" in footer and "esc Cancel" in footer
        assert "y Yes" not in footer
        await pilot.press("escape")
        await until(pilot, TableScreen)
        await pilot.pause(0.2)
        assert isinstance(app.screen, TableScreen)
        assert app.views[Seat.A].me.limit == 3 and app.views[Seat.B].me.limit == 3


def prompt(pilot: Pilot[int]) -> str:
    return str(pilot.app.screen.query_one("#prompt", Static).render())


async def test_a_lighter_card_says_it_does_not_count_when_offered_and_played() -> None:
    app = table_app()
    async with app.run_test(size=SIZE) as pilot:
        await at_table(pilot, turns=LEVEL_TWO)
        sharer = app.view.sharer
        steps = app.view.partner(sharer).progress
        await turn(pilot, "d", "p")
        assert "l for a lighter card from level 1" in prompt(pilot)
        assert "does not count toward going deeper" in prompt(pilot)
        await turn(pilot, "l", "s", "r", "y")
        assert LIGHTER_CARD in notice(pilot)
        assert app.view.partner(sharer).progress == steps


async def test_ticks_are_listed_in_the_order_offered() -> None:
    app = table_app()
    async with app.run_test(size=SIZE) as pilot:
        await at_table(pilot)
        await turn(pilot, "d", "s", "r", "c", "a", "u")
        assert "Ticked: understood, accepted, cared for." in prompt(pilot)
        await turn(pilot, "y")
        assert "Sam felt supported: understood, accepted, cared for." in notice(pilot)


async def test_new_game_tab_goes_from_the_decks_to_the_first_name() -> None:
    app = ReciprocityApp(deck=make_deck(), checkin=False, play=True)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, NewGameScreen)
        assert "Enter on a deck moves on to the names." in shown(pilot)
        await pilot.press("tab", "S", "a", "m")
        assert app.screen.query_one("#name-a", Input).value == "Sam"


async def test_names_typed_quickly_after_tab_go_into_the_next_field() -> None:
    app = ReciprocityApp(deck=make_deck(), checkin=False, play=True)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, NewGameScreen)
        await pilot.press("tab", "S", "a", "m")
        for key, char in [("tab", "\t"), *((c, c) for c in "Ben")]:
            app.post_message(events.Key(key, char))
        await pilot.pause(0.3)
        assert app.screen.query_one("#name-a", Input).value == "Sam"
        assert app.screen.query_one("#name-b", Input).value == "Ben"


async def test_new_game_with_names_given_asks_only_for_the_deck() -> None:
    app = ReciprocityApp(deck=make_deck(), names=("Sam", "Ben"), checkin=False, play=True)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, NewGameScreen)
        await pilot.pause(0.3)
        assert not app.screen.query_one("#new-game-names").display
        assert "Enter on a deck starts the game." in shown(pilot)
        await pilot.press("enter")
        await until(pilot, HandoffScreen)


async def test_ctrl_q_in_the_middle_of_a_game_asks_first() -> None:
    app = table_app()
    async with app.run_test(size=SIZE) as pilot:
        await at_table(pilot)
        await pilot.press("ctrl+q")
        await until(pilot, ConfirmScreen)
        assert LEAVE in shown(pilot)
        await pilot.press("n")
        await until(pilot, TableScreen)
        assert app.is_running
        await pilot.press("ctrl+q")
        await until(pilot, ConfirmScreen)
        await pilot.press("y")
        await pilot.pause(0.2)
        assert not app.is_running


async def test_ctrl_q_away_from_a_game_leaves_at_once() -> None:
    app = ReciprocityApp()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, HomeScreen)
        await pilot.press("ctrl+q")
        await pilot.pause(0.2)
        assert not app.is_running


async def test_the_light_theme_is_first_in_the_palette_and_kept(data_dir: Path) -> None:
    app = ReciprocityApp()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, HomeScreen)
        first = next(iter(app.get_system_commands(app.screen)))
        assert first.title == "Light theme"
        first.callback()
        await pilot.pause(0.2)
        assert app.theme == "textual-light"
    assert json.loads((data_dir / "settings.json").read_text())["theme"] == "textual-light"
    again = ReciprocityApp()
    async with again.run_test(size=SIZE) as pilot:
        await until(pilot, HomeScreen)
        assert again.theme == "textual-light"
        assert next(iter(again.get_system_commands(again.screen))).title == "Dark theme"


async def test_after_end_the_hand_off_says_the_game_has_ended() -> None:
    app = table_app()
    async with app.run_test(size=SIZE) as pilot:
        await at_table(pilot, checkin=True)
        await turn(pilot, "e", "y")
        await until(pilot, HandoffScreen)
        screen = shown(pilot)
        assert ENDED in screen and "Pass the keyboard to Sam." in screen
        assert screen.index(ENDED) < screen.index("Pass the keyboard to Sam.")


async def test_every_topic_fits_at_80_by_24_and_ticks_read_without_colour() -> None:
    deck = find_deck(DEFAULT_DECK)
    app = ReciprocityApp()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, HomeScreen)
        app.push_screen(LimitScreen("Sam", deck, None, ("loss",)))
        await until(pilot, LimitScreen)
        await pilot.pause()
        lines = app.screen.query_one("#limit-lines", LinesList)
        assert len(deck.tags()) >= 15 and lines.max_scroll_y == 0
        boxes = {
            "".join(seg.text for seg in list(lines.render_line(y))[:3]): y
            for y in range(len(deck.tags()))
        }
        ticked = deck.tags().index("loss")
        assert boxes["▐X▌"] == ticked and set(boxes) == {"▐X▌", "▐ ▌"}
        shown_now = shown(pilot)
        assert all(tag in shown_now for tag in deck.tags())


async def test_keys_typed_quickly_after_tab_do_not_go_into_the_private_note() -> None:
    app = ReciprocityApp()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, HomeScreen)
        kept: list[WrittenNotes | None] = []
        app.push_screen(NotesScreen("Sam", "Ben"), kept.append)
        await until(pilot, NotesScreen)
        await pilot.press("m", "e")
        for key, char in [("tab", "\t"), *((c, c) for c in "thanks")]:
            app.post_message(events.Key(key, char))
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert kept == [WrittenNotes(note="me", appreciation="thanks")]


async def test_openers_are_never_cut_in_the_middle_and_the_typing_line_names_its_keys() -> None:
    app = table_app()
    async with app.run_test(size=SIZE) as pilot:
        await at_table(pilot)
        await turn(pilot, "d", "s")
        lines = prompt(pilot).splitlines()
        assert lines[1:] == [
            "1 “Thank you for telling me.”  2 “I've felt that too.”",
            "3 “That took courage.”  4 “I'd love to hear more.”",
        ]
        await turn(pilot, "t", "h", "i")
        footer = shown(pilot)
        assert "Send" in footer and "esc Hide" in footer
        await turn(pilot, "escape")
        assert not app.screen.query_one("#say", Input).display


async def test_the_ceiling_reads_true_for_both_partners_without_saying_whose() -> None:
    app = table_app()
    async with app.run_test(size=SIZE) as pilot:
        await at_table(pilot, limits=(1, 3))
        for seat in Seat:
            standing = Standing()
            standing.set_reactive(Standing.view, app.views[seat])
            text = str(standing.render())
            assert CEILING_REACHED in text and "you chose" not in text
