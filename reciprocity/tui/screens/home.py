"""The home screen: play here, host, join, history, decks."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Label, OptionList, Static
from textual.widgets.option_list import Option

TAGLINE = (
    "Take turns sharing something true, a little deeper each time,\nand meet each other with care."
)


class HomeScreen(Screen[None]):
    """Where every visit starts."""

    BINDINGS = [Binding("q", "app.quit", "Quit")]

    def compose(self) -> ComposeResult:
        """The name, a warm line and the menu."""
        with Center(), Vertical(id="home"):
            yield Label("Reciprocity", classes="title")
            yield Static(TAGLINE, classes="muted", id="tagline")
            yield OptionList(
                Option("Play here, together on this terminal", id="play"),
                Option("Host a game over the network", id="host"),
                Option("Join a partner's game over the network", id="join"),
                None,
                Option("History of past games", id="history"),
                Option("Decks", id="decks"),
                Option("Quit", id="quit"),
                id="menu",
            )
        yield Footer()

    @on(OptionList.OptionSelected, "#menu")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        from reciprocity.tui.app import ReciprocityApp
        from reciprocity.tui.screens.decks import DecksScreen
        from reciprocity.tui.screens.history import HistoryScreen
        from reciprocity.tui.screens.new_game import NewGameScreen

        app = self.app
        assert isinstance(app, ReciprocityApp)
        match event.option.id:
            case "play":
                app.push_screen(NewGameScreen(checkin=app.start_checkin), app.start_local_game)
            case "host":
                from reciprocity.tui.screens.host import HostScreen

                app.push_screen(HostScreen())
            case "join":
                from reciprocity.net.codes import DEFAULT_RELAY
                from reciprocity.net.hosting import JoinChoice

                app.show_network_form(JoinChoice("", "", DEFAULT_RELAY, aloud=False))
            case "history":
                app.push_screen(HistoryScreen())
            case "decks":
                app.push_screen(DecksScreen())
            case "quit":
                app.exit(0)
