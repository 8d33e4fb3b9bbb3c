"""Join a partner's game over the network with the code they gave you."""

from __future__ import annotations

from typing import TypeAlias

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Horizontal, Vertical
from textual.widgets import Checkbox, Footer, Input, Label, Static

from reciprocity import ReciprocityError
from reciprocity.engine.names import MAX_NAME
from reciprocity.net.choices import JoinChoice
from reciprocity.tui import messages
from reciprocity.tui.screens.host import ALOUD, relay_address


class JoinScreen(messages.Form):
    """The joiner's form. Ctrl+S (or Enter in the last field) posts `Submitted`."""

    BINDINGS = [
        Binding("ctrl+s", "join", "Join", priority=True),
        Binding("escape", "cancel", "Back"),
    ]

    Submitted: TypeAlias = messages.JoinSubmitted

    def __init__(self, choice: JoinChoice) -> None:
        """A form filled in from `choice`."""
        super().__init__()
        self.given = choice
        self.busy = False

    def compose(self) -> ComposeResult:
        """The code, the name, the relay and the aloud choice."""
        given = self.given
        with Center(), Vertical(id="join-form"):
            yield Label("Join a partner's game", classes="title", markup=False)
            yield Static(
                "Type the code your partner gave you, such as 7-amber-harbor.",
                classes="muted",
                markup=False,
            )
            with Horizontal(classes="form-row"):
                yield Label("Code", classes="form-label", markup=False)
                yield Input(given.code, placeholder="7-amber-harbor", id="join-code")
            with Horizontal(classes="form-row"):
                yield Label("Your name", classes="form-label", markup=False)
                yield Input(given.name, id="join-name", max_length=MAX_NAME)
            with Horizontal(classes="form-row"):
                yield Label("Relay", classes="form-label", markup=False)
                yield Input(given.relay, id="join-relay")
            yield Checkbox(ALOUD, given.aloud, id="join-aloud")
            yield Static("", id="join-status", classes="form-status", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        """Start where something is missing."""
        self.query_one("#join-name" if self.given.code else "#join-code", Input).focus()

    @on(Input.Submitted, "#join-code")
    def _code_given(self) -> None:
        self.query_one("#join-name", Input).focus()

    @on(Input.Submitted, "#join-name")
    @on(Input.Submitted, "#join-relay")
    def _submitted(self) -> None:
        self.action_join()

    def action_join(self) -> None:
        """Check the form, then ask the app to take the free seat."""
        from reciprocity.net.codes import check_code

        if self.busy:
            return
        name = " ".join(self.query_one("#join-name", Input).value.split())
        try:
            code = check_code(self.query_one("#join-code", Input).value)
            relay = relay_address(self.query_one("#join-relay", Input).value)
        except ReciprocityError as error:
            self.show_status(error.sentence, error=True)
            return
        except ValueError as error:
            self.show_status(f"{error}.", error=True)
            return
        if relay is None:
            self.show_status("Please give the relay's address.", error=True)
        elif not name:
            self.show_status("Please enter your name.", error=True)
            self.query_one("#join-name", Input).focus()
        else:
            aloud = self.query_one("#join-aloud", Checkbox).value
            self.show_status(f"Connecting to {relay} and checking the code…")
            self.busy = True
            self.post_message(self.Submitted(JoinChoice(code, name, relay, aloud), self))

    def show_status(self, text: str, *, error: bool = False) -> None:
        """Say what is happening, or what went wrong (and the form may be sent again)."""
        self.busy = self.busy and not error
        status = self.query_one("#join-status", Static)
        status.update(text)
        status.set_class(error, "-error")

    def action_cancel(self) -> None:
        """Go back without joining."""
        self.dismiss(None)
