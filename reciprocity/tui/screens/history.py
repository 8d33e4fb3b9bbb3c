"""Past games: a table of them, trends across them, and deleting one.

The table and the trends come from `reciprocity.game`, the same as `reciprocity history`
prints, so the screen and the command line always agree.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from rich.text import Text
from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.coordinate import Coordinate
from textual.screen import Screen
from textual.style import Style
from textual.widgets import DataTable, Footer, Label, Sparkline, Static

from reciprocity.game.history import (
    COLUMNS,
    EMPTY,
    UNFINISHED_NOTE,
    GameRecord,
    describe_game,
    past_games,
    table_cells,
)
from reciprocity.game.trends import (
    TREND_GAMES,
    bar_height,
    level_note,
    sparkline,
    support_note,
    totals_note,
    trends,
)
from reciprocity.records.store import Store, StoreError
from reciprocity.tui.screens.confirm import ConfirmScreen

#: What the screen says under "No games yet."
EMPTY_HINT = "The games you play show here, with how support and depth change across them."


def _cell(index: int, text: str) -> Text:
    """A table cell; the first column keeps a space from the screen's edge."""
    return Text((" " if index == 0 else "") + text, no_wrap=True)


class TrendLine(Sparkline):
    """A sparkline on a fixed scale, one bar per value: the same bars `reciprocity history`
    prints, coloured like Textual's Sparkline (its `--min-color` and `--max-color` parts).

    Textual's Sparkline scales from the smallest value to the largest, so a run of games all at
    100% would draw as the lowest bars; a trend needs its scale fixed.
    """

    def __init__(
        self, low: float = 0.0, high: float | None = None, *, id: str | None = None
    ) -> None:
        super().__init__([], id=id)
        self.low = low
        self.high = high

    def render(self) -> Content:
        """The bars, each coloured by its height."""
        bars = sparkline(list(self.data or []), self.low, self.high)
        _, base = self.background_colors
        low = base + self.get_component_styles("sparkline--min-color").color
        high = base + self.get_component_styles("sparkline--max-color").color
        return Content("").join(
            Content.styled(bar, Style(foreground=low.blend(high, bar_height(bar)))) for bar in bars
        )


class HistoryScreen(Screen[None]):
    """Past games, newest first, with trends; `d` deletes the highlighted game."""

    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("d", "delete", "Delete game"),
    ]

    def __init__(self, store: Callable[[], Store]) -> None:
        """Past games from `store`, which opens the local records (off the event loop)."""
        super().__init__()
        self.store = store
        self.records: list[GameRecord] = []

    def compose(self) -> ComposeResult:
        """The title, the table of games, the trends and the keys."""
        yield Label("Past games", id="history-title", classes="title", markup=False)
        yield Static(EMPTY, id="history-empty", classes="muted", markup=False)
        yield DataTable[Text](id="history-table", cursor_type="row", cell_padding=0)
        with Vertical(id="history-trends"):
            with Horizontal(classes="history-trend"):
                yield Label("Support rate", classes="history-trend-label", markup=False)
                yield TrendLine(0.0, 1.0, id="history-support")
                yield Label(
                    "", id="history-support-note", classes="history-trend-note", markup=False
                )
            with Horizontal(classes="history-trend"):
                yield Label("Deepest level", classes="history-trend-label", markup=False)
                yield TrendLine(0.0, id="history-levels")
                yield Label(
                    "", id="history-levels-note", classes="history-trend-note", markup=False
                )
            yield Label("", id="history-totals", classes="muted", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        """Read the records."""
        self.query_one("#history-empty").display = False
        self.query_one("#history-trends").display = False
        self.load()

    @work(exclusive=True, group="history-load")
    async def load(self) -> None:
        """Read the past games off the event loop, then show them."""
        try:
            records = await asyncio.to_thread(lambda: past_games(self.store()))
        except StoreError as error:
            self._show_empty(f"Cannot read the records: {error}")
            return
        self.show(records)

    def show(self, records: Sequence[GameRecord]) -> None:
        """Show these games (newest first) and their trends."""
        self.records = list(records)
        table = self.query_one("#history-table", DataTable)
        if not self.records:
            self._show_empty(f"{EMPTY}\n{EMPTY_HINT}")
            return
        self.query_one("#history-empty").display = False
        table.display = True
        self._fill_table()
        self._show_trends()
        self.refresh_bindings()

    def _show_empty(self, message: str) -> None:
        self.records = []
        empty = self.query_one("#history-empty", Static)
        empty.update(message)
        empty.display = True
        self.query_one("#history-table", DataTable).display = False
        self.query_one("#history-trends").display = False
        self.refresh_bindings()

    def _fill_table(self) -> None:
        table: DataTable[Text] = self.query_one("#history-table", DataTable)
        row = table.cursor_row
        table.clear(columns=True)
        # Leave room for the vertical scrollbar and a space at the left edge.
        width = max(40, self.size.width - 2)
        header, *rows = table_cells(self.records, width)
        for column, label in zip(COLUMNS, header, strict=True):
            table.add_column(_cell(0 if column is COLUMNS[0] else -1, label), key=column.header)
        for record, cells in zip(self.records, rows, strict=True):
            table.add_row(*(_cell(i, cell) for i, cell in enumerate(cells)), key=record.id)
        table.move_cursor(row=min(row, len(rows) - 1), animate=False)

    def _show_trends(self) -> None:
        t = trends(self.records)
        support = list(t.support[-TREND_GAMES:])
        levels = [float(level) for level in t.levels[-TREND_GAMES:]]
        for selector, data in (("#history-support", support), ("#history-levels", levels)):
            line = self.query_one(selector, TrendLine)
            line.data = data
            line.styles.width = max(1, min(len(data), TREND_GAMES))
        self.query_one("#history-support-note", Label).update(support_note(t))
        self.query_one("#history-levels-note", Label).update(level_note(t))
        note = totals_note(t)
        if any(record.unfinished for record in self.records):
            note = f"{note}\n{UNFINISHED_NOTE}"
        self.query_one("#history-totals", Label).update(note)
        self.query_one("#history-trends").display = True

    def on_resize(self, event: events.Resize) -> None:
        """Fit the table to the new width."""
        if self.records:
            self._fill_table()

    @property
    def highlighted(self) -> GameRecord | None:
        """The game the cursor is on, if there are any."""
        table = self.query_one("#history-table", DataTable)
        if not self.records or table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(Coordinate(table.cursor_row, 0)).row_key.value
        return next((record for record in self.records if record.id == key), None)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Offer delete only when there is a game to delete."""
        if action == "delete":
            return bool(self.records)
        return True

    def action_back(self) -> None:
        """Go back to where the history was opened from."""
        self.dismiss(None)

    def action_delete(self) -> None:
        """Ask, then delete the highlighted game."""
        record = self.highlighted
        if record is not None:
            self._delete(record)

    @work(group="history-delete")
    async def _delete(self, record: GameRecord) -> None:
        question = f"Delete {describe_game(record)}? This cannot be undone."
        if not await self.app.push_screen_wait(ConfirmScreen(question, "Delete", "Keep")):
            return
        try:
            await asyncio.to_thread(lambda: self.store().delete(record.id))
        except StoreError as error:
            self.notify(str(error), title="Cannot delete the game", severity="error", markup=False)
            return
        self.notify(f"Deleted {describe_game(record)}.", markup=False)
        self.load()
