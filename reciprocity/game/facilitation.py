"""Facilitated sessions: the most pairs, their one error, and the join line.

The session's clock is the relay's (`reciprocity_server.clock`), and `pacing` puts it into
words. What the facilitator takes home is `reciprocity.game.session_export`'s.
"""

from __future__ import annotations

from reciprocity import ReciprocityError

#: The most pairs one session may have.
MAX_PAIRS = 200


class FacilitateError(ReciprocityError):
    """A facilitated session cannot start or export as asked: one line a person can act on."""


def join_line(relay: str, code: str = "CODE", *, aloud: bool = False) -> str:
    """The line a pair types to join (CODE standing for their own code, unless given); with
    `aloud`, for pairs sitting together who talk aloud rather than type."""
    return f"reciprocity join {code} --relay {relay}{' --aloud' * aloud}"
