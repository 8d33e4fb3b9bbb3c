"""The decks there are: shipped ones and the person's own, with a preview of the highlighted one."""

from __future__ import annotations

import asyncio

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Label, OptionList
from textual.widgets.option_list import Option

from reciprocity.deck_files import DeckEntry, available_decks
from reciprocity.paths import user_decks_dir
from reciprocity.tui.widgets.deck_preview import DeckPreview


def first_problem(entry: DeckEntry) -> str:
    """A broken deck's first problem, without the file's path in front (the list names it)."""
    if not entry.problems:
        return ""
    problem = entry.problems[0]
    prefix = f"{entry.path}: "
    return problem[len(prefix) :] if problem.startswith(prefix) else problem


def deck_option(entry: DeckEntry, index: int) -> Option:
    """One deck in the list: its title and id, levels and cards; a broken deck, disabled."""
    source = "" if entry.shipped else " · yours"
    if entry.deck is None:
        prompt = Content.from_markup(
            "[b]$name[/]$source\n$problem",
            name=entry.path.name,
            source=source,
            problem=first_problem(entry),
        )
        return Option(prompt, id=str(index), disabled=True)
    deck = entry.deck
    prompt = Content.from_markup(
        "[b]$title[/] [$text-muted]· $levels\n$id · $cards$source",
        title=deck.title,
        levels=f"{deck.depth} levels" if deck.depth != 1 else "1 level",
        id=deck.id,
        cards=f"{deck.card_count} cards" if deck.card_count != 1 else "1 card",
        source=source,
    )
    return Option(prompt, id=str(index))


class DecksScreen(Screen[None]):
    """Every deck, shipped and the person's own, with a preview of the highlighted one."""

    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("r", "reload", "Reload"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.entries: list[DeckEntry] = []

    def compose(self) -> ComposeResult:
        """The title, the list beside the preview, where to put your own decks, and the keys."""
        yield Label("Decks", classes="title", markup=False)
        with Horizontal(id="decks-main"):
            yield OptionList(id="decks-list")
            yield DeckPreview(id="decks-preview")
        yield Label("", id="decks-folder", classes="muted", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        """Find the decks."""
        self.query_one("#decks-list", OptionList).focus()
        self.load()

    @work(exclusive=True, group="decks-load")
    async def load(self) -> None:
        """Read every deck file off the event loop, then list them."""
        entries, folder = await asyncio.to_thread(lambda: (available_decks(), user_decks_dir()))
        self.show(entries)
        self.query_one("#decks-folder", Label).update(
            Content.from_markup("Your own decks go in: $folder", folder=str(folder))
        )

    def show(self, entries: list[DeckEntry]) -> None:
        """List these decks and preview the first one that can be played."""
        self.entries = entries
        options = self.query_one("#decks-list", OptionList)
        options.clear_options()
        options.add_options(deck_option(entry, i) for i, entry in enumerate(entries))
        playable = [i for i, entry in enumerate(entries) if entry.deck is not None]
        preview = self.query_one("#decks-preview", DeckPreview)
        if playable:
            options.highlighted = playable[0]
            preview.deck = entries[playable[0]].deck
        else:
            preview.deck = None

    @on(OptionList.OptionHighlighted, "#decks-list")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        index = int(event.option.id or 0)
        self.query_one("#decks-preview", DeckPreview).deck = self.entries[index].deck

    def action_back(self) -> None:
        """Go back to where the decks were opened from."""
        self.dismiss(None)

    def action_reload(self) -> None:
        """Read the deck files again, after editing one."""
        self.load()
