"""The facilitator's pacing on the wire: the session's clock as the dashboard sees it, a
player's time left in the set, and the dashboard's requests to pace the session and to add
rooms to it. `reciprocity.protocol` puts them in its unions, with the rest of the wire.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class WireModel(BaseModel):
    """What every message on the wire is built on: frozen, and no field it does not name."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class SetTime(WireModel):
    """The facilitator's clock, as a player sees it: the time left in the level (the set)."""

    #: Seconds left when the view was sent; it counts down only while `running`.
    left: float
    running: bool
    #: The last set: when it runs out, the session ends.
    last: bool


PaceAction = Literal["start", "hold", "go_on", "next"]
#: The most rooms one `add_rooms` may ask for.
MAX_ADDED = 20


class Pace(WireModel):
    """The facilitator's word to the session's clock: start it, hold it, let it go on, or
    open the next level now (the clock's step, brought forward)."""

    type: Literal["pace"] = "pace"
    action: PaceAction


class AddRooms(WireModel):
    """The facilitator asks for more rooms in the session, for pairs who came late."""

    type: Literal["add_rooms"] = "add_rooms"
    count: int = Field(ge=1, le=MAX_ADDED)


ClockState = Literal["none", "waiting", "running", "held", "paused", "ended"]


class ClockStatus(WireModel):
    """The session's clock, for the dashboard: sent with the session and whenever it changes.

    `state`: `none` (no pace: levels open when the facilitator says), `waiting` (not started),
    `running`, `held` (by the facilitator), `paused` (everyone is paused, so it stands still),
    `ended` (the session has ended)."""

    type: Literal["clock"] = "clock"
    state: ClockState
    #: The deepest level open to everyone, and the deck's deepest.
    open_level: int
    depth: int
    #: A level's length in seconds (None without a pace).
    seconds: float | None
    #: Seconds to the clock's next step as the relay sent this (the next level opens, or
    #: after the last level the session ends); None while it waits.
    left: float | None
    #: The deck's levels move on the clock: each pair moves on, within its limits.
    moves: bool
    #: The clock starts by itself once every pair is seated.
    auto_start: bool
