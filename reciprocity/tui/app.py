"""The Textual app, which routes: it runs the connection (each update arrives as one
`Updated` message), binds the views down to the screens, and sends on what the screens post.
The set-up and closing flows live in `setup_flow.py` and `closing_flow.py`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import SystemCommand
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen

from reciprocity.engine.errors import HELD
from reciprocity.engine.state import IN_PLAY, Phase, Seat
from reciprocity.net.connection import (
    Announced,
    CodeChanged,
    Connection,
    RecordArrived,
    Rejected,
    StatusChanged,
    Update,
    ViewChanged,
    WordsArrived,
)
from reciprocity.tui import messages
from reciprocity.tui.base_app import BaseApp
from reciprocity.tui.palette import LEAVE, keep_theme, kept_theme, table_commands, theme_command
from reciprocity.tui.screens.home import HomeScreen
from reciprocity.tui.screens.new_game import GameChoice, NewGameScreen

if TYPE_CHECKING:
    # Only the first screens are imported at the top; the others where first shown.
    from reciprocity.deck import Deck
    from reciprocity.game.room import Room
    from reciprocity.net.choices import HostChoice, JoinChoice
    from reciprocity.net.hosting import LocalRelay, NetworkGame
    from reciprocity.net.local import LocalConnection
    from reciprocity.records.store import Store
    from reciprocity.seat_view import SeatView
    from reciprocity.tui.closing_flow import ClosingFlow
    from reciprocity.tui.screens.waiting import WaitingScreen
    from reciprocity.tui.setup_flow import SetUpFlow


@dataclass
class Updated(Message):
    """News from the connection: a view, refusal, words, status, record, announcement or code."""

    update: Update


class ReciprocityApp(BaseApp):
    """Reciprocity on one terminal."""

    TITLE = "Reciprocity"
    CSS_PATH = "reciprocity.tcss"
    BINDINGS = [Binding("ctrl+q", "quit", "Quit", show=False, priority=True)]

    #: The table as the local seats see it (the latest view of the first seat played here).
    view: reactive[SeatView | None] = reactive(None, always_update=True)
    #: The latest view of each seat played here.
    views: reactive[dict[Seat, SeatView]] = reactive(dict)
    #: A line about the network, such as "Ben is reconnecting…", or None when all is well.
    banner: reactive[str | None] = reactive(None)
    #: True when the partners talk aloud over the network: no typing line is offered.
    aloud: reactive[bool] = reactive(False)

    def __init__(
        self,
        deck: Deck | None = None,
        names: tuple[str, str] | None = None,
        checkin: bool = True,
        store: Store | None = None,
        seed: int | None = None,
        *,
        play: bool = False,
        network: NetworkGame | None = None,
        network_form: HostChoice | JoinChoice | None = None,
        relay: LocalRelay | None = None,
    ) -> None:
        """Open home, or start: a local game (`deck`, `play`), a network game whose seat is
        taken already (`network`), or the host or join form (`network_form`). `relay` is one
        started here by `reciprocity host`, for the form to use."""
        super().__init__()
        self.seed = seed
        self.start_play = play or deck is not None
        self.start_deck = deck
        self.start_names = names
        self.start_checkin = checkin
        self._store = store
        self.connection: Connection | None = None
        self._closing_flow: ClosingFlow | None = None
        #: Words that arrived before the table was up, for the table to show.
        self._earlier: list[tuple[Seat, str]] = []
        self._view_arrived = asyncio.Event()
        #: The network game being played, if any; its connection is `connection`.
        self.network: NetworkGame | None = None
        self.start_network = network
        self.start_form = network_form
        self._spare_relay = relay
        #: The deck of the game being played (an outline of it, for a joiner without it).
        self.deck: Deck | None = None
        self._status: str | None = None

    @property
    def store(self) -> Store:
        """The local records, opened on first use."""
        if self._store is None:
            from reciprocity.records.store import Store

            self._store = Store()
            self._store.blank_abandoned()  # games left half-way here before: none resumes
        return self._store

    def on_mount(self) -> None:
        """Open the home screen, or go straight to a new game from `play`, `host` or `join`."""
        self.theme = kept_theme(self)
        self.theme_changed_signal.subscribe(self, keep_theme)
        if not self.start_play:
            self.push_screen(HomeScreen())
            if self.start_network is not None:
                self.start_network_game(self.start_network)
            elif self.start_form is not None:
                self.show_network_form(self.start_form)
            return
        self.push_screen(
            NewGameScreen(deck=self.start_deck, names=self.start_names, checkin=self.start_checkin),
            self._chosen_from_play,
        )

    @on(messages.MenuChosen)
    def _home_chosen(self, message: messages.MenuChosen) -> None:
        from reciprocity.tui.screens.history import HistoryScreen
        from reciprocity.tui.screens.host import HostScreen

        match message.option:
            case "play":
                self.push_screen(NewGameScreen(checkin=self.start_checkin), self.start_local_game)
            case "host":
                self.push_screen(HostScreen())
            case "join":
                from reciprocity.net.choices import JoinChoice
                from reciprocity.net.codes import DEFAULT_RELAY

                self.show_network_form(JoinChoice("", "", DEFAULT_RELAY, aloud=False))
            case "history":
                self.push_screen(HistoryScreen(lambda: self.store))

    def _chosen_from_play(self, choice: GameChoice | None) -> None:
        """`reciprocity play` starts the game, or goes home when its set-up is left."""
        if choice is None:
            self.push_screen(HomeScreen())
        else:
            self.start_local_game(choice)

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """The palette: the theme first, Textual's own commands, then the table's rarer ones."""
        yield theme_command(self)
        yield from super().get_system_commands(screen)
        online = self.network is not None
        yield from table_commands(screen, self.aloud, online, self.action_toggle_aloud)

    async def action_quit(self) -> None:
        """Leave; in the middle of a game, ask first (a second ctrl+q leaves at once)."""
        from reciprocity.tui.screens.confirm import ConfirmScreen

        asking = isinstance(self.screen, ConfirmScreen) and self.screen.question == LEAVE
        if self.view is None or self.view.phase not in IN_PLAY or asking:
            self.exit()
        else:
            leave = ConfirmScreen(LEAVE, yes="Leave", no="Stay")
            self.push_screen(leave, lambda sure: self.exit() if sure else None)

    # --- starting a game -----------------------------------------------------------------

    def start_local_game(self, choice: GameChoice | None) -> None:
        """Create a room for two partners at this keyboard and begin the private set-up."""
        if choice is None:
            return
        from reciprocity.engine.messages import Join
        from reciprocity.game.room import Room
        from reciprocity.records.store import StoreError

        try:
            room = Room.create(choice.deck, self.store, checkin=choice.checkin, seed=self.seed)
        except StoreError as error:
            self.notify(str(error), title="Cannot save the game", severity="error", markup=False)
            return
        connection = self.play_here(room)
        for seat, name in zip(Seat, choice.names, strict=True):
            connection.send(seat, Join(name=name))
        self._set_up(choice)

    def play_here(self, room: Room) -> LocalConnection:
        """Play a room's game with both partners at this keyboard; at the table at once when
        the game is under way already."""
        from reciprocity.net.local import LocalConnection

        self.views = {}
        self._closing_flow = None
        self._earlier = []
        self.deck = room.state.deck
        self.aloud = False
        self.connection = LocalConnection(room)
        self._run_connection(self.connection)
        if room.state.phase is not Phase.SETUP:
            self._show_table()
        return self.connection

    @work(group="flow")
    async def _set_up(self, choice: GameChoice) -> None:
        """Each partner, in turn and unseen, chooses a limit, lines and a check-in."""
        await self._set_up_flow().at_one_keyboard(choice.names, choice.checkin)
        self._show_table()

    def _set_up_flow(self) -> SetUpFlow:
        from reciprocity.tui.setup_flow import SetUpFlow

        assert self.connection is not None
        return SetUpFlow(self, self.connection, self.deck, lambda s: self.views.get(s) or self.view)

    def _show_table(self) -> None:
        from reciprocity.tui.screens.table import TableScreen

        assert self.connection is not None
        app = ReciprocityApp
        down = (app.view, app.views, app.banner, app.aloud)
        earlier, self._earlier = tuple(self._earlier), []
        self.push_screen(TableScreen(self.connection.seats, earlier).data_bind(*down))

    def _follow(self, screen: WaitingScreen) -> WaitingScreen:
        """A waiting screen that follows the game and the network's banner."""
        return screen.data_bind(ReciprocityApp.view, ReciprocityApp.banner)

    @work(exclusive=True, group="connection")
    async def _run_connection(self, connection: Connection) -> None:
        await connection.run(self._deliver)

    def _deliver(self, update: Update) -> None:
        self.post_message(Updated(update))

    # --- starting a game over the network ------------------------------------------------

    def show_network_form(self, choice: HostChoice | JoinChoice) -> None:
        """Open the host or join form, filled in from `choice`."""
        from reciprocity.net.choices import HostChoice
        from reciprocity.tui.screens.host import HostScreen
        from reciprocity.tui.screens.join import JoinScreen

        if isinstance(choice, HostChoice):
            self.push_screen(HostScreen(choice), self._form_left)
        else:
            self.push_screen(JoinScreen(choice), self._form_left)

    def _form_left(self, _: None) -> None:
        """A form closed with Escape: a relay started for it is no longer needed."""
        if self._spare_relay is not None:
            self._close_spare_relay()

    @work(group="relay")
    async def _close_spare_relay(self) -> None:
        relay, self._spare_relay = self._spare_relay, None
        if relay is not None:
            await relay.close()

    @on(messages.HostSubmitted)
    @on(messages.JoinSubmitted)
    def _form_submitted(self, message: messages.HostSubmitted | messages.JoinSubmitted) -> None:
        self.open_network(message.choice, message.form)

    @work(exclusive=True, group="network")
    async def open_network(self, choice: HostChoice | JoinChoice, form: messages.Form) -> None:
        """Take a seat at the relay as the form says, then begin; a refusal shows on the form."""
        from reciprocity.net.core import RelayError
        from reciprocity.net.hosting import open_game

        relay, self._spare_relay = self._spare_relay, None
        try:
            game = await open_game(choice, relay)
        except RelayError as error:
            form.show_status(error.sentence, error=True)
            return
        if form not in self.screen_stack:  # left with Escape while connecting
            await game.aclose()
            return
        if self.screen is form:
            self.pop_screen()
        self.start_network_game(game)

    def start_network_game(self, game: NetworkGame) -> None:
        """Play one seat of a game held by a relay: run its connection, then set up."""
        self.views = {}
        self._closing_flow = None
        self._earlier = []
        self._status = None
        self.network = game
        self.aloud = game.aloud
        self.deck = game.deck
        self.connection = game.connection
        self._run_connection(game.connection)
        self._set_up_network(game)

    @work(group="flow")
    async def _set_up_network(self, game: NetworkGame) -> None:
        """This seat's private set-up: no hand-offs, and waiting for the partner when needed."""
        from reciprocity.tui.setup_flow import deck_for

        seat = game.connection.seat
        if not await self._set_up_flow().partner_joined(game, self.wait_for_view, self._follow):
            await self.leave_network()
            self._return_home()
            return
        view = await self.wait_for_view(lambda view: view.partner(seat.other).name is not None)
        if self.deck is None:
            self.deck = await asyncio.to_thread(deck_for, view)
        await self._set_up_flow().on_own_screen(seat, view, self._follow)
        if self.view is not None and self.view.phase not in (Phase.CLOSING, Phase.FINISHED):
            self._show_table()

    async def leave_network(self, *, crashed: bool = False) -> None:
        """Leave the network game, if any, and stop a relay started here. After a crash the
        game is only set aside, so that `--resume` can come back to it."""
        game, self.network = self.network, None
        relay, self._spare_relay = self._spare_relay, None
        self.banner = None
        self._status = None
        if game is not None:
            if self.connection is game.connection:
                self.connection = None
            if crashed:
                await game.connection.set_aside()
                if game.relay is not None:
                    await game.relay.close()
            else:
                await game.aclose()
        if relay is not None:
            await relay.close()

    def action_toggle_aloud(self) -> None:
        """Switch between typed answers and talking aloud, for this game."""
        self.aloud = not self.aloud
        text = "Talking aloud: no typing line." if self.aloud else "Typed answers: press t."
        self.notify(text, markup=False)

    # --- what the screens ask for ----------------------------------------------------------

    @on(messages.Act)
    def _act(self, message: messages.Act) -> None:
        if self.connection is not None:
            self.connection.send(message.seat, message.command)

    @on(messages.Speak)
    def _speak(self, message: messages.Speak) -> None:
        if self.connection is not None:
            self.connection.say(message.seat, message.text)

    @on(messages.ChangeLimit)
    def _change_limit(self, message: messages.ChangeLimit) -> None:
        self.run_worker(self._set_up_flow().choose_limit(message.seat, message.name), group="flow")

    # --- updates from the connection -----------------------------------------------------

    @on(Updated)
    def _updated(self, message: Updated) -> None:
        from reciprocity.tui.closing_flow import keep_record
        from reciprocity.tui.screens.handoff import HandoffScreen

        match message.update:
            case ViewChanged(view=view):
                self._view_changed(view)
            case Rejected(message=text):
                self.notify(text, severity="warning", markup=False)
            case WordsArrived(seat=seat, text=text):
                self._words_arrived(seat, text)
            case StatusChanged(text=text):
                self._status = text
                self._show_banner()
            case RecordArrived(record=record):
                keep_record(self, self.store, record)
            case Announced(text=text):  # stays until read: Enter goes back to the game
                self.push_screen(HandoffScreen("From your facilitator", text))
            case CodeChanged(code=code):
                self._show_code(code)

    def _view_changed(self, view: SeatView) -> None:
        if self.connection is None:
            return
        self.views = {**self.views, view.seat: view}
        if view.seat is self.connection.seats[0]:
            self.view = view
            self._view_arrived.set()
            self._show_banner()
            ended = view.phase in (Phase.CLOSING, Phase.FINISHED)
            if ended and self._closing_flow is None:
                from reciprocity.tui.closing_flow import ClosingFlow

                self._closing_flow = ClosingFlow(
                    self._set_up_flow(),
                    latest=lambda: self.view,
                    wait_for_view=self.wait_for_view,
                    follow=self._follow,
                    notes_dir=lambda: self.store.path.parent / "notes",
                    relay_here=self.network is not None and self.network.relay is not None,
                )
                self._close_game(self._closing_flow, view)

    async def wait_for_view(self, ready: Callable[[SeatView], bool]) -> SeatView:
        """The first view (the current one, or one still to come) for which `ready` holds."""
        while self.view is None or not ready(self.view):
            self._view_arrived.clear()
            await self._view_arrived.wait()
        return self.view

    def _words_arrived(self, seat: Seat, text: str) -> None:
        from reciprocity.tui.screens.table import TableScreen

        closing = self._closing_flow
        if closing is not None and not closing.set_up.shared:
            if self.view is not None and seat is not self.view.seat:
                closing.partner_wrote(self.view.name(seat), text)
            return
        tables = [screen for screen in self.screen_stack if isinstance(screen, TableScreen)]
        for table in tables:
            table.show_words(seat, text)
        if not tables:  # the table is not up yet: it shows them when it is
            self._earlier.append((seat, text))

    def _show_code(self, code: str) -> None:
        """Show the new code wherever the old one is on screen."""
        from reciprocity.tui.screens.waiting import WaitingScreen

        game = self.network
        if game is None:
            return
        for screen in self.screen_stack:
            if isinstance(screen, WaitingScreen) and screen.code is not None:
                screen.show_code(code, game.invite)

    def _show_banner(self) -> None:
        """The connection's trouble first; else a partner who dropped, while the game is on;
        else the facilitator's pause."""
        text = self._status
        view = self.view
        if text is None and self.network is not None and view is not None:
            if view.away is not None:
                calmly = " (e: close the game calmly)" if view.phase in IN_PLAY else ""
                text = f"{view.away} is reconnecting…{calmly}"
            elif view.held:
                text = HELD
        self.banner = text

    def watch_banner(self, old: str | None, new: str | None) -> None:
        """Screens without a banner line hear about the network as a notification."""
        if self.network is None:
            return
        from reciprocity.tui.screens.table import TableScreen
        from reciprocity.tui.screens.waiting import WaitingScreen

        if isinstance(self.top_screen, TableScreen | WaitingScreen | None):
            return
        if new is not None:
            self.notify(new, severity="warning", markup=False)
        elif old is not None:
            self.notify("Connected again.", markup=False)

    # --- the end ---------------------------------------------------------------------------

    @work(group="flow")
    async def _close_game(self, flow: ClosingFlow, view: SeatView) -> None:
        """After the end (`view`): the closing flow, then home."""
        connection = flow.set_up.connection
        await flow.run(view)
        connection.close()
        self.connection = None
        await self.leave_network()
        self._return_home()

    def _return_home(self) -> None:
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self.push_screen(HomeScreen())
