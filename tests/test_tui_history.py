"""Pilot tests of the history and decks screens, the confirm dialog and the deck preview."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_history import play_game
from textual.app import App, ComposeResult
from textual.coordinate import Coordinate
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import DataTable, Label, OptionList, Static

from reciprocity.deck import load_deck
from reciprocity.deck_files import shipped_decks_dir
from reciprocity.game.history import past_games
from reciprocity.records.store import Store
from reciprocity.tui.screens.confirm import ConfirmScreen
from reciprocity.tui.screens.decks import DecksScreen
from reciprocity.tui.screens.history import HistoryScreen, TrendLine
from reciprocity.tui.widgets.deck_preview import DeckPreview, preview_content

STYLESHEET = Path(__file__).resolve().parents[1] / "reciprocity" / "tui" / "reciprocity.tcss"
SIZE = (80, 24)


class Host(App[None]):
    """A tiny app that opens one screen over a blank one and has a `store`, like the real app."""

    CSS_PATH = STYLESHEET

    def __init__(self, screen: Screen[None], *, dark: bool = True) -> None:
        super().__init__()
        self.store = Store()
        self.first = screen
        self.theme = "textual-dark" if dark else "textual-light"

    def on_mount(self) -> None:
        self.push_screen(self.first)


async def settle(pilot: Pilot[None]) -> None:
    """Let workers finish (none may be waiting on a dialog) and the screen refresh."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def shown_text(pilot: Pilot[None]) -> str:
    """Every character on screen, for asserting what a person would read."""
    return pilot.app.export_screenshot().replace("&#160;", " ")


# --- history ---------------------------------------------------------------------------


@pytest.mark.parametrize("dark", [True, False])
async def test_history_lists_games_and_trends(dark: bool) -> None:
    first = play_game(("Sam", "Ben"), turns=4)
    second = play_game(("Ana", "Jo"), turns=4, stung={1: "repair"})
    app = Host(HistoryScreen(), dark=dark)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, HistoryScreen)
        table = screen.query_one("#history-table", DataTable)
        assert table.display and table.row_count == 2
        keys = [table.coordinate_to_cell_key(Coordinate(row, 0)).row_key.value for row in range(2)]
        assert keys == [second.id, first.id]
        cells = [str(cell) for cell in table.get_row_at(0)]
        assert cells[0].strip() == second.id[:4]
        assert cells[3].strip() == "Ana & Jo"
        assert cells[6].strip() == "100%"
        assert cells[9].strip() == "0"
        assert cells[10].strip() == "3→5 4→6"
        assert screen.query_one("#history-trends").display
        support = screen.query_one("#history-support", TrendLine)
        assert list(support.data or []) == [1.0, 1.0]
        assert str(support.render().plain) == "██"
        totals = screen.query_one("#history-totals", Label)
        assert "2 games · 1 repair" in str(totals.render())
        assert not screen.query_one("#history-empty").display
        assert screen.highlighted is not None and screen.highlighted.id == second.id


async def test_history_delete_asks_and_removes_the_highlighted_game() -> None:
    keep = play_game(("Sam", "Ben"))
    gone = play_game(("Ana", "Jo"))
    app = Host(HistoryScreen())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#history-table", DataTable)
        await pilot.press("d")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ConfirmScreen)
        assert dialog.question.startswith("Delete the game from ")
        assert "with Ana & Jo?" in dialog.question
        await pilot.press("n")  # keep it
        await settle(pilot)
        assert isinstance(app.screen, HistoryScreen)
        assert table.row_count == 2

        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, HistoryScreen)
        assert table.row_count == 1
        assert [r.id for r in past_games(Store())] == [keep.id]
        assert gone.id not in [r.id for r in app.screen.records]


async def test_history_empty_state_and_escape_goes_back() -> None:
    app = Host(HistoryScreen())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, HistoryScreen)
        empty = screen.query_one("#history-empty", Static)
        assert empty.display
        assert "No games yet." in str(empty.render())
        assert not screen.query_one("#history-table").display
        assert screen.check_action("delete", ()) is False
        await pilot.press("d")  # nothing to delete: no dialog
        await pilot.pause()
        assert app.screen is screen
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HistoryScreen)


# --- the confirm dialog ----------------------------------------------------------------


class Asker(App[None]):
    """An app that asks one question and keeps the answer."""

    CSS_PATH = STYLESHEET

    def __init__(self) -> None:
        super().__init__()
        self.answers: list[bool | None] = []

    def on_mount(self) -> None:
        self.push_screen(ConfirmScreen("End the game?", "End", "Keep playing"), self.answers.append)


