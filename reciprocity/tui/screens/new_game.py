"""A new game on this terminal: choose a deck, then enter both names."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Checkbox, Footer, Input, Label, OptionList
from textual.widgets.option_list import Option

from reciprocity import DEFAULT_DECK
from reciprocity.engine.names import MAX_NAME, NameProblem, normalise_name, same_name
from reciprocity.tui.widgets.deck_preview import DeckPreview

if TYPE_CHECKING:
    from reciprocity.deck import Deck


@dataclass(frozen=True)
class GameChoice:
    """What a new game needs: the deck, both names and whether to check in."""

    deck: Deck
    names: tuple[str, str]
    checkin: bool


class NewGameScreen(Screen[GameChoice | None]):
    """Pick a deck (with a preview and its content notes), then the two names."""

    BINDINGS = [
        Binding("ctrl+s", "start", "Start", priority=True),
        Binding("escape", "cancel", "Back"),
        # As on the notes screen: names typed quickly after Tab go into the next field.
        Binding("tab", "app.focus_next", "Next field", show=False, priority=True),
        Binding("shift+tab", "app.focus_previous", "Previous field", show=False, priority=True),
    ]

    def __init__(
        self,
        deck: Deck | None = None,
        names: tuple[str, str] | None = None,
        checkin: bool = True,
    ) -> None:
        super().__init__()
        self.decks: list[Deck] = []
        self.given = deck
        self.chosen: Deck | None = deck
        self.names = names or ("", "")
        self.checkin = checkin

    def compose(self) -> ComposeResult:
        """Deck list and preview above, names and the check-in switch below."""
        yield Label("A new game", classes="title", markup=False)
        with Horizontal(id="new-game-decks"):
            yield OptionList(Option("Finding decks…", disabled=True), id="deck-list", markup=False)
            preview = DeckPreview(id="deck-preview")
            # The preview scrolls by itself; a Tab into it would show no focus and lose keys.
            preview.can_focus = False
            yield preview
        with Horizontal(id="new-game-names"):
            yield Input(
                self.names[0], placeholder="First partner's name", id="name-a", max_length=MAX_NAME
            )
            yield Input(
                self.names[1], placeholder="Second partner's name", id="name-b", max_length=MAX_NAME
            )
        with Horizontal(id="new-game-options"):
            yield Checkbox("Check-in before and after", self.checkin, id="checkin")
            yield Label(self._hint(), id="new-game-error", classes="-hint", markup=False)
        yield Footer()

    @property
    def named(self) -> bool:
        """Whether both names came from the command line (`play --names A B`)."""
        return bool(self.names[0] and self.names[1])

    def _hint(self) -> str:
        if self.named:
            return "Enter on a deck starts the game."
        return "Enter on a deck moves on to the names."

    def on_mount(self) -> None:
        """Start on the deck list (the names are asked only when not given), and find the
        decks once the screen is up, so that reading them (and importing pydantic, in a
        thread) never holds up its first paint."""
        self.query_one("#new-game-names").display = not self.named
        self.query_one("#deck-list", OptionList).focus()
        self.query_one(DeckPreview).deck = self.chosen
        self.call_after_refresh(self._find_decks)

    def _problem(self, text: str) -> None:
        error = self.query_one("#new-game-error", Label)
        error.remove_class("-hint")
        error.update(text)

    @work(thread=True, exclusive=True)
    def _find_decks(self) -> None:
        from reciprocity.deck_files import available_decks

        found = [entry.deck for entry in available_decks() if entry.deck is not None]
        self.app.call_from_thread(self._show_decks, found)

    def _show_decks(self, found: list[Deck]) -> None:
        if self not in self.app.screen_stack:  # started (or left) before the decks were read
            return
        given = self.given
        if given is not None and all(deck.id != given.id for deck in found):
            found.insert(0, given)
        self.decks = found
        self.chosen = self.chosen or next((d for d in found if d.id == DEFAULT_DECK), None)
        options = self.query_one("#deck-list", OptionList)
        options.set_options(Option(deck.title, id=deck.id) for deck in found)
        if self.chosen is not None:
            options.highlighted = found.index(self.chosen)
            self.query_one(DeckPreview).deck = self.chosen

    @on(OptionList.OptionHighlighted, "#deck-list")
    def _preview(self, event: OptionList.OptionHighlighted) -> None:
        if not self.decks:
            return
        self.chosen = self.decks[event.option_index]
        self.query_one(DeckPreview).deck = self.chosen

    @on(OptionList.OptionSelected, "#deck-list")
    def _deck_chosen(self) -> None:
        if self.named and self.query_one("#new-game-names").display is False:
            self.action_start()
        else:
            self.query_one("#name-a", Input).focus()

    @on(Input.Submitted, "#name-a")
    def _first_name(self) -> None:
        self.query_one("#name-b", Input).focus()

    @on(Input.Submitted, "#name-b")
    def _second_name(self) -> None:
        self.action_start()

    def action_start(self) -> None:
        """Start, once there is a deck and two different names."""
        raw = [self.query_one(f"#name-{seat}", Input).value for seat in "ab"]
        if self.chosen is None:
            self._problem("Choose a deck first." if self.decks else "Still finding the decks…")
            return
        names = self.query_one("#new-game-names")
        if not raw[0].strip() or not raw[1].strip():
            names.display = True
            self._problem("Please enter both names.")
            self.query_one("#name-b" if raw[0].strip() else "#name-a", Input).focus()
            return
        try:
            first, second = (normalise_name(name) for name in raw)
        except NameProblem as problem:
            names.display = True
            self._problem(str(problem))
            return
        if same_name(first, second):
            names.display = True
            self._problem("Please use two different names.")
        else:
            checkin = self.query_one("#checkin", Checkbox).value
            self.dismiss(GameChoice(self.chosen, (first, second), checkin))

    def action_cancel(self) -> None:
        """Go back without starting."""
        self.dismiss(None)
