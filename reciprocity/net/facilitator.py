"""The facilitator's core: a session's rows in, the facilitator's commands out, no I/O.

The dashboard talks to the relay over the same protocol as the players, with a hello that
carries the session's secret token. The relay sends each room's row (outcomes and counts
only, never words, limits or lines) and each turn as it ends, which the core keeps for the
export (`played`); after a reconnect, the whole session and every turn again.

The facilitator's program made every code, so the dashboard checks each room's first joiner
as a seated screen checks a second (`reciprocity.net.client`): it offers a SPAKE2 message
per room, answers each joiner's with a fresh one, checks the joiner's proof, and only if it
matched says so (`code_checked`) with its own proof. A stranger with only a room's number is
turned away, and the relay counts it as a failed join. The keys are used for nothing else.

The session's clock is the relay's: the dashboard asks it to start, hold, go on or open the
next level (`ask(Pace(...))`), and is sent it whenever it changes (`ClockStatus`). Rooms
added during the session (`ask(AddRooms(...))`) come back as their first rows; the core
makes each one's code, as the program made the first ones, and hands them on (`RoomsMade`).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass

from reciprocity.engine import FacilitatorCommand, Seat
from reciprocity.net.checking import JoinerCheck
from reciprocity.net.codes import new_words
from reciprocity.net.core import Core, RelayRefused, RelayUnreachable
from reciprocity.pacing_wire import (
    AddRooms,
    ClockStatus,
    Pace,
)
from reciprocity.protocol import (
    PROTOCOL_VERSION,
    Announce,
    ClientMessage,
    Error,
    FacilitatorLogin,
    FreeSeat,
    Hello,
    KeyExchange,
    PartnerKey,
    RoomsAdded,
    RoomStatus,
    ServerMessage,
    SessionStatus,
    Steer,
    TurnPlayed,
)


@dataclass(frozen=True, slots=True)
class RoomsMade:
    """Rooms added to the session: their first rows, and the codes made for them here."""

    rooms: tuple[RoomStatus, ...]
    codes: dict[int, str]


SessionUpdate = SessionStatus | RoomStatus | ClockStatus | RoomsMade | Error


class FacilitatorCore(Core[SessionUpdate]):
    """The dashboard's side of a facilitated session, with the session's `token` and every
    room's code (`codes`, by number), to check each room's first joiner."""

    def __init__(self, relay: str, token: str, codes: Mapping[int, str]) -> None:
        super().__init__(relay)
        self._token = token
        # The dashboard plays the seat opposite the joiner's, as a host's screen does.
        self._checks = {
            number: JoinerCheck(code, number, Seat.B, numbered=True)
            for number, code in codes.items()
        }
        #: The session as the relay last told it whole.
        self.session: SessionStatus | None = None
        #: Every turn played in the session's rooms, by room number and turn index, for the
        #: export; after a reconnect the relay tells them all again, and they replace these.
        self.played: dict[tuple[int, int], TurnPlayed] = {}

    def steer(self, command: FacilitatorCommand) -> None:
        """Queue a command for every room of the session."""
        self._outbox.append(Steer(command=command))

    def announce(self, text: str) -> None:
        """Queue one line for every player's screen."""
        self._outbox.append(Announce(text=text))

    def ask(self, request: Pace | AddRooms) -> None:
        """Queue a word to the session's clock, or a request for more rooms."""
        self._outbox.append(request)

    def free_seat(self, number: int, seat: Seat) -> None:
        """Queue freeing a seat whose player is gone: the pair's code takes it back, checked
        by the partner's screen."""
        self._outbox.append(FreeSeat(number=number, seat=seat))

    def _hello(self) -> ClientMessage:
        return Hello(version=PROTOCOL_VERSION, facilitate=FacilitatorLogin(token=self._token))

    def _greet(self, message: ServerMessage) -> None:
        match message:
            case SessionStatus():
                if self.session is not None:  # a reconnect: the whole session again
                    self._outputs.append(message)
                self.session = message
                self._offer(message)
            case Error():
                raise RelayRefused(f"the relay said: {message.message}", message.code)
            case _:
                raise RelayUnreachable(f"{self.relay} did not answer as a relay")

    def _offer(self, session: SessionStatus) -> None:
        """Our SPAKE2 message for each room whose first seat is free, first in the outbox
        (after a drop, in place of any still queued: the relay takes the latest)."""
        pakes = [
            self._checks[room.number].offer()
            for room in session.rooms
            if room.names[0] is None and room.number in self._checks
        ]
        rest = [m for m in self._outbox if not isinstance(m, KeyExchange)]
        self._outbox = deque([*pakes, *rest])

    def _take(self, message: ServerMessage) -> None:
        if isinstance(message, PartnerKey):
            check = self._checks.get(message.number) if message.number is not None else None
            if check is not None:
                self._outbox.extend(check.take(message.step, message.payload).send)
        elif isinstance(message, TurnPlayed):
            self.played[message.number, message.index] = message
        elif isinstance(message, RoomsAdded):
            self._outputs.append(self._made(message))
        elif isinstance(message, SessionStatus | RoomStatus | ClockStatus | Error):
            self._outputs.append(message)

    def _made(self, added: RoomsAdded) -> RoomsMade:
        """New rooms: a code for each (the relay routes by the number and never learns the
        words), and our SPAKE2 message to check its first joiner."""
        codes = {row.number: f"{row.number}-{new_words()}" for row in added.rooms}
        for number, code in codes.items():
            check = JoinerCheck(code, number, Seat.B, numbered=True)
            self._checks[number] = check
            self._outbox.append(check.offer())
        return RoomsMade(added.rooms, codes)
