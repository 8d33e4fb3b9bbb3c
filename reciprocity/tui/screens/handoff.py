"""A hand-off screen: it hides everything until the right person has the keyboard."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Middle, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Label, Static


class HandoffScreen(Screen[None]):
    """A plain screen with one message; Enter goes on."""

    BINDINGS = [Binding("enter", "go_on", "Go on")]

    def __init__(self, title: str, body: str, lead: str = "") -> None:
        """A hand-off saying `title` and `body`, after `lead` (what just happened) if any."""
        super().__init__()
        self.heading = title
        self.body = body
        self.lead = lead

    @classmethod
    def for_partner(cls, name: str, lead: str = "") -> HandoffScreen:
        """Ask to pass the keyboard to one partner before a private step."""
        return cls(
            f"Pass the keyboard to {name}.",
            f"Press Enter when only {name} can see the screen.",
            lead,
        )

    def compose(self) -> ComposeResult:
        """The message, in the middle of an otherwise empty screen."""
        with Middle(), Center(), Vertical(id="handoff"):
            if self.lead:
                yield Static(self.lead, id="handoff-lead", markup=False)
            yield Label(self.heading, classes="title", markup=False)
            yield Static(self.body, id="handoff-body", markup=False)
        yield Footer()

    def action_go_on(self) -> None:
        """Close the hand-off."""
        self.dismiss(None)
