"""What the screen talks to: it sends commands and words, and receives updates.

`send` and `say` never block. Updates arrive through the `deliver` callback given to `run`,
which the app runs in one worker. `LocalConnection` (`reciprocity.net.local`) holds a room
in-process and plays both seats of one shared terminal; `WebSocketConnection`
(`reciprocity.net.driver`) plays one seat through a relay.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from reciprocity.engine.state import Seat

if TYPE_CHECKING:
    from reciprocity.engine.messages import Command
    from reciprocity.protocol import Record
    from reciprocity.seat_view import SeatView

#: The most characters of typed words in one message, on one screen or over the network:
#: even at four bytes a character they seal well under the protocol's frame limit.
MAX_WORDS = 2000


def fit_words(text: str) -> str:
    """Typed words as they are passed on: trimmed, and cut to `MAX_WORDS` characters."""
    return text.strip()[:MAX_WORDS]


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
