"""The typing line at the table, whose keys show in the footer while it has the cursor."""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import Input


class SayInput(Input):
    """An Input that names its keys in the footer: Enter sends, Escape hides the line."""

    BINDINGS = [
        Binding("enter", "submit", "Send"),
        Binding("escape", "screen.hide_typing", "Hide"),
    ]
