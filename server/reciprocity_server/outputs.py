"""What the relay's core asks its shell to do (`Send`, `Close`), and the errors it replies with.

Each module of the core keeps the errors of its own job; the ones here are shared.
"""

from __future__ import annotations

from dataclasses import dataclass

from reciprocity.protocol import Error, ErrorCode, ServerMessage

#: Close codes: a policy violation, an expired room (and `CLOSE_REPLACED`, in the protocol).
CLOSE_POLICY = 1008
CLOSE_EXPIRED = 1001
#: What a player is told when the records could not take a change.
NOT_SAVED = "The relay could not save that. Please try again."


@dataclass(frozen=True, slots=True)
class Send:
    """Send a message to a connection."""

    conn: int
    message: ServerMessage


@dataclass(frozen=True, slots=True)
class Close:
    """Close a connection, after anything already sent to it."""

    conn: int
    code: int
    reason: str


Output = Send | Close


def error(code: ErrorCode, message: str, command_id: str | None = None) -> Error:
    """An error reply: a code for programs and a sentence for people."""
    return Error(code=code, message=message, id=command_id)


HELLO_FIRST = error("hello_first", "Please send a hello first.")
