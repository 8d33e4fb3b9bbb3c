"""After the end: the closing check-in, the celebration, private notes and a farewell; and
the finished network game kept in this machine's history.

On a shared terminal each private step comes after a hand-off screen and the words each
partner wrote for the other show together at the end. Over the network, those words travel
to the partner, and theirs show here as they arrive.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from reciprocity.engine import End, Phase
from reciprocity.records.store import StoreError
from reciprocity.tui.screens.handoff import HandoffScreen
from reciprocity.tui.screens.waiting import WaitingScreen

if TYPE_CHECKING:
    from pathlib import Path

    from textual.app import App

    from reciprocity.protocol import Record
    from reciprocity.records.store import Store
    from reciprocity.seat_view import SeatView
    from reciprocity.tui.setup_flow import SetUpFlow


#: What the first screen after the end says first, before handing the keyboard over.
ENDED = "The game has ended. Thank you both."


class ClosingFlow:
    """The end of one game, for the seats that `set_up` plays, on its app's screens."""

    def __init__(
        self,
        set_up: SetUpFlow,
        *,
        latest: Callable[[], SeatView | None],
        wait_for_view: Callable[[Callable[[SeatView], bool]], Awaitable[SeatView]],
        follow: Callable[[WaitingScreen], WaitingScreen],
        notes_dir: Callable[[], Path],
        relay_here: bool,
    ) -> None:
        """`latest()` is the first seat's latest view, and `wait_for_view` waits for one that
        is ready; `follow` binds a waiting screen to the game; `notes_dir()` is where private
        notes go; `relay_here` is True when the
        relay runs in this program, so it must stay open until the partner is done."""
        self.set_up = set_up
        self.app = set_up.app
        self.latest = latest
        self.wait_for_view = wait_for_view
        self.follow = follow
        self.notes_dir = notes_dir
        self.relay_here = relay_here
        self.farewell: list[tuple[str, str]] = []
        self._farewell_screen: WaitingScreen | None = None
        self._partner = ""

    async def run(self, view: SeatView) -> None:
        """From the game's end (`view`) to the last goodbye."""
        from reciprocity.kept import save_note
        from reciprocity.paths import why
        from reciprocity.tui.screens.closing import ClosingScreen
        from reciprocity.tui.screens.notes import NotesScreen

        app, connection, shared = self.app, self.set_up.connection, self.set_up.shared
        if view.checkin:
            for seat in connection.seats:
                lead = ENDED if seat is connection.seats[0] else ""
                name, other = view.name(seat), view.name(seat.other)
                await self.set_up.check_in(seat, name, other, after=True, handoff=shared, lead=lead)
        partner = view.name(view.seat.other)
        while not shared and (now := self.latest()) is not None and now.phase is not Phase.FINISHED:
            waiting = WaitingScreen(
                f"Waiting for {partner}…",
                f"{partner} is checking in one last time. The look back comes next.",
                until=lambda view: view.phase is Phase.FINISHED,
                leave=f"Close without {partner}",
            )
            if await app.push_screen_wait(self.follow(waiting)):  # they left: close calmly
                connection.send(view.seat, End(partner_away=True))
        final = await self.wait_for_view(lambda view: view.phase is Phase.FINISHED)
        await app.push_screen_wait(ClosingScreen(final))
        appreciations: list[tuple[str, str]] = []
        for seat in connection.seats:
            name, other = final.name(seat), final.name(seat.other)
            if shared:
                await app.push_screen_wait(HandoffScreen.for_partner(name))
            written = await app.push_screen_wait(NotesScreen(name, other))
            if written is None:
                continue
            if written.note:
                try:
                    save_note(self.notes_dir(), name, written.note)
                except OSError as error:
                    app.notify(f"{name}'s note could not be kept: {why(error)}.", markup=False)
            if written.appreciation:
                appreciations.append((name, written.appreciation))
                if not shared:
                    connection.say(seat, written.appreciation)
        if shared and appreciations:
            lines = "\n\n".join(f"{name} says: {text}" for name, text in appreciations)
            await app.push_screen_wait(HandoffScreen("A word for each other", lines))
        if not shared:
            self.farewell[:0] = appreciations
            await self._say_farewell(final)

    def partner_wrote(self, name: str, text: str) -> None:
        """Over the network: the partner's words for this seat arrived."""
        self.farewell.append((name, text))
        if self._farewell_screen is not None:
            self._farewell_screen.show_body(self._farewell_text(self._partner))

    async def _say_farewell(self, final: SeatView) -> None:
        """Over the network: the words each partner wrote for the other, as they arrive."""
        self._partner = partner = final.name(final.seat.other)
        self._farewell_screen = self.follow(
            WaitingScreen("A word for each other", self._farewell_text(partner), go_on="Done")
        )
        await self.app.push_screen_wait(self._farewell_screen)
        self._farewell_screen = None
        view = self.latest()
        if self.relay_here and view is not None and view.partner(view.seat.other).connected:
            await self.app.push_screen_wait(
                self.follow(
                    WaitingScreen(
                        f"{partner} is still finishing.",
                        "The relay on this computer stays open until they are done.",
                        until=lambda view: not view.partner(view.seat.other).connected,
                        leave="Leave now",
                    )
                )
            )

    def _farewell_text(self, partner: str) -> str:
        said = "\n\n".join(f"{name} says: {text}" for name, text in self.farewell)
        return said or f"If {partner} writes a line for you, it shows here."


def keep_record(app: App[Any], store: Store, record: Record) -> None:
    """Keep a finished network game (outcomes and times, never words) in this machine's
    history; if it cannot be kept, `app` says so."""
    events = [(logged.seq, logged.at, logged.event) for logged in record.events]
    try:
        store.import_game(record.deck, record.seed, record.checkin, "network", events)
    except StoreError as error:
        message = f"This game could not be added to your history: {error}"
        app.notify(message, severity="error", markup=False)
