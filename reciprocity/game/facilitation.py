"""Facilitated sessions: the pace of the levels and the join line.

`Pacer` is the dashboard's countdown to the next level (with an injectable clock). What the
facilitator takes home is `reciprocity.game.session_export`'s.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from reciprocity import ReciprocityError

#: The most pairs one session may have.
MAX_PAIRS = 200


class FacilitateError(ReciprocityError):
    """A facilitated session cannot start or export as asked: one line a person can act on."""


def join_line(relay: str, code: str = "CODE", *, aloud: bool = False) -> str:
    """The line a pair types to join (CODE standing for their own code, unless given); with
    `aloud`, for pairs sitting together who talk aloud rather than type."""
    return f"reciprocity join {code} --relay {relay}{' --aloud' * aloud}"


# --- pacing -------------------------------------------------------------------------------


class Pacer:
    """The dashboard's pacing: which level is open to everyone, and the countdown to the next.

    With `minutes`, the next level opens on its own when the countdown runs out (as in the
    15-minutes-a-set protocol); holding stops the countdown, and going on starts it afresh.
    While everyone is paused the countdown stands still, and it goes on from there after.
    Without `minutes`, a level opens only when the facilitator says so. `held` starts with the
    countdown stopped, until the facilitator lets it go on (as for a deck's suggested pace).
    `left` starts the countdown with that many seconds left, as when a session resumes.
    """

    def __init__(
        self,
        depth: int,
        open_level: int,
        minutes: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        *,
        held: bool = False,
        left: float | None = None,
    ) -> None:
        self.depth = depth
        self.open_level = open_level
        self.minutes = minutes
        self.clock = clock
        self.held = held or minutes is None
        self.paused = False
        self._due: float | None = None
        #: While paused: the seconds the countdown had left.
        self._left: float | None = None
        self._restart()
        if left is not None and self._due is not None:
            self._due = self.clock() + left

    @property
    def remaining(self) -> float | None:
        """Seconds until the next level opens on its own, or None when nothing will."""
        if self._due is None:
            return self._left
        return max(0.0, self._due - self.clock())

    def set_paused(self, paused: bool) -> None:
        """Stop the countdown where it stands while everyone is paused; go on from there."""
        if paused == self.paused:
            return
        self.paused = paused
        if paused:
            self._left, self._due = self.remaining, None
        elif self._left is not None:
            self._due, self._left = self.clock() + self._left, None

    def due(self) -> bool:
        """True when the countdown has run out and the next level should open now."""
        return self._due is not None and self.clock() >= self._due

    def open_next(self) -> int | None:
        """Open the next level (returns it), or None when every level is open already."""
        if self.open_level >= self.depth:
            return None
        self.open_level += 1
        self._restart()
        return self.open_level

    def toggle_hold(self) -> bool:
        """Hold everyone at the level open now, or go on with the countdown; True if held."""
        if self.minutes is None:
            return True
        self.held = not self.held
        self._restart()
        return self.held

    def describe(self) -> str:
        """One line for the dashboard."""
        line = f"Level {self.open_level} of {self.depth} open to everyone"
        if self.open_level >= self.depth:
            return f"{line}: all levels are open."
        remaining = self.remaining
        if remaining is not None:
            minutes, seconds = divmod(int(remaining + 0.999), 60)
            when = f"{minutes}:{seconds:02d}"
            if self.paused:
                return f"{line}. Level {self.open_level + 1} opens {when} after the pause."
            return f"{line}. Level {self.open_level + 1} opens in {when}."
        if self.minutes is None:
            return f"{line}. The next opens when you press n."
        return f"{line}, held: h runs the {self.minutes:g}-minute countdown, n opens the next."

    def _restart(self) -> None:
        running = not self.held and self.minutes is not None and self.open_level < self.depth
        full = self.minutes * 60 if running and self.minutes else None
        self._due, self._left = None, None
        if full is not None and self.paused:
            self._left = full
        elif full is not None:
            self._due = self.clock() + full
