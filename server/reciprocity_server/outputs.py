"""What the relay's core asks its shell to do (`Send`, `Close`), and the errors it replies with.

Each module of the core keeps the errors of its own job; the ones here are shared.
"""

from __future__ import annotations

from dataclasses import dataclass

from reciprocity.protocol import SERVER, Error, ErrorCode, ServerMessage

#: Close codes: a policy violation, an expired room (and `CLOSE_REPLACED`, in the protocol).
CLOSE_POLICY = 1008
CLOSE_EXPIRED = 1001
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
