"""The checking side of the key exchange: whoever holds a room's first seat (a host's screen,
a session room's first joiner once seated, or for that first joiner the facilitator's program)
checks whoever joins next, over the room's code. No I/O.

Each joiner's SPAKE2 message meets a fresh handshake of ours, so none of ours is used twice;
the same message again (sent again after a drop) meets the same one. Only a proof that
matches is answered, with our own proof, in `code_checked`.
"""

from __future__ import annotations

from dataclasses import dataclass

from reciprocity.engine import Seat
from reciprocity.net.e2e import Channel, CodeMismatch, Handshake, Keys
from reciprocity.protocol import ClientMessage, CodeChecked, KeyExchange, KeyStep


@dataclass(frozen=True, slots=True)
class Checked:
    """What a joiner's step came to."""

    #: What to send back, in order.
    send: tuple[ClientMessage, ...] = ()
    #: The channel shared with the joiner, once their proof matched.
    channel: Channel | None = None
    #: The joiner's code differs from ours.
    wrong: bool = False
    #: A new joiner began: any earlier one's channel is void.
    new_joiner: bool = False


class JoinerCheck:
    """Checks joiners of room `number` against `code`, playing `seat`. With `numbered`, the
    messages name the room (the facilitator's program checks every room of a session)."""

    def __init__(self, code: str, number: int, seat: Seat, *, numbered: bool = False) -> None:
        self.code, self.number, self.seat = code, number, seat
        self._room = number if numbered else None
        self._handshake = Handshake(code, number)
        self._keys: Keys | None = None
        #: The SPAKE2 message of the joiner being checked.
        self.joiner = ""

    def offer(self) -> KeyExchange:
        """Our SPAKE2 message, for the next joiner."""
        return KeyExchange(step="pake", payload=self._handshake.message, number=self._room)

    def take(self, step: KeyStep, payload: str) -> Checked:
        """A step of the joiner's."""
        if step == "pake":
            if payload == self.joiner:
                return Checked()  # this joiner's exchange is under way already
            handshake, self._handshake = self._handshake, Handshake(self.code, self.number)
            self.joiner = payload
            try:
                self._keys = handshake.keys(self.seat, payload)
            except CodeMismatch:
                return Checked((self.offer(), self._turn_away()), wrong=True, new_joiner=True)
            return Checked((self.offer(),), new_joiner=True)
        if self._keys is None:
            return Checked()  # a proof without a key exchange to check it against
        try:
            channel = self._keys.confirm(payload)
        except CodeMismatch:
            return Checked((self._turn_away(),), wrong=True)
        verdict = CodeChecked(
            matched=True, pake=self.joiner, proof=self._keys.proof, number=self._room
        )
        return Checked((verdict,), channel=channel)

    def _turn_away(self) -> CodeChecked:
        self._keys = None
        return CodeChecked(matched=False, pake=self.joiner, number=self._room)
