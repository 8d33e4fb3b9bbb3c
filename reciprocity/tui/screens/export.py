"""Exporting a session's totals to CSV: where to, and whether to include the pairs' names."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Checkbox, Footer, Input, Label


class ExportScreen(ModalScreen[tuple[str, bool] | None]):
    """The file and the "include names" tick (off unless `--with-names`). Ctrl+S or Enter in
    the file field exports, dismissing with (path, include names); Escape cancels (None)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "export", "Export", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(self, path: str, *, names: bool = False) -> None:
        """Start with `path` in the file field, and the tick as `names`."""
        super().__init__()
        self.path = path
        self.names = names

    def compose(self) -> ComposeResult:
        """The file, the tick, and what the file holds."""
        with Vertical(id="export-dialog"):
            yield Label("Export the totals to CSV", classes="title", markup=False)
            yield Input(self.path, id="export-path")
            yield Checkbox("Include names", self.names, id="export-names")
            yield Label(
                "A row per pair and a total row: levels, outcomes and closeness.",
                classes="hint",
                markup=False,
            )
        yield Footer()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_export()

    def action_export(self) -> None:
        """Export to the file named, with names if ticked."""
        path = self.query_one("#export-path", Input).value.strip()
        if not path:
            self.notify("Please name a file.", severity="warning", markup=False)
            return
        self.dismiss((path, self.query_one("#export-names", Checkbox).value))

    def action_cancel(self) -> None:
        """Export nothing."""
        self.dismiss(None)
