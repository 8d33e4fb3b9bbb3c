"""The home screen: play here, host, join, history, decks.

In a browser tab (`reciprocity.web`), it offers neither playing here nor hosting: one screen
shared by two is a terminal's, and hosting would start a relay on the computer serving the
page. A tab joins."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Label, OptionList, Static
from textual.widgets.option_list import Option

TAGLINE = (
    "Take turns sharing something true, a little deeper each time,\nand meet each other with care."
)
#: The options a browser tab is not offered.
NOT_IN_A_BROWSER = frozenset({"play", "host"})


class HomeScreen(Screen[None]):
    """Where every visit starts."""

    BINDINGS = [Binding("q", "app.quit", "Quit")]

    def compose(self) -> ComposeResult:
        """The name, a warm line and the menu."""
        with Center(), Vertical(id="home"):
            yield Label("Reciprocity", classes="title", markup=False)
            yield Static(TAGLINE, classes="muted", id="tagline", markup=False)
            options = [
                Option("Play here, together on this terminal", id="play"),
                Option("Host a game over the network", id="host"),
                Option("Join a partner's game over the network", id="join"),
                None,
                Option("History of past games", id="history"),
                Option("Decks", id="decks"),
                Option("Quit", id="quit"),
            ]
            if self.app.is_web:
                options = [o for o in options if o is None or o.id not in NOT_IN_A_BROWSER]
            yield OptionList(*options, id="menu")
        yield Footer()

    @dataclass
    class Chosen(Message):
        """The menu's choice that needs the app: `play`, `host`, `join` or `history`."""

        option: str

    @on(OptionList.OptionSelected, "#menu")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        from reciprocity.tui.screens.decks import DecksScreen

        match event.option.id:
            case "decks":
                self.app.push_screen(DecksScreen())
            case "quit":
                self.app.exit(0)
            case option:
                self.post_message(self.Chosen(str(option)))  # play, host, join or history
