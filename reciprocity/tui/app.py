"""The Textual app: screens for setting up, playing and closing a game.

"Attributes down, messages up": the connection runs in one app-level worker and posts
typed messages; screens read `App.view` and send commands through `App.connection`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen

from reciprocity.connection import (
    Connection,
    LocalConnection,
    Rejected,
    Update,
    ViewChanged,
    WordsArrived,
)
from reciprocity.engine import CheckIn, Join, Phase, Seat, SetLimit
from reciprocity.store import Store, StoreError
from reciprocity.tui.screens.handoff import HandoffScreen
from reciprocity.tui.screens.home import HomeScreen
from reciprocity.tui.screens.new_game import GameChoice, NewGameScreen
from reciprocity.tui.screens.table import TableScreen

if TYPE_CHECKING:
    # Deck and views are pydantic models; importing them lazily keeps start-up quick.
    from reciprocity.deck import Deck
    from reciprocity.protocol import SeatView
    from reciprocity.tui.screens.limits import LimitChoice


@dataclass
class ViewUpdated(Message):
    """A seat's view arrived from the connection."""

    view: SeatView


@dataclass
class CommandRejected(Message):
    """The game refused a command; nothing changed."""

    seat: Seat
    message: str


@dataclass
class WordsReceived(Message):
    """A partner's typed words, to show and forget."""

    seat: Seat
    text: str


