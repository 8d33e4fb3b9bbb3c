"""What the screen talks to: it sends commands and words, and receives views.

`send` and `say` never block. Updates arrive through the `deliver` callback given to `run`,
which the app runs in one worker. The local connection holds a room in-process and plays
both seats of one shared terminal; the websocket connection (`reciprocity.remote`) plays one
seat through a relay.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from reciprocity.engine import Command, IllegalMove, Seat
from reciprocity.records.store import StoreError

if TYPE_CHECKING:
    from reciprocity.game.room import Room
    from reciprocity.protocol import Record, SeatView


MAX_WORDS = 2000


@dataclass(frozen=True, slots=True)
class ViewChanged:
    """A seat's view changed."""

    view: SeatView


@dataclass(frozen=True, slots=True)
class Rejected:
    """A command was not allowed, or could not be saved; nothing changed."""

    seat: Seat
    message: str


@dataclass(frozen=True, slots=True)
class WordsArrived:
    """Words a partner typed. They are shown and then gone: never stored."""

    seat: Seat
    text: str


@dataclass(frozen=True, slots=True)
class StatusChanged:
    """How the way to the relay is doing: a line for a banner, or None when all is well."""

    text: str | None


@dataclass(frozen=True, slots=True)
class RecordArrived:
    """A game played over the network has finished: its log, for this player's history."""

    record: Record


@dataclass(frozen=True, slots=True)
class Announced:
    """A line from the facilitator of the session, for every player's screen; never stored."""

    text: str


@dataclass(frozen=True, slots=True)
class CodeChanged:
    """The game's code has new words (too many wrong ones were tried): the partner needs it."""

    code: str


Update = (
    ViewChanged | Rejected | WordsArrived | StatusChanged | RecordArrived | Announced | CodeChanged
)
Deliver = Callable[[Update], None]


class Connection(ABC):
    """The screen's way to a game."""

    #: The seats this screen plays: both on a shared terminal, one over the network.
    seats: tuple[Seat, ...]

    @abstractmethod
    async def run(self, deliver: Deliver) -> None:
        """Deliver updates until closed. The app runs this in one worker."""

    @abstractmethod
    def send(self, seat: Seat, command: Command) -> None:
        """Ask for a command on behalf of a seat."""

    @abstractmethod
    def say(self, seat: Seat, text: str) -> None:
        """Pass typed words to the partner's screen."""

    @abstractmethod
    def close(self) -> None:
        """Stop delivering updates."""


class LocalConnection(Connection):
    """A room in this process, for two partners at one keyboard."""

    seats = (Seat.A, Seat.B)

    def __init__(self, room: Room) -> None:
        self.room = room
        self._deliver: Deliver | None = None
        self._closed = asyncio.Event()

    async def run(self, deliver: Deliver) -> None:
        """Deliver the current views, then every change until closed."""
        self._deliver = deliver
        self._publish()
        await self._closed.wait()

    def send(self, seat: Seat, command: Command) -> None:
        """Apply the command now; a refusal comes back as `Rejected`."""
        try:
            self.room.submit(seat, command)
        except (IllegalMove, StoreError) as error:
            self._emit(Rejected(seat, str(error)))
            return
        self._publish()

    def say(self, seat: Seat, text: str) -> None:
        """Show the words on the shared screen."""
        text = text.strip()[:MAX_WORDS]
        if text:
            self._emit(WordsArrived(seat, text))

    def close(self) -> None:
        """Stop the run loop."""
        self._closed.set()

    def _publish(self) -> None:
        for seat in self.seats:
            self._emit(ViewChanged(self.room.view(seat)))

    def _emit(self, update: Update) -> None:
        if self._deliver is not None:
            self._deliver(update)
