"""The pause: a slow breath together until both partners say they are ready.

Pauses are recorded without judgement, and nothing here hurries anyone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol, cast

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Label

from reciprocity.engine import Command, Ready, Seat
from reciprocity.tui.widgets.breathing import BreathingGuide

if TYPE_CHECKING:
    from reciprocity.protocol import SeatView


TAKE_YOUR_TIME = "Take all the time you need. Play goes on when you are both ready."


class Sender(Protocol):
    """What the pause needs of the app's connection: a way to send a seat's command."""

    def send(self, seat: Seat, command: Command) -> None:
        """Ask for a command on behalf of a seat."""


class PauseScreen(Screen[None]):
    """The breathing guide, and a ready key for each partner at this keyboard.

    On a shared terminal (`seats` is (A, B)) key 1 says the first partner is ready and key 2
    the second; over the network Enter says this seat is ready. The screen watches the app's
    `view` and closes itself once the game is no longer paused.
    """

    def __init__(self, names: Mapping[Seat, str], seats: tuple[Seat, ...]) -> None:
        """A pause for the partners in `seats` at this screen; `names` gives display names."""
        super().__init__()
        self.names = dict(names)
        self.seats = seats
        self.ready_seats: tuple[Seat, ...] = ()
        self._was_paused = False
        keys = [str(n) for n in range(1, len(seats) + 1)] if len(seats) > 1 else ["enter"]
        for key, seat in zip(keys, seats, strict=True):
            description = f"{self.name_of(seat)} is ready" if len(seats) > 1 else "I'm ready"
            # Bindings named for the partners at this keyboard, so they appear in the footer.
            self._bindings.bind(key, f"ready('{seat.value}')", description)

    def name_of(self, seat: Seat) -> str:
        """A partner's display name."""
        return self.names.get(seat) or f"Partner {seat.value.upper()}"

    def compose(self) -> ComposeResult:
        """A title, the guide, a kind line, and who is ready so far."""
        with Vertical(id="pause-body"):
            yield Label("A pause, together", classes="title")
            yield BreathingGuide()
            yield Label(TAKE_YOUR_TIME, id="pause-line")
            with Horizontal(id="pause-ready"):
                for seat in Seat:
                    yield Label(id=f"ready-{seat.value}", classes="ready-status")
        yield Footer()

    def on_mount(self) -> None:
        """Follow the app's view of the table."""
        self._show_ready()
        if hasattr(self.app, "view"):
            self.watch(self.app, "view", self._view_changed)

    def _view_changed(self, view: SeatView | None) -> None:
        if view is None:
            return
        if view.paused:
            self._was_paused = True
            self.ready_seats = view.ready
            self._show_ready()
            self.refresh_bindings()
        elif self._was_paused:
            self.dismiss()

    def _show_ready(self) -> None:
        for seat in Seat:
            label = self.query_one(f"#ready-{seat.value}", Label)
            is_ready = seat in self.ready_seats
            text = (
                f"✓ {self.name_of(seat)} is ready"
                if is_ready
                else f"{self.name_of(seat)}: whenever you are ready"
            )
            label.update(text)
            label.set_class(is_ready, "-ready")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """A partner who is ready already has no ready key to press."""
        if action == "ready" and parameters:
            return Seat(str(parameters[0])) not in self.ready_seats
        return True

    def action_ready(self, seat: str) -> None:
        """Tell the game that a partner at this keyboard is ready to go on."""
        connection = getattr(self.app, "connection", None)
        if connection is not None:
            cast(Sender, connection).send(Seat(seat), Ready())
