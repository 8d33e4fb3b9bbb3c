"""End-to-end encryption of the words partners type: the relay forwards them, never reads them.

- **Key agreement.** SPAKE2 (the symmetric form, as magic-wormhole uses it) with the whole
  code (`7-amber-harbor`) as the password and the room number as the identity. The relay
  only forwards the two SPAKE2 messages, which let nobody test guesses offline: a wrong
  code costs one online try.
- **Key confirmation.** The joiner sends a proof derived from the key; the seated side
  checks it, and only if it matched answers with its own proof, which the joiner checks. A
  wrong code shows as `CodeMismatch`, and reveals nothing else. Each side's SPAKE2 message
  is used for one exchange only.
- **Sealing.** ChaCha20-Poly1305 with one key per direction, both from HKDF-SHA256 over the
  SPAKE2 key. Each sealed message carries its counter, which is also its nonce; a counter
  opened before is a replay and is refused, and so is a message altered on the way. A
  message is words, or a receipt that names the counter of words opened, so the sender
  knows they arrived.
- **Keeping a session.** `Channel.state()` is what a seat needs to read on after a crash (the
  two keys and the counters; never the code's words or any plaintext); `reciprocity.kept`
  writes it where only its owner can read it.
"""

from __future__ import annotations

import base64
import hmac
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from spake2 import SPAKE2_Symmetric  # type: ignore[import-untyped]

from reciprocity import ReciprocityError
from reciprocity.engine import Seat
from reciprocity.net.connection import fit_words
from reciprocity.protocol import PROTOCOL_VERSION

#: Bound into every key, so keys made for another protocol or version never match.
LABEL = f"reciprocity/{PROTOCOL_VERSION}".encode()
#: The message both partners see when their codes differ.
CODE_MISMATCH = "the code didn't match \N{EM DASH} check it with your partner"

_COUNTER = 8
#: Counters in a kept session stay below this, so that `skip_ahead` always has room.
_KEPT_COUNTERS = 2**63
_KEY = 32
_NONCE_PAD = b"\0" * 4
#: The first byte of what is sealed: words, or a receipt for the partner's words.
_WORDS, _RECEIPT = b"w", b"r"
#: Counters opened out of order that a channel remembers above `opened`.
_SEEN = 256


class CodeMismatch(ReciprocityError):
    """The partners' codes differ: the key exchange gave them different keys."""

    def __init__(self) -> None:
        super().__init__(CODE_MISMATCH)


class Unreadable(ReciprocityError):
    """Sealed words that were altered on the way, or sealed with another key."""


class Replayed(ReciprocityError):
    """A sealed message opened before: sent again, or replayed by someone on the way."""

    def __init__(self, counter: int, *, words: bool) -> None:
        super().__init__("these words arrived before")
        self.counter = counter
        #: Words (to be answered with a receipt again), not a receipt.
        self.words = words


