"""A pair's web link, with its QR code, for the facilitator to show or read out."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from reciprocity.tui.widgets.qr import QRCode


class WebLinkScreen(ModalScreen[None]):
    """One link, big enough to scan; any of Escape, Enter or w closes it."""

    BINDINGS = [
        Binding("escape", "dismiss", "Close"),
        Binding("enter", "dismiss", "Close", show=False),
        Binding("w", "dismiss", "Close", show=False),
    ]

    def __init__(self, title: str, url: str) -> None:
        """A dialog titled `title` showing `url` and its QR code."""
        super().__init__()
        self.heading = title
        self.url = url

    def compose(self) -> ComposeResult:
        """The title, the code, the address."""
        with Vertical(id="web-link"):
            yield Label(self.heading, classes="title", markup=False)
            with Center():
                yield QRCode(self.url)
            yield Static(self.url, id="web-link-url", markup=False)
            yield Static("Escape closes this.", classes="muted", markup=False)
