"""The connection for two partners at one keyboard: a room in this process, no network."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from reciprocity.engine import Command, IllegalMove, Seat
from reciprocity.net.connection import (
    Connection,
    Deliver,
    Rejected,
    Update,
    ViewChanged,
    WordsArrived,
    fit_words,
)
from reciprocity.records.store import StoreError

if TYPE_CHECKING:
    from reciprocity.game.room import Room


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
        text = fit_words(text)
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
