"""A facilitated session's clock, pure: it takes `now` (seconds since the epoch) as an input.

The clock belongs to the relay, so that the facilitator's program quitting, crashing or
coming back (`reciprocity facilitate --resume`) neither stops nor shifts it: while it runs
it keeps the wall-clock time of its next step (`due_at`), kept in the relay's records with the
session, and the relay's shell ticks it. Each step opens the next level to everyone; after
the last level's time, the session ends, unless the facilitator holds the clock.

It starts when the facilitator says so, or by itself once every pair is seated when the
facilitator asked for a pace at the start (`auto_start`). While held, or while everyone is
paused, it stands still and keeps the seconds it had left (`left`).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from typing import Literal

from reciprocity.pacing_wire import (
    ClockState,
    ClockStatus,
    SetTime,
)

#: What a tick asks of the session: open the next level, end the session, or nothing.
Step = Literal["open", "end"] | None


@dataclass(frozen=True, slots=True)
class SessionClock:
    """The clock of one session. Every change returns a new clock; the relay keeps it."""

    depth: int
    #: A level's length in seconds; None: no clock, levels open when the facilitator says.
    seconds: float | None
    moves: bool = False
    auto_start: bool = False
    open_level: int = 1
    started: bool = False
    held: bool = False
    paused: bool = False
    ended: bool = False
    #: While it runs: when the next step comes, in seconds since the epoch.
    due_at: float | None = None
    #: While it stands still after starting: the seconds it had left.
    left: float | None = None

    @property
    def state(self) -> ClockState:
        """In a word, for the dashboard."""
        if self.ended:
            return "ended"
        if self.seconds is None:
            return "none"
        if not self.started:
            return "waiting"
        return "held" if self.held else "paused" if self.paused else "running"

    def remaining(self, now: float) -> float | None:
        """Seconds to the next step (None before the start, or without a pace)."""
        if self.due_at is not None:
            return max(0.0, self.due_at - now)
        return self.left

    def step(self, now: float) -> Step:
        """What is due now: the next level (`open`), the end of the session (`end`), or None."""
        if self.due_at is None or now < self.due_at or self.ended:
            return None
        return "open" if self.open_level < self.depth else "end"

    def start(self, now: float) -> SessionClock:
        """Start the countdown of the level open now (a no-op once started, or with no pace)."""
        if self.started or self.seconds is None or self.ended:
            return self
        return self._stood(replace(self, started=True, left=self.seconds), now)

    def hold(self, now: float, held: bool) -> SessionClock:
        """Hold the clock where it stands, or let it go on from there."""
        return self._stood(replace(self, held=held), now)

    def pause(self, now: float, paused: bool) -> SessionClock:
        """Everyone is paused (the clock stands still), or may go on."""
        return self._stood(replace(self, paused=paused), now)

    def opened(self, level: int, now: float) -> SessionClock:
        """A level was opened to everyone: a full level's time from now, if it has started."""
        clock = replace(self, open_level=max(level, self.open_level), due_at=None, left=None)
        if clock.started and clock.seconds is not None:
            clock = replace(clock, left=clock.seconds)
        return clock._stood(clock, now)

    def end(self) -> SessionClock:
        """The session has ended: nothing more is due."""
        return replace(self, ended=True, due_at=None, left=None)

    def status(self, now: float) -> ClockStatus:
        """The clock for the dashboard, as of `now`."""
        return ClockStatus(
            state=self.state,
            open_level=self.open_level,
            depth=self.depth,
            seconds=self.seconds,
            left=self.remaining(now) if self.started and not self.ended else None,
            moves=self.moves,
            auto_start=self.auto_start,
        )

    def set_time(self, now: float) -> SetTime | None:
        """The time left in the set, for a player's view; None before the start."""
        left = self.remaining(now)
        if not self.started or self.ended or left is None:
            return None
        running = self.due_at is not None
        return SetTime(left=left, running=running, last=self.open_level >= self.depth)

    def _stood(self, clock: SessionClock, now: float) -> SessionClock:
        """`clock` running (a due time) or standing still (the seconds left), as it should."""
        left = self.remaining(now) if clock.left is None else clock.left
        if not clock.started or clock.ended or left is None:
            return clock
        if clock.held or clock.paused:
            return replace(clock, due_at=None, left=left)
        return replace(clock, due_at=now + left, left=None)

    def dumps(self) -> str:
        """The clock as JSON, for the relay's records."""
        return json.dumps(asdict(self))

    @classmethod
    def loads(cls, text: str) -> SessionClock:
        """A clock from the relay's records."""
        return cls(**json.loads(text))
