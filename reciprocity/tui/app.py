"""The Textual app: screens for setting up, playing and closing a game.

"Attributes down, messages up": the connection runs in one app-level worker and posts
typed messages; screens read `App.view` and send commands through `App.connection`.
The same flows serve both partners at one keyboard and one partner over the network: the
private steps (with hand-off screens on a shared terminal) are taken for the connection's seats.
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

from reciprocity.engine import CheckIn, Join, Phase, Seat, SetLimit
from reciprocity.engine.rules import HELD
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
from reciprocity.net.local import LocalConnection
from reciprocity.records.store import Store, StoreError
from reciprocity.tui.screens.handoff import HandoffScreen
from reciprocity.tui.screens.home import HomeScreen
from reciprocity.tui.screens.new_game import GameChoice, NewGameScreen
from reciprocity.tui.screens.table import TableScreen
from reciprocity.tui.screens.waiting import WaitingScreen

if TYPE_CHECKING:
    # Deck and views are pydantic models; importing them lazily keeps start-up quick.
    from reciprocity.deck import Deck
    from reciprocity.net.hosting import HostChoice, JoinChoice, LocalRelay, NetworkGame
    from reciprocity.protocol import Record, SeatView
    from reciprocity.tui.screens.host import HostScreen
    from reciprocity.tui.screens.join import JoinScreen
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


@dataclass
class AnnouncementReceived(Message):
    """A line from the session's facilitator."""

    text: str


@dataclass
class CodeRenewed(Message):
    """The game's code has new words, after too many wrong ones were tried."""

    code: str


@dataclass
class StatusUpdated(Message):
    """The way to the relay is struggling (a line for the banner), or fine again (None)."""

    text: str | None


@dataclass
class RecordReceived(Message):
    """A network game finished: its log (outcomes, never words) for this machine's history."""

    record: Record