def _encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _decode(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except ValueError:
        raise Unreadable("not sealed words") from None


def _derive(key: bytes, number: int, purpose: str) -> bytes:
    info = LABEL + f" room {number} {purpose}".encode()
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(key)


class Handshake:
    """One seat's side of the key exchange for a room's code.

    `message` is this seat's SPAKE2 message, sent to the partner through the relay. Use it
    for one exchange only: a seated side starts a new `Handshake` for each joiner.
    """

    def __init__(
        self, code: str, number: int, entropy: Callable[[int], bytes] = os.urandom
    ) -> None:
        self.number = number
        identity = LABEL + f" room {number}".encode()
        spake = SPAKE2_Symmetric(code.encode(), idSymmetric=identity, entropy_f=entropy)
        self.message = _encode(spake.start())
        self._started: bytes = spake.serialize()

    def keys(self, seat: Seat, partner_message: str) -> Keys:
        """The keys shared with the partner whose SPAKE2 message this is.

        A malformed (or reflected) message can never give the partner's keys, so it raises
        `CodeMismatch` too.
        """
        spake = SPAKE2_Symmetric.from_serialized(self._started)
        try:
            key: bytes = spake.finish(_decode(partner_message))
        except Exception:  # spake2 raises assorted errors on bad points and sides
            raise CodeMismatch() from None
        return Keys.derive(key, seat, self.number)


@dataclass(frozen=True, slots=True)
class Keys:
    """What one seat derives from the SPAKE2 key: its proof, and the two directions' keys."""

    seat: Seat
    number: int
    proof: str
    expected: str
    send: bytes
    receive: bytes

    @classmethod
    def derive(cls, key: bytes, seat: Seat, number: int) -> Keys:
        """Each seat's proof and words key, read from `seat`'s side."""

        def proof(who: Seat) -> str:
            return _encode(_derive(key, number, f"confirm {who.value}"))

        return cls(
            seat=seat,
            number=number,
            proof=proof(seat),
            expected=proof(seat.other),
            send=_derive(key, number, f"words from {seat.value}"),
            receive=_derive(key, number, f"words from {seat.other.value}"),
        )

    def confirm(self, partner_proof: str) -> Channel:
        """The sealed channel, if the partner's proof shows the same key; else `CodeMismatch`."""
        if not hmac.compare_digest(partner_proof.encode(), self.expected.encode()):
            raise CodeMismatch()
        return Channel(self.seat, self.number, self.send, self.receive)


@dataclass(frozen=True, slots=True)
class Opened:
    """What the partner sealed: words, or a receipt for words of ours they opened."""

    #: The message's counter, which a receipt for it names.
    counter: int
    words: str | None = None
    #: The counter of our words the partner opened (a receipt), if this is one.
    receipt: int | None = None


@dataclass(slots=True)
class Channel:
    """Sealed messages between the two seats: seal what this seat says, open what the partner
    says. A message is words, or a receipt for words opened, so that a sender knows.

    `sent` is the counter of the last message sealed. Every counter at or below `opened` has
    been opened (or is too old to be), and so has every counter in `seen`: each opens once,
    whatever order they arrive in. A counter is never used twice with one key, which is why
    a kept session must be saved after each `seal`, before the sealed message goes out.
    """

    seat: Seat
    number: int
    send_key: bytes
    receive_key: bytes
    sent: int = 0
    opened: int = 0
    seen: set[int] = field(default_factory=set)

    def seal(self, text: str) -> str:
        """The words, sealed for the partner (cut to `MAX_WORDS` characters first); their
        counter is `sent` afterwards."""
        return self._seal(_WORDS + fit_words(text).encode())

    def receipt(self, counter: int) -> str:
        """A receipt, sealed for the partner, for their message `counter` opened here."""
        return self._seal(_RECEIPT + counter.to_bytes(_COUNTER, "big"))

    def open(self, payload: str) -> Opened:
        """The partner's message; raises `Unreadable` (altered) or `Replayed` (seen before)."""
        data = _decode(payload)
        counter, sealed = data[:_COUNTER], data[_COUNTER:]
        box = ChaCha20Poly1305(self.receive_key)
        try:
            plain = box.decrypt(_NONCE_PAD + counter, sealed, self._about(self.seat.other))
        except (InvalidTag, ValueError):
            raise Unreadable("these words were altered on the way") from None
        number = int.from_bytes(counter, "big")
        kind, body = plain[:1], plain[1:]
        if number <= self.opened or number in self.seen:
            raise Replayed(number, words=kind == _WORDS)
        if kind == _RECEIPT and len(body) == _COUNTER:
            opened = Opened(number, receipt=int.from_bytes(body, "big"))
        elif kind == _WORDS:
            opened = Opened(number, words=body.decode(errors="replace"))
        else:
            raise Unreadable("these words were sealed by another version")
        self._mark(number)
        return opened

    def skip_ahead(self) -> None:
        """Move the send counter a long random way on, as after reading a kept session: a copy
        of the same file resumed elsewhere then never seals with a counter this one uses."""
        self.sent += secrets.randbits(40) + 2**40

    def _seal(self, plain: bytes) -> str:
        self.sent += 1
        counter = self.sent.to_bytes(_COUNTER, "big")
        box = ChaCha20Poly1305(self.send_key)
        return _encode(counter + box.encrypt(_NONCE_PAD + counter, plain, self._about(self.seat)))

    def _mark(self, number: int) -> None:
        """Remember an opened counter, keeping at most `_SEEN` above `opened`."""
        self.seen.add(number)
        while self.opened + 1 in self.seen:
            self.opened += 1
            self.seen.discard(self.opened)
        while len(self.seen) > _SEEN:
            oldest = min(self.seen)
            self.seen.discard(oldest)
            self.opened = oldest
        while self.opened + 1 in self.seen:
            self.opened += 1
            self.seen.discard(self.opened)

    def _about(self, sender: Seat) -> bytes:
        return LABEL + f" room {self.number} words from {sender.value}".encode()

    def state(self) -> dict[str, Any]:
        """What a kept session holds of the channel (keys and counters; never words)."""
        return {
            "seat": self.seat.value,
            "number": self.number,
            "send_key": _encode(self.send_key),
            "receive_key": _encode(self.receive_key),
            "sent": self.sent,
            "opened": self.opened,
            "seen": sorted(self.seen),
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Channel:
        """The channel a kept session held; raises `ValueError` if it cannot be one."""
        try:
            keys = _decode(state["send_key"]), _decode(state["receive_key"])
        except Unreadable:
            raise ValueError("a key is damaged") from None
        counters = int(state["sent"]), int(state["opened"])
        seen = {int(counter) for counter in state.get("seen", ())}
        if any(len(key) != _KEY for key in keys):
            raise ValueError("a key is damaged")
        if not all(0 <= counter < _KEPT_COUNTERS for counter in (*counters, *seen)):
            raise ValueError("a counter is damaged")
        if len(seen) > _SEEN:
            raise ValueError("too many counters")
        return cls(Seat(state["seat"]), int(state["number"]), *keys, *counters, seen)
