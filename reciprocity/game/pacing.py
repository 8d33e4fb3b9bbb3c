"""The session's clock in words: the dashboard's pacing line, and a player's time in the set.

The clock itself is the relay's (`reciprocity_server.clock`); this only says what it says.
`left` is always the seconds left now, counted down on the screen since the relay sent them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reciprocity.pacing_wire import ClockStatus, SetTime

#: Seconds left in a set when the players get a calm notice.
NOTICE_SECONDS = 120


def mm_ss(seconds: float) -> str:
    """`14:57`: minutes and seconds, rounded up, so that 0:00 is the moment itself."""
    minutes, rest = divmod(int(seconds + 0.999), 60)
    return f"{minutes}:{rest:02d}"


def level_length(seconds: float) -> str:
    """A level's length as an adjective: `15-minute`, or `20-second` for a short test pace."""
    if seconds >= 60 and seconds % 60 == 0:
        return f"{int(seconds // 60)}-minute"
    return f"{seconds:g}-second"


#: The dashboard's line once the session has ended, with or without a clock.
SESSION_ENDED = "The session has ended: x exports the totals, q quits."


def pacing_line(clock: ClockStatus, left: float | None) -> str:
    """The dashboard's line about the clock, at most two lines of an 80-column screen."""
    line = f"Level {clock.open_level} of {clock.depth} open to everyone"
    last = clock.open_level >= clock.depth
    if clock.state == "ended":
        return SESSION_ENDED
    if clock.state == "none" or clock.seconds is None:
        return f"{line}: all levels are open." if last else f"{line}. n opens the next."
    if clock.state == "waiting":
        by_itself = " or once every pair is seated" if clock.auto_start else ""
        return f"{line}. The {level_length(clock.seconds)} clock starts with s{by_itself}."
    when = mm_ss(left or 0.0)
    step = "the session ends" if last else f"level {clock.open_level + 1} opens"
    if clock.state == "held":
        return f"{line}. Held: {step} {when} after h."
    if clock.state == "paused":
        return f"{line}. While all are paused, the clock stands at {when}."
    moving = " and every pair moves on" if clock.moves and not last else ""
    return f"{line}. In {when}, {step}{moving}."


def set_line(clock: SetTime, left: float) -> str:
    """A player's line about the time left in the set."""
    what = "the last set" if clock.last else "this set"
    line = f"Time left in {what}: {mm_ss(left)}"
    return line if clock.running else f"{line} (the clock is paused)"


def notice_line(clock: SetTime) -> str:
    """The calm notice at two minutes left."""
    what = "in the session" if clock.last else "in this set"
    return f"Two minutes left {what}. No rush: finish the turn you are on."
