"""Which partner a question is about, such as "Whose limit is changing?" on a shared terminal."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Label

from reciprocity.engine import Seat


def partner_keys(names: dict[Seat, str]) -> dict[Seat, str]:
    """A key for each partner: the first letter of each name when they differ, else 1 and 2."""
    firsts = {seat: name[:1].casefold() for seat, name in names.items()}
    letters = all(key.isascii() and key.isalpha() for key in firsts.values())
    if letters and len(set(firsts.values())) == len(firsts) and "q" not in firsts.values():
        return firsts
    return {seat: str(number) for number, seat in enumerate(names, start=1)}


class WhoseScreen(ModalScreen[Seat | None]):
    """Ask which partner; dismiss with their seat, or None when Escape cancels.

    Each partner has a key (see `partner_keys`) shown in the footer with their name.
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, question: str, names: dict[Seat, str]) -> None:
        super().__init__()
        self.question = question
        self.names = names
        for seat, key in partner_keys(names).items():
            self._bindings.bind(key, f"choose('{seat.value}')", names[seat])

    def compose(self) -> ComposeResult:
        """The question and a button per partner."""
        with Vertical(id="confirm-dialog"):
            yield Label(self.question, id="confirm-question", markup=False)
            with Horizontal(id="confirm-buttons"):
                for seat, name in self.names.items():
                    yield Button(Content(name), id=f"whose-{seat.value}")
        yield Footer()

    def action_choose(self, seat: str) -> None:
        """Close with this partner's seat."""
        self.dismiss(Seat(seat))

    def action_cancel(self) -> None:
        """Close without choosing."""
        self.dismiss(None)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(Seat((event.button.id or "").removeprefix("whose-")))