@pytest.mark.parametrize(
    ("keys", "answer"),
    [(("y",), True), (("n",), False), (("escape",), False), (("enter",), False)],
)
async def test_confirm_keys(keys: tuple[str, ...], answer: bool) -> None:
    app = Asker()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "End the game?" in shown_text(pilot)
        await pilot.press(*keys)
        await pilot.pause()
        assert app.answers == [answer]
        assert not isinstance(app.screen, ConfirmScreen)


async def test_confirm_buttons_answer_with_a_click() -> None:
    app = Asker()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.click("#confirm-yes")
        await pilot.pause()
        assert app.answers == [True]


# --- decks -----------------------------------------------------------------------------


def shipped() -> list[str]:
    """The ids of the shipped decks, read straight from their files, in the list's order."""
    return [load_deck(path).id for path in sorted(shipped_decks_dir().glob("*.toml"))]


async def test_decks_lists_shipped_decks_and_previews_the_highlighted_one() -> None:
    ids = shipped()
    assert len(ids) >= 5
    app = Host(DecksScreen())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, DecksScreen)
        options = screen.query_one("#decks-list", OptionList)
        assert options.option_count == len(ids)
        prompts = [str(options.get_option_at_index(i).prompt) for i in range(len(ids))]
        for deck_id, prompt in zip(ids, prompts, strict=True):
            assert deck_id in prompt and "levels" in prompt and "cards" in prompt
        preview = screen.query_one("#decks-preview", DeckPreview)
        assert preview.deck is not None and preview.deck.id == ids[0]
        await pilot.press("down")
        await pilot.pause()
        assert preview.deck is not None and preview.deck.id == ids[1]
        assert preview.deck.title in shown_text(pilot).replace("&#x27;", "'")
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, DecksScreen)


async def test_decks_show_a_broken_deck_muted_with_its_problem(data_dir: Path) -> None:
    folder = data_dir / "decks"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "mine.toml").write_text('id = "mine"\ntitle = "Mine"\n', encoding="utf-8")
    app = Host(DecksScreen(), dark=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        options = app.screen.query_one("#decks-list", OptionList)
        broken = options.get_option_at_index(options.option_count - 1)
        assert broken.disabled
        text = str(broken.prompt)
        assert "mine.toml · yours" in text
        assert "`levels` is missing; add it" in text
        assert str(folder) not in text.splitlines()[1]
        folder_label = app.screen.query_one("#decks-folder", Label)
        assert str(folder) in str(folder_label.render())


# --- the deck preview ------------------------------------------------------------------


def test_preview_shows_levels_notes_and_tags() -> None:
    decks = {load_deck(path).id: load_deck(path) for path in shipped_decks_dir().glob("*.toml")}
    noted = next(deck for deck in decks.values() if deck.content_notes)
    text = preview_content(noted).plain
    assert text.startswith(noted.title)
    assert "Content notes: " + noted.content_notes[0] in text
    for number, level in enumerate(noted.levels, start=1):
        assert f"{number}  {level.name} · {len(level.cards)} cards" in text
        assert level.intent in text
    assert "Tags: " + ", ".join(noted.tags()) in text
    plain = next((d for d in decks.values() if not d.content_notes), None)
    if plain is not None:
        assert "Content notes" not in preview_content(plain).plain
    assert "Choose a deck" in preview_content(None).plain


async def test_preview_scrolls_when_the_deck_is_long() -> None:
    deck = max(
        (load_deck(path) for path in shipped_decks_dir().glob("*.toml")),
        key=lambda d: len(preview_content(d).plain),
    )

    class One(App[None]):
        CSS_PATH = STYLESHEET

        def compose(self) -> ComposeResult:
            yield DeckPreview(deck)

    app = One()
    async with app.run_test(size=(50, 12)) as pilot:
        await pilot.pause()
        preview = app.query_one(DeckPreview)
        assert preview.max_scroll_y > 0
        preview.scroll_end(animate=False)
        await pilot.pause()
        assert preview.scroll_y > 0
        preview.deck = None  # a new deck starts from the top
        await pilot.pause()
        assert preview.scroll_y == 0


async def test_history_table_fits_the_width_and_refits_on_resize() -> None:
    play_game(("Alexandra-Marie", "Benjamin-Christopher"))
    app = Host(HistoryScreen())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#history-table", DataTable)
        assert str(table.get_row_at(0)[3]).strip() != "Alexandra-Marie & Benjamin-Christopher"
        assert table.virtual_size.width <= SIZE[0]
        await pilot.resize_terminal(120, 30)
        await settle(pilot)
        assert str(table.get_row_at(0)[3]).strip() == "Alexandra-Marie & Benjamin-Christopher"
