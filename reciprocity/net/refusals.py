"""What a player's core tells the person, each as one line they can act on: a relay's refusal
of a seat, or its closing of one for good, and the core's own notices. No I/O."""

from __future__ import annotations

import re

from reciprocity import ReciprocityError
from reciprocity.net.e2e import CODE_MISMATCH
from reciprocity.protocol import (
    CLOSE_FREED,
    CLOSE_MOVED,
    CLOSE_REPLACED,
    PROTOCOL_VERSION,
    CreateRoom,
    Error,
)

#: What the old screen of a seat taken back with the code says, in the banner and at resume.
SEAT_MOVED = "this seat was taken by another screen with the code, so this one has stopped"
#: What the old screen of a seat the facilitator freed says.
SEAT_FREED = "the facilitator freed this seat for another screen, so this one has stopped"
#: What a screen says when the relay closed its connection for good, by the close code.
STOPPED = {
    CLOSE_REPLACED: "This seat is being played in another window now; this one has stopped.",
    CLOSE_MOVED: ReciprocityError(SEAT_MOVED).sentence,
    CLOSE_FREED: ReciprocityError(SEAT_FREED).sentence,
}

#: What the host's screen says when a joiner's code did not match.
WRONG_GUESS = "Someone tried a code that didn't match \N{EM DASH} check it with your partner."
NOT_SEALED = "Your words cannot be sent until your partner has joined."
DROPPED = "Some words from your partner were dropped: {reason}."
UNKEPT = "This game cannot be kept on this computer ({reason}); it goes on, but cannot come back \
after a crash."
NEW_CODE = "Too many wrong codes were tried, so your game has a new code: {code}. Give your \
partner the new one."
TOO_MANY_WAITING = "These words were not sent: {count} messages are still on their way to \
{partner}. Try again once they have arrived."
MAY_BE_LOST = "{count} of your messages may not have reached {partner}."


def refusal(error: Error, relay: str, code: str | None, opening: object) -> str:
    """Why the relay at `relay` refused the hello for the game `code` (`opening` is what the
    hello asked for: a new room, a join, or nothing for a resume)."""
    code = code or ""
    match error.code:
        case "no_such_room":
            return f"no game has the code {code}; check it with your partner"
        case "room_full" if "are away" in error.message:  # it says "just now" too
            return f"both partners of the game {code} are away; try again when one is back"
        case "room_full" if "just now" in error.message:
            return f"someone is joining the game {code} just now; try again in a minute"
        case "room_full":
            return f"the game {code} already has two partners"
        case "code_mismatch":
            return CODE_MISMATCH
        case "join_again" | "illegal":  # such as a name the same as the partner's
            text = error.message.rstrip(".")
            return f"{text[:1].lower()}{text[1:]}"
        case "unknown_deck" if isinstance(opening, CreateRoom):
            return f"the relay at {relay} does not know the deck '{opening.deck}'"
        case "version":
            return _other_version(error.message, relay)
        case "rate_limited":
            return "too many tries in a short time; wait a minute and try again"
        case "bad_token":
            return "the relay no longer knows this game, so it cannot go on"
        case "seat_moved":
            return SEAT_FREED if "freed" in error.message else SEAT_MOVED
    return f"the relay said: {error.message}"


def _other_version(message: str, relay: str) -> str:
    """A relay that speaks another protocol, in words that say which side to upgrade."""
    found = re.search(r"protocol version (\d+)", message)
    if found is None:
        return f"the relay at {relay} runs another version: {message}"
    theirs = int(found.group(1))
    if theirs < PROTOCOL_VERSION:
        return (
            f"the relay at {relay} runs an older Reciprocity (protocol {theirs}, this "
            f"one speaks {PROTOCOL_VERSION}); ask whoever runs it to upgrade"
        )
    return (
        f"the relay at {relay} needs a newer Reciprocity (protocol {theirs}, this one "
        f"speaks {PROTOCOL_VERSION}); please upgrade Reciprocity"
    )
