"""The facilitator's dashboard: one row per pair, the session's clock, and its controls.

A row shows the pair's code, names, state, levels and counts of outcomes, and how long since
anything happened: never their words, limits or lines, which the relay never sends here. The
clock is the relay's: the dashboard shows it, counting down between the relay's word on it,
and asks the relay to start, hold or step it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, ClassVar

from rich.cells import cell_len
from rich.console import JustifyMethod
from rich.text import Text
from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Label, Static

from reciprocity import ReciprocityError
from reciprocity.engine import EndSession, Hold, Release
from reciprocity.engine.names import MAX_NAME
from reciprocity.game.facilitation import join_line
from reciprocity.game.pacing import SESSION_ENDED, pacing_line
from reciprocity.game.session_export import SessionExport
from reciprocity.net.codes import code_number, join_url
from reciprocity.pacing_wire import (
    AddRooms,
    ClockStatus,
    Pace,
)
from reciprocity.text import fit_pair

if TYPE_CHECKING:
    from reciprocity.net.driver import FacilitatorConnection
    from reciprocity.net.facilitator import RoomsMade
    from reciprocity.protocol import (
        RoomStatus,
        SessionStatus,
    )

#: The table's columns: key and heading. The code, the pair and the state are left-aligned,
#: the rest are counts, right-aligned under their headings. Cells have no padding: one space
#: between columns is part of each column's width (see `DashboardScreen._fit_table`).
COLUMNS: tuple[tuple[str, str], ...] = (
    ("code", "Code"),
    ("names", "Pair"),
    ("state", "State"),
    ("level", "Lvl"),
    ("turns", "Turns"),
    ("support", "Sup%"),
    ("repairs", "Rep"),
    ("hurts", "Hurt"),
    ("passes", "Pass"),
    ("idle", "Idle"),
)
#: The left-aligned columns; a count's column is one wider than its heading.
LEFT_ALIGNED = frozenset({"code", "names", "state"})
#: The longest state ("reconnecting"); the next column's leading space follows it.
STATE_WIDTH = 12
#: The pair's names take at least this ("S… & B…"), and at most two of the longest names.
MIN_NAMES_WIDTH = 7
MAX_NAMES_WIDTH = 2 * MAX_NAME + len(" & ")
LEGEND = (
    "Lvl level now/level open to all · Sup% met with support · Rep repairs forgiven · "
    "Hurt unrepaired hurts. Never shown: words, limits or lines."
)


#: Why a clock key does nothing now, by the clock's state.
_NOT_NOW = {
    "none": "There is no clock here: levels open when you press n.",
    "waiting": "The clock has not started yet: s starts it.",
}


def pair_label(names: tuple[str | None, str | None], width: int) -> str:
    """The pair's names ("Sam & Ben", "Sam & ?" while one is still to come, "—" for nobody),
    each cut with an ellipsis as needed to fit in `width` cells together."""
    if not any(names):
        return "—"
    first, second = (name or "?" for name in names)
    return fit_pair(first, second, width)


class DashboardScreen(Screen[None]):
    """Every room of the session, live, with the facilitator's keys in the footer."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "open_next", "Next"),
        Binding("s", "start_clock", "Start"),
        Binding("h", "hold", "Hold"),
        Binding("a", "add_room", "Add room"),
        Binding("p", "pause_all", "Pause"),
        Binding("b", "broadcast", "Broadcast"),
        Binding("f", "free_seat", "Free a seat", show=False),
        Binding("x", "export", "Export"),
        Binding("e", "end_session", "End"),
        Binding("q", "quit_session", "Quit"),
        Binding("w", "web_link", "Web link", show=False),
    ]
    #: The web page pairs may join from a browser (`facilitate --web`), or None.
    web: str | None = None

    def __init__(
        self,
        connection: FacilitatorConnection,
        session: SessionStatus,
        codes: Mapping[int, str],
        relay: str,
        clock: Callable[[], float] = time.time,
        *,
        aloud: bool = False,
        export: SessionExport | None = None,
        keep_codes: Callable[[Mapping[int, str]], None] | None = None,
    ) -> None:
        """The dashboard of `session`, whose pairs join through `relay` (ws://host:port) with
        `codes`: each room's number, with the words this program made for it; with `aloud`,
        the join line says the pairs talk aloud. `export` writes the session's files (where
        the totals go unless the facilitator says otherwise, and the turns). `keep_codes`
        keeps the codes of rooms added during the session."""
        super().__init__()
        self.aloud = aloud
        self.export = export or SessionExport(started=clock(), depth=session.depth)
        self.connection = connection
        self.session = session
        self.codes = dict(codes)
        self.relay = relay
        self.clock = clock
        self.rows: dict[int, RoomStatus] = {room.number: room for room in session.rooms}
        self.held = any(room.held for room in session.rooms)
        self.keep_codes = keep_codes
        #: The session's clock as the relay last said, and when (this screen's monotonic time).
        self.timer: ClockStatus = session.clock
        self._timer_since = time.monotonic()
        self.ended = session.clock.state == "ended"
        self.table: DataTable[Text] = DataTable(
            id="dashboard-rooms", cursor_type="row", zebra_stripes=True, cell_padding=0
        )
        self.code_width = max([len("Code"), *(len(self.code(number)) for number in self.rows)])
        self.names_width = 0

    def compose(self) -> ComposeResult:
        """The session line, how pairs join, the pacing line, the rooms, the keys."""
        yield Static("", id="banner", markup=False)
        yield Label(self._title(), classes="title", id="dashboard-title", markup=False)
        yield Static(
            f"Pairs join with:  {join_line(self.relay, aloud=self.aloud)}",
            id="dashboard-join",
            markup=False,
        )
        if self.web is not None:
            line = f"Or in a browser:  {join_url(self.web)}   (w: a pair's own link and QR)"
            yield Static(line, id="dashboard-web", markup=False)
        yield Static("", id="dashboard-pacing", markup=False)
        yield self.table
        yield Static(LEGEND, id="dashboard-legend", markup=False)
        # Compact, so that every key fits 80 columns with the palette's.
        yield Footer(compact=True)

    def _title(self) -> str:
        pairs = len(self.rows)
        return f"Facilitating · {self.session.deck_title} · {pairs} pair{'s' * (pairs != 1)}"

    def on_mount(self) -> None:
        """Fill the table, and tick every second for the countdown and the idle times."""
        self._fit_table(self.app.size.width, again=True)
        self.table.focus()
        self._show_pacing()
        self.set_interval(1.0, self._tick)

    def on_resize(self, event: events.Resize) -> None:
        """Fit the table to the new width."""
        self._fit_table(event.size.width)

    def _fit_table(self, screen_width: int, *, again: bool = False) -> None:
        """Build the table again if the pair's column should change width (or `again`): as
        wide as the longest names, in what the other columns leave of the screen, so that a
        row fits."""
        table = self.table
        space = screen_width - table.styles.gutter.width - table.styles.scrollbar_size_vertical
        widths = {key: len(heading) + 1 for key, heading in COLUMNS}
        widths |= {"code": self.code_width + 1, "state": STATE_WIDTH}
        left = space - sum(width for key, width in widths.items() if key != "names") - 1
        longest = max(
            cell_len(pair_label(room.names, MAX_NAMES_WIDTH)) for room in self.rows.values()
        )
        names_width = max(MIN_NAMES_WIDTH, min(longest, left))
        if names_width == self.names_width and not again:
            return
        self.names_width = names_width
        widths["names"] = names_width + 1
        row = table.cursor_row
        table.clear(columns=True)
        for key, heading in COLUMNS:
            justify: JustifyMethod = "left" if key in LEFT_ALIGNED else "right"
            table.add_column(Text(heading, justify=justify), key=key, width=widths[key])
        for room in self.rows.values():
            table.add_row(*self._cells(room), key=self.code(room.number))
        table.move_cursor(row=row)

    # --- rows ------------------------------------------------------------------------------

    def show_session(self, session: SessionStatus) -> None:
        """Every room again, as after a reconnect."""
        for room in session.rooms:
            self.show_room(room)
        self.held = any(room.held for room in session.rooms)
        self.show_clock(session.clock)

    def show_clock(self, clock: ClockStatus) -> None:
        """The session's clock, as the relay says it is now."""
        self.timer, self._timer_since = clock, time.monotonic()
        if clock.state == "ended" and not self.ended:
            self.ended = True
            self.notify("The session has ended. Export the totals before you quit.", markup=False)
        self.refresh_bindings()
        self._show_pacing()

    def add_rooms(self, made: RoomsMade) -> None:
        """Rooms added during the session: their rows, and their codes shown and kept."""
        self.codes |= made.codes
        self.rows |= {room.number: room for room in made.rooms}
        self.code_width = max(self.code_width, *(len(code) for code in made.codes.values()))
        self._fit_table(self.size.width, again=True)
        self.table.move_cursor(row=len(self.rows) - 1)
        self.query_one("#dashboard-title", Label).update(self._title())
        if self.keep_codes is not None:
            try:
                self.keep_codes(made.codes)
            except ReciprocityError as error:
                self.notify(str(error), severity="warning", markup=False)
        for code in made.codes.values():
            self.notify(f"A room is added: {code}", title="New code", markup=False, timeout=30)

    def show_room(self, room: RoomStatus) -> None:
        """Update one room's row."""
        if room.number not in self.rows:
            return
        self.rows[room.number] = room
        self._fit_table(self.size.width)
        table = self.table
        for (key, _), value in zip(COLUMNS, self._cells(room), strict=True):
            table.update_cell(self.code(room.number), key, value)

    def _selected_code(self) -> str | None:
        """The code of the pair whose row the cursor is on (its row's key), if any."""
        if not self.table.row_count:
            return None
        key = self.table.coordinate_to_cell_key(self.table.cursor_coordinate).row_key.value
        return str(key)

    def code(self, number: int) -> str:
        """A room's code, as this program made it (the row's key in the table)."""
        return self.codes.get(number, str(number))

    def _cells(self, room: RoomStatus) -> tuple[Text, ...]:
        """A room's row; Text, not str, so that names are never read as markup."""
        level = str(room.level) if room.open_level is None else f"{room.level}/{room.open_level}"
        words = (self.code(room.number), pair_label(room.names, self.names_width), room.state)
        counts = (
            level,
            str(room.turns),
            f"{room.support_rate:.0%}" if room.turns else "—",
            str(room.repairs),
            str(room.unrepaired),
            str(room.passes),
            self._idle(room),
        )
        return (*map(Text, words), *(Text(count, justify="right") for count in counts))

    def _idle(self, room: RoomStatus) -> str:
        """How long since anything happened in the room, in its largest unit: 45s, 12m, 3h, 2d."""
        if room.last_active is None:
            return "—"
        seconds = max(0, int(self.clock() - room.last_active))
        for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
            if seconds >= size:
                return f"{seconds // size}{unit}"
        return f"{seconds}s"

    def _tick(self) -> None:
        self._show_pacing()
        table = self.table
        for number, room in self.rows.items():
            table.update_cell(self.code(number), "idle", Text(self._idle(room), justify="right"))

    def left(self) -> float | None:
        """Seconds to the clock's next step now, counted down since the relay's word."""
        timer = self.timer
        if timer.left is None or timer.state != "running":
            return timer.left
        return max(0.0, timer.left - (time.monotonic() - self._timer_since))

    def _show_pacing(self) -> None:
        line = pacing_line(self.timer, self.left())
        if self.ended:
            line = SESSION_ENDED
        elif self.held:
            line += " Everyone is paused (p resumes)."
        self.query_one("#dashboard-pacing", Static).update(line)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Once the session has ended, only exporting and quitting are left; the clock's keys
        show when they can do something."""
        if self.ended:
            return action in ("export", "quit_session")
        if action == "start_clock":
            return self.timer.state == "waiting"
        if action == "hold":
            return self.timer.state not in _NOT_NOW
        return True

    # --- actions ---------------------------------------------------------------------------

    def action_web_link(self) -> None:
        """Show the chosen pair's own web link, with its QR code (`facilitate --web`)."""
        from reciprocity.tui.screens.web_link import WebLinkScreen

        code = self._selected_code()
        if self.web is None or code is None:
            self.notify("Start the session with --web to offer a browser link.", markup=False)
            return
        link = join_url(self.web, code)
        self.app.push_screen(WebLinkScreen(f"Pair {code}: they type only their names", link))

    def action_open_next(self) -> None:
        """Open the next level for everyone now (each pair still goes only as deep as they
        chose); a running clock counts a whole level from here."""
        level = self.timer.open_level + 1
        if level > self.timer.depth:
            self.notify("Every level is open already.", markup=False)
            return
        self.connection.ask(Pace(action="next"))
        self.notify(f"Level {level} is open to everyone.", markup=False)

    def action_start_clock(self) -> None:
        """Start the clock: the level open now gets its full time."""
        if self.timer.state != "waiting":
            self.notify(_NOT_NOW.get(self.timer.state, "The clock has started."), markup=False)
            return
        self.connection.ask(Pace(action="start"))
        self.notify("The clock has started.", markup=False)

    def action_hold(self) -> None:
        """Hold the clock where it stands, or let it go on from there."""
        if self.timer.state in _NOT_NOW:
            self.notify(_NOT_NOW[self.timer.state], markup=False)
            return
        held = self.timer.state == "held"
        self.connection.ask(Pace(action="go_on" if held else "hold"))
        self.notify("The clock goes on." if held else "The clock is held.", markup=False)

    def action_add_room(self) -> None:
        """Add a room, for a pair who came late: its code shows when the relay has made it."""
        self.connection.ask(AddRooms(count=1))

    def action_pause_all(self) -> None:
        """Pause every pair (the facilitator's pause, not their own), or let them go on."""
        self.held = not self.held
        self.connection.steer(Hold() if self.held else Release())
        self.notify("Everyone is paused." if self.held else "Everyone may go on.", markup=False)
        self._show_pacing()

    def action_broadcast(self) -> None:
        """Send one line to every player's screen."""
        from reciprocity.tui.screens.announce import AnnounceScreen

        self.app.push_screen(AnnounceScreen(), self._announce)

    def _announce(self, text: str | None) -> None:
        if text:
            self.connection.announce(text)
            self.notify("Sent to every player.", markup=False)

    @work(group="free-seat")
    async def action_free_seat(self) -> None:
        """Free a seat of the selected pair whose player is gone (`reciprocity.tui.free_seat`)."""
        from reciprocity.tui.free_seat import free_a_seat

        code = self._selected_code()
        if code is not None:
            room = self.rows[code_number(code)]
            await free_a_seat(self.app, self.connection, room, code)

    def action_export(self) -> None:
        """Export the totals to CSV, with names only when ticked."""
        from reciprocity.tui.screens.export import ExportScreen

        screen = ExportScreen(self.export_path(), names=self.export.with_names)
        self.app.push_screen(screen, self._export)

    def export_path(self) -> str:
        """Where the totals go: `--totals-out`, or a file named for today in this folder."""
        chosen = self.export.totals_out
        return str(chosen) if chosen else time.strftime("reciprocity-totals-%Y-%m-%d-%H%M.csv")

    def _export(self, choice: tuple[str, bool] | None) -> None:
        from pathlib import Path

        if choice is None:
            return
        path, names = choice
        turns = self.connection.core.played.values()
        try:
            done = self.export.export(Path(path), list(self.rows.values()), turns, names=names)
        except ReciprocityError as error:
            self.notify(str(error), severity="error", markup=False)
            return
        self.notify(done, markup=False)

    def action_end_session(self) -> None:
        """End every pair's game, after a confirmation."""
        from reciprocity.tui.screens.confirm import ConfirmScreen

        question = "End the session for every pair? Each game goes to its closing screen."
        self.app.push_screen(ConfirmScreen(question, yes="End it"), self._end)

    def _end(self, yes: bool | None) -> None:
        if yes:
            self.ended = True
            self.connection.steer(EndSession())
            self.refresh_bindings()
            self._show_pacing()
            self.notify("The session has ended. Export the totals before you quit.", markup=False)

    def action_quit_session(self) -> None:
        """Stop the relay and leave: after a question, unless the session has ended."""
        from reciprocity.tui.screens.confirm import ConfirmScreen

        if self.ended:
            self._quit(True)
            return
        question = (
            "Quit? This stops the relay: pairs lose it until you run "
            "reciprocity facilitate --resume, and then go on where they were."
        )
        self.app.push_screen(ConfirmScreen(question, yes="Quit"), self._quit)

    def _quit(self, yes: bool | None) -> None:
        if yes:
            self.app.exit(0)
