"""What the relay's core asks its shell to do (`Send`, `Close`), and the errors it replies with.

Each module of the core keeps the errors of its own job; the ones here are shared.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from reciprocity.protocol import SERVER, Error, ErrorCode, LoggedEvent, Record, ServerMessage
from reciprocity.records.store import StoreError
from reciprocity_server.storage import RelayRecords

log = logging.getLogger("reciprocity_server")

#: Close codes: a policy violation, an expired room (and `CLOSE_REPLACED`, in the protocol).
CLOSE_POLICY = 1008
CLOSE_EXPIRED = 1001
#: The largest record sent, in bytes: a client takes frames up to 1 MiB.
RECORD_BYTES = 1_000_000
#: What a player is told when the records could not take a change.
NOT_SAVED = "The relay could not save that. Please try again."


@dataclass(frozen=True, slots=True)
class Encoded:
    """A message already encoded as its frame's text: views, whose shared part is encoded once
    for both seats (`views.py`)."""

    text: str

    def decoded(self) -> ServerMessage:
        """The message the text carries."""
        return SERVER.validate_json(self.text)


@dataclass(frozen=True, slots=True)
class Send:
    """Send a message to a connection."""

    conn: int
    message: ServerMessage | Encoded


@dataclass(frozen=True, slots=True)
class Close:
    """Close a connection, after anything already sent to it."""

    conn: int
    code: int
    reason: str


Output = Send | Close


def frame(message: ServerMessage | Encoded) -> str:
    """The text of the frame that carries a message."""
    return message.text if isinstance(message, Encoded) else message.model_dump_json()


def error(code: ErrorCode, message: str, command_id: str | None = None) -> Error:
    """An error reply: a code for programs and a sentence for people."""
    return Error(code=code, message=message, id=command_id)


HELLO_FIRST = error("hello_first", "Please send a hello first.")


def record_sends(
    store: RelayRecords, game_id: str, number: int, conns: Iterable[int]
) -> list[Send]:
    """The finished game's log, as the records keep it, for each player's own history (none
    if the records cannot be read, or the record is too large for a client to take)."""
    try:
        stored = store.load(game_id)
    except StoreError as failure:
        log.error("room %d: %s", number, failure)
        return []
    events = tuple(LoggedEvent(seq=seq, at=at, event=event) for seq, at, event in stored.events)
    record = Record(deck=stored.deck, seed=stored.seed, checkin=stored.checkin, events=events)
    size = len(record.model_dump_json().encode())
    if size > RECORD_BYTES:  # never sent: a client would close on it at every resume
        log.error("room %d: the record is too large to send (%d bytes)", number, size)
        return []
    return [Send(conn, record) for conn in conns]
