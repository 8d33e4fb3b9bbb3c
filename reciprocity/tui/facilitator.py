"""The facilitator's app: the dashboard of a session, fed by one connection worker.

"Attributes down, messages up": the connection runs in one app-level worker and posts each
update as one `SessionNews` message; the dashboard screen shows them and sends the
facilitator's commands.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import SystemCommand
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static

from reciprocity.net.connection import StatusChanged
from reciprocity.net.facilitator import RoomsMade, SessionUpdate
from reciprocity.pacing_wire import (
    ClockStatus,
)
from reciprocity.protocol import (
    Error,
    RoomStatus,
    SessionStatus,
)
from reciprocity.tui.base_app import BaseApp
from reciprocity.tui.screens.dashboard import DashboardScreen

if TYPE_CHECKING:
    from reciprocity.game.session_export import SessionExport
    from reciprocity.net.driver import FacilitatorConnection


@dataclass
class SessionNews(Message):
    """News from the connection: a room's row, the whole session, the clock, rooms added, a
    refusal, or the link."""

    update: SessionUpdate | StatusChanged


class FacilitatorApp(BaseApp):
    """The dashboard of one facilitated session."""

    TITLE = "Reciprocity · facilitating"
    CSS_PATH = "reciprocity.tcss"
    BINDINGS = [Binding("ctrl+q", "ask_quit", "Quit", show=False, priority=True)]

    def __init__(
        self,
        connection: FacilitatorConnection,
        session: SessionStatus,
        codes: Mapping[int, str],
        *,
        relay: str,
        aloud: bool = False,
        export: SessionExport | None = None,
        keep_codes: Callable[[Mapping[int, str]], None] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """The dashboard for `session`, whose pairs join through `relay` (ws://host:port) with
        `codes` (each room's number, with the words this program made for it); `keep_codes`
        keeps the codes of rooms added during the session, for `--resume`. With `aloud`, the
        join line says pairs talk aloud; `export` writes the files. `clock` tells the time for
        the idle column (the relay's clock: seconds since the epoch)."""
        super().__init__()
        self.connection = connection
        self.dashboard = DashboardScreen(
            connection,
            session,
            codes,
            relay,
            clock,
            aloud=aloud,
            export=export,
            keep_codes=keep_codes,
        )

    def action_ask_quit(self) -> None:
        """ctrl+q asks first, as q does: pairs lose the relay until `--resume`."""
        from reciprocity.tui.screens.confirm import ConfirmScreen

        if not isinstance(self.screen, ConfirmScreen):
            self.dashboard.action_quit_session()

    def on_mount(self) -> None:
        """Show the dashboard and start following the relay."""
        self.push_screen(self.dashboard)
        self._follow()

    @work(exclusive=True, group="connection")
    async def _follow(self) -> None:
        await self.connection.run(self._deliver)

    def _deliver(self, update: SessionUpdate | StatusChanged) -> None:
        self.post_message(SessionNews(update))

    @on(SessionNews)
    def _news(self, message: SessionNews) -> None:
        match message.update:
            case RoomStatus() as room:
                self.dashboard.show_room(room)
            case SessionStatus() as session:
                self.dashboard.show_session(session)
            case ClockStatus() as clock:
                self.dashboard.show_clock(clock)
            case RoomsMade() as made:
                self.dashboard.add_rooms(made)
            case Error(message=text):
                self.notify(text, severity="warning", markup=False)
            case StatusChanged(text=text):
                banner = self.dashboard.query_one("#banner", Static)
                banner.update(text or "")
                banner.display = text is not None

    @property
    def rows(self) -> list[RoomStatus]:
        """Every room's latest row, in the order the rooms were made."""
        return list(self.dashboard.rows.values())

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """The palette: Textual's own commands, and every action of the dashboard."""
        yield from super().get_system_commands(screen)
        board = self.dashboard
        if not board.ended:  # once it has ended, only exporting and quitting are left
            yield SystemCommand(
                "Open the next level",
                "For everyone, as deep as each pair chose",
                board.action_open_next,
            )
            yield SystemCommand(
                "Start the clock", "Each level gets its time from now", board.action_start_clock
            )
            yield SystemCommand(
                "Hold the clock", "Hold it where it stands, or let it go on", board.action_hold
            )
            yield SystemCommand("Add a room", "A new code, for a late pair", board.action_add_room)
            yield SystemCommand(
                "Pause or resume everyone", "The facilitator's pause", board.action_pause_all
            )
            yield SystemCommand("Broadcast", "One line to every player", board.action_broadcast)
            yield SystemCommand(
                "Free a seat", "Of the selected pair, whose player is gone", board.action_free_seat
            )
            yield SystemCommand(
                "End the session", "Every game, after a question", board.action_end_session
            )
        yield SystemCommand("Export the totals", "CSV, names only if ticked", board.action_export)
        yield SystemCommand("Quit", "Stop the relay and leave", board.action_quit_session)