class ReciprocityApp(App[int]):
    """Reciprocity on one terminal."""

    TITLE = "Reciprocity"
    CSS_PATH = "reciprocity.tcss"
    BINDINGS = [Binding("ctrl+q", "quit", "Quit", show=False, priority=True)]

    #: The table as the local seats see it (the latest view of the first seat played here).
    view: reactive[SeatView | None] = reactive(None, always_update=True)

    def __init__(
        self,
        deck: Deck | None = None,
        names: tuple[str, str] | None = None,
        checkin: bool = True,
        store: Store | None = None,
        seed: int | None = None,
        *,
        play: bool = False,
    ) -> None:
        super().__init__()
        self.seed = seed
        self.start_play = play or deck is not None
        self.start_deck = deck
        self.start_names = names
        self.start_checkin = checkin
        self._store = store
        self.connection: Connection | None = None
        self.views: dict[Seat, SeatView] = {}
        self._closing_started = False
        self._view_arrived = asyncio.Event()

    @property
    def store(self) -> Store:
        """The local records, opened on first use."""
        if self._store is None:
            self._store = Store()
        return self._store

    def on_mount(self) -> None:
        """Open the home screen, or go straight to a new game from `reciprocity play`."""
        if not self.start_play:
            self.push_screen(HomeScreen())
            return
        self.push_screen(
            NewGameScreen(deck=self.start_deck, names=self.start_names, checkin=self.start_checkin),
            self._chosen_from_play,
        )

    def _chosen_from_play(self, choice: GameChoice | None) -> None:
        """`reciprocity play` starts the game, or goes home when its set-up is left."""
        if choice is None:
            self.push_screen(HomeScreen())
        else:
            self.start_local_game(choice)

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """The palette: Textual's own commands, plus the table's rarer actions."""
        yield from super().get_system_commands(screen)
        if isinstance(screen, TableScreen):
            yield SystemCommand(
                "Change my limit", "Privately choose how deep you want to go", screen.action_limit
            )
            yield SystemCommand("Pause", "A breathing pause for you both", screen.action_pause)
            yield SystemCommand("Type", "Type your words instead of speaking", screen.action_type)
            yield SystemCommand("End the game", "No penalty, no questions", screen.action_end)

    # --- starting a game -----------------------------------------------------------------

    def start_local_game(self, choice: GameChoice | None) -> None:
        """Create a room for two partners at this keyboard and begin the private set-up."""
        if choice is None:
            return
        from reciprocity.room import Room

        try:
            room = Room.create(choice.deck, self.store, checkin=choice.checkin, seed=self.seed)
        except StoreError as error:
            self.notify(str(error), title="Cannot save the game", severity="error")
            return
        self.views.clear()
        self._closing_started = False
        self.connection = LocalConnection(room)
        self._run_connection(self.connection)
        for seat, name in zip(Seat, choice.names, strict=True):
            self.connection.send(seat, Join(name=name))
        self._set_up(choice)

    @work(exclusive=True, group="connection")
    async def _run_connection(self, connection: Connection) -> None:
        await connection.run(self._deliver)

    def _deliver(self, update: Update) -> None:
        match update:
            case ViewChanged(view=view):
                self.post_message(ViewUpdated(view))
            case Rejected(seat=seat, message=message):
                self.post_message(CommandRejected(seat, message))
            case WordsArrived(seat=seat, text=text):
                self.post_message(WordsReceived(seat, text))

    @work(group="flow")
    async def _set_up(self, choice: GameChoice) -> None:
        """Each partner, in turn and unseen, chooses a limit, lines and a check-in."""
        for seat, name, partner in zip(Seat, choice.names, choice.names[::-1], strict=True):
            await self.choose_limit(seat, name)
            if choice.checkin:
                await self._check_in(seat, name, partner, after=False, handoff=False)
        await self.push_screen_wait(
            HandoffScreen(
                "Both of you are set.",
                "Your choices are hidden. Sit together and press Enter to begin.",
            )
        )
        self.push_screen(TableScreen())

    async def choose_limit(self, seat: Seat, name: str) -> None:
        """Hand the keyboard to one partner for their private limit and lines."""
        from reciprocity.tui.screens.limits import LimitScreen

        assert self.connection is not None
        await self.push_screen_wait(HandoffScreen.for_partner(name))
        view = self.views.get(seat) or self.view
        assert view is not None
        deck = self.connection_deck()
        choice: LimitChoice | None = None
        while choice is None:
            choice = await self.push_screen_wait(
                LimitScreen(name, deck, view.me.limit, view.me.lines)
            )
            if choice is None and view.me.limit is not None:
                return
        self.connection.send(seat, SetLimit(limit=choice.limit, lines=choice.lines))

    async def _check_in(
        self, seat: Seat, name: str, partner: str, *, after: bool, handoff: bool = True
    ) -> None:
        from reciprocity.tui.screens.checkin import CheckInScreen

        assert self.connection is not None
        if handoff:
            await self.push_screen_wait(HandoffScreen.for_partner(name))
        score: int | None = await self.push_screen_wait(
            CheckInScreen(name, after=after, partner=partner)
        )
        self.connection.send(seat, CheckIn(score=score))

    def connection_deck(self) -> Deck:
        """The deck of the game being played here."""
        assert isinstance(self.connection, LocalConnection)
        return self.connection.room.state.deck

    # --- updates from the connection -----------------------------------------------------

    @on(ViewUpdated)
    def _view_updated(self, message: ViewUpdated) -> None:
        self.views[message.view.seat] = message.view
        assert self.connection is not None
        if message.view.seat is self.connection.seats[0]:
            self.view = message.view
            self._view_arrived.set()
            ended = message.view.phase in (Phase.CLOSING, Phase.FINISHED)
            if ended and not self._closing_started:
                self._closing_started = True
                self._close_game()

    async def wait_for_view(self, ready: Callable[[SeatView], bool]) -> SeatView:
        """The first view (the current one, or one still to come) for which `ready` holds."""
        while self.view is None or not ready(self.view):
            self._view_arrived.clear()
            await self._view_arrived.wait()
        return self.view

    @on(CommandRejected)
    def _command_rejected(self, message: CommandRejected) -> None:
        self.notify(message.message, severity="warning")

    @on(WordsReceived)
    def _words_received(self, message: WordsReceived) -> None:
        for screen in self.screen_stack:
            if isinstance(screen, TableScreen):
                screen.show_words(message.seat, message.text)

    @work(group="flow")
    async def _close_game(self) -> None:
        """After the end: the closing check-in, the celebration, then private notes."""
        from reciprocity.tui.screens.closing import ClosingScreen
        from reciprocity.tui.screens.notes import NotesScreen, save_note

        view = self.view
        assert view is not None and self.connection is not None
        if view.checkin:
            for seat in self.connection.seats:
                await self._check_in(seat, view.name(seat), view.name(seat.other), after=True)
        final = await self.wait_for_view(lambda view: view.phase is Phase.FINISHED)
        await self.push_screen_wait(ClosingScreen(final))
        appreciations: list[tuple[str, str]] = []
        for seat in self.connection.seats:
            name, other = final.name(seat), final.name(seat.other)
            await self.push_screen_wait(HandoffScreen.for_partner(name))
            written = await self.push_screen_wait(NotesScreen(name, other))
            if written is None:
                continue
            if written.note:
                save_note(self._notes_dir(), name, written.note)
            if written.appreciation:
                appreciations.append((name, written.appreciation))
        if appreciations:
            lines = "\n\n".join(f"{name} says: {text}" for name, text in appreciations)
            await self.push_screen_wait(HandoffScreen("A word for each other", lines))
        self.connection.close()
        self.connection = None
        self._return_home()

    def _notes_dir(self) -> Path:
        return self.store.path.parent / "notes"

    def _return_home(self) -> None:
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self.push_screen(HomeScreen())