class ReciprocityApp(App[int]):
    """Reciprocity on one terminal."""

    TITLE = "Reciprocity"
    CSS_PATH = "reciprocity.tcss"
    BINDINGS = [Binding("ctrl+q", "quit", "Quit", show=False, priority=True)]

    #: The table as the local seats see it (the latest view of the first seat played here).
    view: reactive[SeatView | None] = reactive(None, always_update=True)
    #: A line about the network, such as "Ben is reconnecting…", or None when all is well.
    banner: reactive[str | None] = reactive(None)

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
        self.views: dict[Seat, SeatView] = {}
        self._closing_started = False
        self._view_arrived = asyncio.Event()
        #: The network game being played, if any; its connection is `connection`.
        self.network: NetworkGame | None = None
        self.start_network = network
        self.start_form = network_form
        self._spare_relay = relay
        #: The deck of the game being played (an outline of it, for a joiner without it).
        self.deck: Deck | None = None
        #: True when the partners talk aloud over the network: no typing line is offered.
        self.aloud = False
        self._status: str | None = None
        self._farewell: list[tuple[str, str]] = []
        self._farewell_screen: WaitingScreen | None = None

    @property
    def store(self) -> Store:
        """The local records, opened on first use."""
        if self._store is None:
            self._store = Store()
            self._store.blank_abandoned()  # games left half-way here before: none resumes
        return self._store

    def on_mount(self) -> None:
        """Open the home screen, or go straight to a new game from `play`, `host` or `join`."""
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
            if not self.aloud:
                yield SystemCommand(
                    "Type", "Type your words instead of speaking", screen.action_type
                )
            if self.network is not None:
                yield SystemCommand(
                    "Typed answers" if self.aloud else "We're talking aloud",
                    "Type your answers here"
                    if self.aloud
                    else "On a call: answer aloud, with no typing line",
                    self.action_toggle_aloud,
                )
            yield SystemCommand("End the game", "No penalty, no questions", screen.action_end)

    # --- starting a game -----------------------------------------------------------------

    def start_local_game(self, choice: GameChoice | None) -> None:
        """Create a room for two partners at this keyboard and begin the private set-up."""
        if choice is None:
            return
        from reciprocity.game.room import Room

        try:
            room = Room.create(choice.deck, self.store, checkin=choice.checkin, seed=self.seed)
        except StoreError as error:
            self.notify(str(error), title="Cannot save the game", severity="error")
            return
        self.views.clear()
        self._closing_started = False
        self.deck = choice.deck
        self.aloud = False
        self.connection = LocalConnection(room)
        self._run_connection(self.connection)
        for seat, name in zip(Seat, choice.names, strict=True):
            self.connection.send(seat, Join(name=name))
        self._set_up(choice)

    @work(exclusive=True, group="connection")
    async def _run_connection(self, connection: Connection) -> None:
        await connection.run(self._deliver)

    # --- starting a game over the network ------------------------------------------------

    def show_network_form(self, choice: HostChoice | JoinChoice) -> None:
        """Open the host or join form, filled in from `choice`."""
        from reciprocity.net.hosting import HostChoice
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

    @work(exclusive=True, group="network")
    async def open_network(
        self, choice: HostChoice | JoinChoice, form: HostScreen | JoinScreen
    ) -> None:
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
        self.views.clear()
        self._closing_started = False
        self._status = None
        self._farewell = []
        self._farewell_screen = None
        self.network = game
        self.aloud = game.aloud
        self.deck = game.deck
        self.connection = game.connection
        self._run_connection(game.connection)
        self._set_up_network(game)

    @work(group="flow")
    async def _set_up_network(self, game: NetworkGame) -> None:
        """This seat's private set-up: no hand-offs, and waiting for the partner when needed."""
        seat = game.connection.seat
        other = seat.other
        view = await self.wait_for_view(lambda view: True)
        if view.partner(other).name is None:

            def joined(view: SeatView) -> bool:
                return view.partner(other).name is not None

            if game.invite is not None:
                waiting = WaitingScreen.for_partner_to_join(game.code, game.invite, joined)
            else:  # the first of a pair to join a facilitated session's room
                waiting = WaitingScreen(
                    "Waiting for your partner…",
                    "Your partner joins with this code.",
                    until=joined,
                    code=game.code,
                    leave="Leave",
                )
            left = await self.push_screen_wait(waiting)
            if left:
                await self.leave_network()
                self._return_home()
                return
        view = await self.wait_for_view(lambda view: view.partner(other).name is not None)
        if self.deck is None:
            self.deck = await asyncio.to_thread(deck_for, view)
        name, partner = view.name(seat), view.name(other)
        if view.me.limit is None:
            await self.choose_limit(seat, name)
        if view.checkin and not view.partner(seat).checked_in:
            await self._check_in(seat, name, partner, after=False, handoff=False)
        if self.view is not None and self.view.phase is Phase.SETUP:
            await self.push_screen_wait(
                WaitingScreen(
                    f"Waiting for {partner}…",
                    f"{partner} is choosing, privately, how deep to go today. "
                    "The first card comes when you are both ready.",
                    until=lambda view: view.phase is not Phase.SETUP,
                )
            )
        if self.view is not None and self.view.phase not in (Phase.CLOSING, Phase.FINISHED):
            self.push_screen(TableScreen())

    async def leave_network(self) -> None:
        """Leave the network game, if any, and stop a relay started here."""
        game, self.network = self.network, None
        relay, self._spare_relay = self._spare_relay, None
        self.banner = None
        self._status = None
        if game is not None:
            if self.connection is game.connection:
                self.connection = None
            await game.aclose()
        if relay is not None:
            await relay.close()

    def action_toggle_aloud(self) -> None:
        """Switch between typed answers and talking aloud, for this game."""
        self.aloud = not self.aloud
        for screen in self.screen_stack:
            if isinstance(screen, TableScreen):
                screen.refresh_mode()
        self.notify("Talking aloud: no typing line." if self.aloud else "Typed answers: press t.")

    def _deliver(self, update: Update) -> None:
        match update:
            case ViewChanged(view=view):
                self.post_message(ViewUpdated(view))
            case Rejected(seat=seat, message=message):
                self.post_message(CommandRejected(seat, message))
            case WordsArrived(seat=seat, text=text):
                self.post_message(WordsReceived(seat, text))
            case StatusChanged(text=text):
                self.post_message(StatusUpdated(text))
            case RecordArrived(record=record):
                self.post_message(RecordReceived(record))
            case Announced(text=text):
                self.post_message(AnnouncementReceived(text))
            case CodeChanged(code=code):
                self.post_message(CodeRenewed(code))

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
        """A partner's private limit and lines (on a shared terminal, after a hand-off)."""
        from reciprocity.tui.screens.limits import LimitScreen

        assert self.connection is not None and self.deck is not None
        if self._shared:
            await self.push_screen_wait(HandoffScreen.for_partner(name))
        view = self.views.get(seat) or self.view
        assert view is not None
        deck = self.deck
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

    @property
    def _shared(self) -> bool:
        """True when both partners play at this keyboard, so private steps need a hand-off."""
        return self.connection is not None and len(self.connection.seats) > 1

    # --- updates from the connection -----------------------------------------------------

    @on(ViewUpdated)
    def _view_updated(self, message: ViewUpdated) -> None:
        if self.connection is None:
            return
        self.views[message.view.seat] = message.view
        if message.view.seat is self.connection.seats[0]:
            self.view = message.view
            self._view_arrived.set()
            self._show_banner()
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
        if self._closing_started and not self._shared:
            if self.view is not None and message.seat is not self.view.seat:
                self._farewell.append((self.view.name(message.seat), message.text))
                self._show_farewell()
            return
        for screen in self.screen_stack:
            if isinstance(screen, TableScreen):
                screen.show_words(message.seat, message.text)

    @on(RecordReceived)
    def _record_received(self, message: RecordReceived) -> None:
        """Keep the finished network game in this machine's history."""
        record = message.record
        events = [(logged.seq, logged.at, logged.event) for logged in record.events]
        try:
            self.store.import_game(record.deck, record.seed, record.checkin, "network", events)
        except StoreError as error:
            self.notify(f"This game could not be added to your history: {error}", severity="error")

    @on(AnnouncementReceived)
    def _announcement_received(self, message: AnnouncementReceived) -> None:
        self.notify(message.text, title="From your facilitator", timeout=30)

    @on(CodeRenewed)
    def _code_renewed(self, message: CodeRenewed) -> None:
        """Show the new code wherever the old one is on screen."""
        game = self.network
        if game is None:
            return
        for screen in self.screen_stack:
            if isinstance(screen, WaitingScreen) and screen.code is not None:
                screen.show_code(message.code, game.invite)

    @on(StatusUpdated)
    def _status_updated(self, message: StatusUpdated) -> None:
        self._status = message.text
        self._show_banner()

    def _show_banner(self) -> None:
        """The connection's trouble first; else a partner who dropped, while the game is on;
        else the facilitator's pause."""
        text = self._status
        view = self.view
        if text is None and self.network is not None and view is not None:
            partner = view.partner(view.seat.other)
            if partner.name and not partner.connected and view.phase is not Phase.FINISHED:
                text = f"{partner.name} is reconnecting…"
            elif view.held:
                text = HELD
        self.banner = text

    def watch_banner(self, old: str | None, new: str | None) -> None:
        """Screens without a banner line hear about the network as a notification."""
        if self.network is None or isinstance(self.screen, TableScreen | WaitingScreen):
            return
        if new is not None:
            self.notify(new, severity="warning")
        elif old is not None:
            self.notify("Connected again.")

    @work(group="flow")
    async def _close_game(self) -> None:
        """After the end: the closing check-in, the celebration, then private notes."""
        from reciprocity.tui.screens.closing import ClosingScreen
        from reciprocity.tui.screens.notes import NotesScreen, save_note

        view = self.view
        assert view is not None and self.connection is not None
        connection = self.connection
        shared = self._shared
        if view.checkin:
            for seat in connection.seats:
                await self._check_in(
                    seat, view.name(seat), view.name(seat.other), after=True, handoff=shared
                )
        if not shared and self.view is not None and self.view.phase is not Phase.FINISHED:
            partner = view.name(view.seat.other)
            await self.push_screen_wait(
                WaitingScreen(
                    f"Waiting for {partner}…",
                    f"{partner} is checking in one last time. The look back comes next.",
                    until=lambda view: view.phase is Phase.FINISHED,
                )
            )
        final = await self.wait_for_view(lambda view: view.phase is Phase.FINISHED)
        await self.push_screen_wait(ClosingScreen(final))
        appreciations: list[tuple[str, str]] = []
        for seat in connection.seats:
            name, other = final.name(seat), final.name(seat.other)
            if shared:
                await self.push_screen_wait(HandoffScreen.for_partner(name))
            written = await self.push_screen_wait(NotesScreen(name, other))
            if written is None:
                continue
            if written.note:
                save_note(self._notes_dir(), name, written.note)
            if written.appreciation:
                appreciations.append((name, written.appreciation))
                if not shared:
                    connection.say(seat, written.appreciation)
        if shared and appreciations:
            lines = "\n\n".join(f"{name} says: {text}" for name, text in appreciations)
            await self.push_screen_wait(HandoffScreen("A word for each other", lines))
        if not shared:
            self._farewell[:0] = appreciations
            await self._say_farewell(final)
        connection.close()
        self.connection = None
        await self.leave_network()
        self._return_home()

    async def _say_farewell(self, final: SeatView) -> None:
        """Over the network: the words each partner wrote for the other, as they arrive."""
        partner = final.name(final.seat.other)
        self._farewell_screen = WaitingScreen(
            "A word for each other", self._farewell_text(partner), go_on="Done"
        )
        await self.push_screen_wait(self._farewell_screen)
        self._farewell_screen = None
        relay_here = self.network is not None and self.network.relay is not None
        view = self.view
        if relay_here and view is not None and view.partner(view.seat.other).connected:
            await self.push_screen_wait(
                WaitingScreen(
                    f"{partner} is still finishing.",
                    "The relay on this computer stays open until they are done.",
                    until=lambda view: not view.partner(view.seat.other).connected,
                    leave="Leave now",
                )
            )

    def _farewell_text(self, partner: str) -> str:
        said = "\n\n".join(f"{name} says: {text}" for name, text in self._farewell)
        return said or f"If {partner} writes a line for you, it shows here."

    def _show_farewell(self) -> None:
        view = self.view
        if self._farewell_screen is not None and view is not None:
            self._farewell_screen.show_body(self._farewell_text(view.name(view.seat.other)))

    def _notes_dir(self) -> Path:
        return self.store.path.parent / "notes"

    def _return_home(self) -> None:
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self.push_screen(HomeScreen())


def deck_for(view: SeatView) -> Deck:
    """The deck of a game played over the network, for choosing a limit and lines.

    It is this machine's copy when it has the same deck, or else an outline made from the
    view: the levels by name, and the deck's topics to leave out.
    """
    from reciprocity.deck import Card, Deck, Level
    from reciprocity.deck_files import available_decks

    for entry in available_decks():
        deck = entry.deck
        if deck is None or deck.id != view.deck_id:
            continue
        if tuple(level.name for level in deck.levels) == view.level_names:
            return deck
    return Deck(
        id="partners-deck",
        title=view.deck_title,
        advance_after=view.advance_after,
        levels=tuple(
            Level(
                name=name,
                intent=f"level {n} of {view.depth}",
                cards=(Card(id=f"level-{n}", text=name, tags=view.tags),),
            )
            for n, name in enumerate(view.level_names, start=1)
        ),
    )
