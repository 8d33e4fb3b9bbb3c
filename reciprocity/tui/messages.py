"""The messages the screens post up to the app, which routes them (and the kind of screen
that posts a form's choice).

They live here, apart from the screens that post them, so that the app can declare its
handlers without importing every screen: each screen is imported when it is first shown,
which keeps the start quick. A screen names what it posts (`TableScreen.Act` is `Act`).
"""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message
from textual.screen import Screen

if TYPE_CHECKING:
    from reciprocity.engine import Command, Seat
    from reciprocity.net.choices import HostChoice, JoinChoice


class Form(Screen[None]):
    """The host's or the joiner's form, which posts its choice: a refusal shows on it."""

    @abstractmethod
    def show_status(self, text: str, *, error: bool = False) -> None:
        """Say what is happening, or what went wrong (and the form may be sent again)."""


@dataclass
class MenuChosen(Message):
    """The home menu's choice that needs the app: `play`, `host`, `join` or `history`."""

    option: str


@dataclass
class HostSubmitted(Message):
    """The host's form is filled in: take a seat at the relay (a refusal shows on `form`)."""

    choice: HostChoice
    form: Form


@dataclass
class JoinSubmitted(Message):
    """The joiner's form is filled in: take the free seat (a refusal shows on `form`)."""

    choice: JoinChoice
    form: Form


@dataclass
class Act(Message):
    """A seat here asks for a command (at the table, or ready again after a pause)."""

    seat: Seat
    command: Command


@dataclass
class Speak(Message):
    """A seat here says something to the partner (typed, or a ready-made opener)."""

    seat: Seat
    text: str


@dataclass
class ChangeLimit(Message):
    """A partner here wants to change their limit, privately."""

    seat: Seat
    name: str
