"""The pause: a slow breath together until both partners say they are ready.

Pauses are recorded without judgement, and nothing here hurries anyone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, TypeAlias

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Footer, Label

from reciprocity.engine import Ready, Seat
from reciprocity.tui import messages
from reciprocity.tui.widgets.breathing import BreathingGuide

if TYPE_CHECKING:
    from reciprocity.seat_view import SeatView


TAKE_YOUR_TIME = "Take all the time you need. Play goes on when you are both ready."


class PauseScreen(Screen[None]):
    """The breathing guide, and a ready key for each partner at this keyboard.

    On a shared terminal (`seats` is (A, B)) key 1 says the first partner is ready and key 2
    the second; over the network Enter says this seat is ready. `view` (the first seat's)
    and `views` (each seat's) are bound from the table, and the screen closes itself once
    the game is no longer paused.
    """

    Act: TypeAlias = messages.Act

    view: reactive[SeatView | None] = reactive(None)
    views: reactive[dict[Seat, SeatView]] = reactive(dict, bindings=True)

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
            yield Label("A pause, together", classes="title", markup=False)
            yield BreathingGuide()
            yield Label(TAKE_YOUR_TIME, id="pause-line", markup=False)
            with Horizontal(id="pause-ready"):
                for seat in Seat:
                    yield Label(id=f"ready-{seat.value}", classes="ready-status", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        """Show who is ready so far."""
        self._show_ready()
        self.watch_view(self.view)

    def watch_view(self, view: SeatView | None) -> None:
        """Follow the pause: who is ready, and whether it is over."""
        if view is None or not self.is_mounted:
            return
        if view.paused:
            self._was_paused = True
            self.ready_seats = view.ready
            self._show_ready()
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
        """A ready key only for a partner the rules let say so (not one who is ready)."""
        if action == "ready" and parameters:
            view = self.views.get(Seat(str(parameters[0])))
            return view is not None and "ready" in view.legal
        return True

    def action_ready(self, seat: str) -> None:
        """Tell the game that a partner at this keyboard is ready to go on."""
        self.post_message(self.Act(Seat(seat), Ready()))
