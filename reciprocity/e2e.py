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
  not above the last one opened is a replay and is refused, and so is a message altered on
  the way.
- **Keeping a session.** What a seat needs to resume and read on (the relay's address, the
  room, the resume token, the two keys and the counters; never the code's words or any
  plaintext) can be kept in a file that only its owner can read (mode 0600). A lock beside
  it lets one process at a time play the seat, so no two screens seal with the same key and
  counter.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from spake2 import SPAKE2_Symmetric  # type: ignore[import-untyped]

from reciprocity import ReciprocityError
from reciprocity.engine import Seat
from reciprocity.paths import write_private
from reciprocity.protocol import PROTOCOL_VERSION

#: Bound into every key, so keys made for another protocol or version never match.
LABEL = f"reciprocity/{PROTOCOL_VERSION}".encode()
#: The most bytes of typed words (UTF-8) sealed in one message; the sealed payload stays
#: well under the protocol's payload and frame limits.
MAX_WORDS_BYTES = 8000
#: The message both partners see when their codes differ.
CODE_MISMATCH = "the code didn't match \N{EM DASH} check it with your partner"

_COUNTER = 8
#: Counters in a kept session stay below this, so that `skip_ahead` always has room.
_KEPT_COUNTERS = 2**63
_KEY = 32
_NONCE_PAD = b"\0" * 4


class CodeMismatch(ReciprocityError):
    """The partners' codes differ: the key exchange gave them different keys."""

    def __init__(self) -> None:
        super().__init__(CODE_MISMATCH)


class Unreadable(ReciprocityError):
    """Sealed words that were altered on the way, or sealed with another key."""


class Replayed(ReciprocityError):
    """Sealed words that were opened before (or older than the last ones opened)."""


class SessionInUse(ReciprocityError):
    """Another process here plays the seat of this kept session."""

    def __init__(self) -> None:
        super().__init__("this game is open in another window here; go on playing there")


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


def fit(text: str) -> str:
    """The text, cut (between characters) to at most `MAX_WORDS_BYTES` bytes of UTF-8."""
    return text.encode()[:MAX_WORDS_BYTES].decode(errors="ignore")


class Handshake:
    """One seat's side of the key exchange for a room's code.

    `message` is this seat's SPAKE2 message, sent to the partner through the relay. Use it
    for one exchange only: a seated side starts a new `Handshake` for each joiner.
    """

    def __init__(self, code: str, number: int) -> None:
        self.number = number
        spake = SPAKE2_Symmetric(code.encode(), idSymmetric=LABEL + f" room {number}".encode())
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


@dataclass(slots=True)
class Channel:
    """Sealed words between the two seats: seal what this seat says, open what the partner says.

    `sent` is the counter of the last message sealed, `opened` the highest counter opened.
    A counter is never used twice with one key, which is why a kept session must be saved
    after each `seal`, before the sealed words go out.
    """

    seat: Seat
    number: int
    send_key: bytes
    receive_key: bytes
    sent: int = 0
    opened: int = 0

    def seal(self, text: str) -> str:
        """The words, sealed for the partner (cut to `MAX_WORDS_BYTES` first)."""
        self.sent += 1
        counter = self.sent.to_bytes(_COUNTER, "big")
        box = ChaCha20Poly1305(self.send_key)
        sealed = box.encrypt(_NONCE_PAD + counter, fit(text).encode(), self._about(self.seat))
        return _encode(counter + sealed)

    def open(self, payload: str) -> str:
        """The partner's words; raises `Unreadable` (altered) or `Replayed` (seen before)."""
        data = _decode(payload)
        counter, sealed = data[:_COUNTER], data[_COUNTER:]
        box = ChaCha20Poly1305(self.receive_key)
        try:
            plain = box.decrypt(_NONCE_PAD + counter, sealed, self._about(self.seat.other))
        except (InvalidTag, ValueError):
            raise Unreadable("these words were altered on the way") from None
        number = int.from_bytes(counter, "big")
        if number <= self.opened:
            raise Replayed("these words arrived before")
        self.opened = number
        return plain.decode(errors="replace")

    def skip_ahead(self) -> None:
        """Move the send counter a long random way on, as after reading a kept session: a copy
        of the same file resumed elsewhere then never seals with a counter this one uses."""
        self.sent += secrets.randbits(40) + 2**40

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
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Channel:
        """The channel a kept session held; raises `ValueError` if it cannot be one."""
        try:
            keys = _decode(state["send_key"]), _decode(state["receive_key"])
        except Unreadable:
            raise ValueError("a key is damaged") from None
        counters = int(state["sent"]), int(state["opened"])
        if any(len(key) != _KEY for key in keys):
            raise ValueError("a key is damaged")
        if not all(0 <= counter < _KEPT_COUNTERS for counter in counters):
            raise ValueError("a counter is damaged")
        return cls(Seat(state["seat"]), int(state["number"]), *keys, *counters)


# --- kept sessions ------------------------------------------------------------------------


def session_path(folder: Path, token: str) -> Path:
    """The file that keeps the session of the seat with this resume token."""
    return folder / f"{hashlib.sha256(token.encode()).hexdigest()[:16]}.json"


def save_session(path: Path, session: dict[str, Any]) -> None:
    """Write a session so that only its owner can read it (0600, in a 0700 folder).

    The file is written whole or not at all (`write_private`), so a crash leaves the old one
    or the new one.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.parent.chmod(0o700)
    write_private(path, json.dumps(session))


def lock_session(path: Path) -> int:
    """Hold the session kept at `path` for this process, with a lock beside it; returns the
    lock's descriptor, for `release_session`. Raises `SessionInUse` if another holds it."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path.with_suffix(".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise SessionInUse() from None
    return fd


def release_session(path: Path, lock: int, *, keep: bool = False) -> None:
    """Let the lock go, and remove the kept session and its lock file unless `keep`."""
    try:
        if not keep:
            path.unlink(missing_ok=True)
            path.with_suffix(".lock").unlink(missing_ok=True)
    finally:
        os.close(lock)


def load_session(path: Path) -> dict[str, Any]:
    """A kept session; raises `ReciprocityError` if it cannot be read."""
    try:
        session = json.loads(path.read_text())
    except (OSError, ValueError, RecursionError) as error:
        raise ReciprocityError(f"cannot read the saved game {path}: {error}") from None
    if not isinstance(session, dict):
        raise ReciprocityError(f"cannot read the saved game {path}: not a saved game")
    return session
