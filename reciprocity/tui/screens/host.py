"""Host a game over the network: choose a deck, give your name, and get a code."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Checkbox, Footer, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from reciprocity import DEFAULT_DECK
from reciprocity.engine.names import MAX_NAME
from reciprocity.net.choices import HostChoice
from reciprocity.tui import messages

if TYPE_CHECKING:
    from reciprocity.deck import Deck

#: What the aloud checkbox says, on the host and join forms alike.
ALOUD = "We're talking aloud (on a call)"


def relay_address(text: str) -> str | None:
    """A relay address typed in a form: None when empty; raises ValueError when not ws(s)://."""
    text = text.strip()
    if not text:
        return None
    if not text.startswith(("ws://", "wss://")):
        raise ValueError("A relay address starts with ws:// or wss://")
    return text


class HostScreen(messages.Form):
    """The host's form. Ctrl+S (or Enter in the last field) posts `Submitted`."""

    BINDINGS = [
        Binding("ctrl+s", "host", "Host", priority=True),
        Binding("escape", "cancel", "Back"),
    ]

    Submitted: TypeAlias = messages.HostSubmitted

    def __init__(self, choice: HostChoice | None = None) -> None:
        """A form, filled in from `choice` if given."""
        super().__init__()
        self.given = choice
        self.chosen: Deck | None = choice.deck if choice else None
        self.decks: list[Deck] = []
        self.port = choice.port if choice else HostChoice.port
        self.web = choice.web if choice else None
        self.busy = False

    def compose(self) -> ComposeResult:
        """Decks, then the name, the relay and the two choices."""
        given = self.given
        yield Label("Host a game over the network", classes="title", markup=False)
        yield OptionList(Option("Finding decks…", disabled=True), id="host-decks", markup=False)
        with Horizontal(classes="form-row"):
            yield Label("Your name", classes="form-label", markup=False)
            yield Input(given.name if given else "", id="host-name", max_length=MAX_NAME)
        with Horizontal(classes="form-row"):
            yield Label("Relay", classes="form-label", markup=False)
            yield Input(
                (given.relay or "") if given else "",
                placeholder=f"empty: start one here, on port {self.port}",
                id="host-relay",
            )
        with Horizontal(classes="form-row"):
            yield Checkbox(
                "Closeness check-in", given.checkin if given else True, id="host-checkin"
            )
            yield Checkbox(ALOUD, given.aloud if given else False, id="host-aloud")
        yield Static("", id="host-status", classes="form-status", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        """Find the decks without holding up the screen."""
        self.query_one("#host-name" if self.chosen else "#host-decks").focus()
        self._find_decks()

    @work(thread=True, exclusive=True)
    def _find_decks(self) -> None:
        from reciprocity.deck_files import available_decks

        found = [entry.deck for entry in available_decks() if entry.deck is not None]
        self.app.call_from_thread(self._show_decks, found)

    def _show_decks(self, found: list[Deck]) -> None:
        if self not in self.app.screen_stack:  # the form was left before the decks were read
            return
        chosen = self.chosen
        if chosen is not None and chosen not in found:
            found.insert(0, chosen)
        self.decks = found
        self.chosen = chosen or next((d for d in found if d.id == DEFAULT_DECK), None)
        options = self.query_one("#host-decks", OptionList)
        options.set_options(
            Option(f"{deck.title}  ({deck.depth} levels)", id=deck.id) for deck in found
        )
        if self.chosen is not None:
            options.highlighted = found.index(self.chosen)

    @on(OptionList.OptionHighlighted, "#host-decks")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if self.decks:
            self.chosen = self.decks[event.option_index]

    @on(OptionList.OptionSelected, "#host-decks")
    def _deck_chosen(self) -> None:
        self.query_one("#host-name", Input).focus()

    @on(Input.Submitted, "#host-name")
    def _name_given(self) -> None:
        self.query_one("#host-relay", Input).focus()

    @on(Input.Submitted, "#host-relay")
    def _relay_given(self) -> None:
        self.action_host()

    def action_host(self) -> None:
        """Check the form, then ask the app to take a seat at the relay."""

        if self.busy:
            return
        name = " ".join(self.query_one("#host-name", Input).value.split())
        try:
            relay = relay_address(self.query_one("#host-relay", Input).value)
        except ValueError as error:
            self.show_status(f"{error}.", error=True)
            return
        if self.chosen is None:
            self.show_status("Choose a deck first." if self.decks else "Still finding decks…")
        elif not name:
            self.show_status("Please enter your name.", error=True)
            self.query_one("#host-name", Input).focus()
        else:
            checkin = self.query_one("#host-checkin", Checkbox).value
            aloud = self.query_one("#host-aloud", Checkbox).value
            self.show_status(f"Connecting to {relay}…" if relay else "Starting a relay here…")
            self.busy = True
            choice = HostChoice(self.chosen, name, relay, checkin, aloud, self.port, self.web)
            self.post_message(self.Submitted(choice, self))

    def show_status(self, text: str, *, error: bool = False) -> None:
        """Say what is happening, or what went wrong (and the form may be sent again)."""
        self.busy = self.busy and not error
        status = self.query_one("#host-status", Static)
        status.update(text)
        status.set_class(error, "-error")

    def action_cancel(self) -> None:
        """Go back without hosting."""
        self.dismiss(None)
