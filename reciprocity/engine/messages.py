"""Commands (what a seat asks for) and events (what happened).

Both are frozen dataclasses with a `type` tag, so the store and the wire can encode them
with one pydantic `TypeAdapter` each. Neither carries a word that partners type: those travel
beside the game and are never part of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeVar, dataclass_transform

from reciprocity.engine.state import Felt, Outcome, Seat

_T = TypeVar("_T")


@dataclass_transform(frozen_default=True, kw_only_default=True)
def _frozen(cls: type[_T]) -> type[_T]:
    """A frozen, slotted, keyword-only dataclass (spelled so that type checkers see it)."""
    return dataclass(frozen=True, slots=True, kw_only=True)(cls)


# --- Commands --------------------------------------------------------------------------


@_frozen
class Join:
    """Take a seat with a display name."""

    name: str
    type: Literal["join"] = "join"


@_frozen
class SetLimit:
    """Choose, privately, the deepest level and the topics to leave out. Allowed at any time."""

    limit: int
    lines: frozenset[str] = frozenset()
    type: Literal["set_limit"] = "set_limit"


@_frozen
class CheckIn:
    """Place yourself on the closeness circles (1-7), or skip with None. Before and after play."""

    score: int | None
    type: Literal["check_in"] = "check_in"


@_frozen
class Draw:
    """Draw a card: from the current level unless `level` names another level on offer."""

    level: int | None = None
    type: Literal["draw"] = "draw"


@_frozen
class Share:
    """The sharer has shared, typed or aloud."""

    type: Literal["share"] = "share"


@_frozen
class Pass:
    """Pass on this card. Always free; the turn is kept."""

    type: Literal["pass"] = "pass"


@_frozen
class Respond:
    """The listener has responded."""

    type: Literal["respond"] = "respond"


@_frozen
class MarkSupported:
    """The sharer felt supported, and may say how."""

    felt: frozenset[Felt] = frozenset()
    type: Literal["mark_supported"] = "mark_supported"


@_frozen
class MarkStung:
    """The response stung. This opens the repair loop."""

    type: Literal["mark_stung"] = "mark_stung"


@_frozen
class NameHurt:
    """The sharer has said how it felt, or simply that it hurt."""

    type: Literal["name_hurt"] = "name_hurt"


@_frozen
class Repair:
    """The listener has repaired: said what was going on for them, and owned it."""

    type: Literal["repair"] = "repair"


@_frozen
class LetGo:
    """The listener lets it go without a repair."""

    type: Literal["let_go"] = "let_go"


@_frozen
class Forgive:
    """The sharer forgives the repair."""

    type: Literal["forgive"] = "forgive"


@_frozen
class NotYet:
    """The sharer is not ready to forgive. That is respected."""

    type: Literal["not_yet"] = "not_yet"


@_frozen
class Pause:
    """Pause the game for both partners."""

    type: Literal["pause"] = "pause"


@_frozen
class Ready:
    """Ready to go on after a pause. Play resumes when both are ready."""

    type: Literal["ready"] = "ready"


@_frozen
class End:
    """End the game, at any moment, with no questions. `partner_away`: the partner has been
    gone too long to wait for, so the closing does not wait for their check-in (allowed in
    the closing too, for a partner who left before their last check-in)."""

    partner_away: bool = False
    type: Literal["end"] = "end"


# --- A facilitator's commands, for every room of a session at once -----------------------


@_frozen
class OpenLevel:
    """Open the levels up to `level` to everyone. Levels once open stay open. With `moves`
    (a deck whose levels move on the clock), each pair moves there too, within its limits."""

    level: int
    moves: bool = False
    type: Literal["open_level"] = "open_level"


@_frozen
class Hold:
    """The facilitator pauses everyone (apart from a pair's own pause)."""

    type: Literal["hold"] = "hold"


@_frozen
class Release:
    """The facilitator lets everyone go on."""

    type: Literal["release"] = "release"


@_frozen
class EndSession:
    """The facilitator ends the game, as the session closes."""

    type: Literal["end_session"] = "end_session"


FacilitatorCommand = OpenLevel | Hold | Release | EndSession

Command = (
    Join
    | SetLimit
    | CheckIn
    | Draw
    | Share
    | Pass
    | Respond
    | MarkSupported
    | MarkStung
    | NameHurt
    | Repair
    | LetGo
    | Forgive
    | NotYet
    | Pause
    | Ready
    | End
)

# --- Events ----------------------------------------------------------------------------


@_frozen
class Joined:
    """A partner took a seat."""

    seat: Seat
    name: str
    type: Literal["joined"] = "joined"


@_frozen
class LimitSet:
    """A partner chose their limit and lines. Records show it only as 'changed'."""

    seat: Seat
    limit: int
    lines: frozenset[str]
    type: Literal["limit_set"] = "limit_set"


@_frozen
class CheckedIn:
    """A partner placed themselves on the closeness circles (None: skipped)."""

    seat: Seat
    score: int | None
    type: Literal["checked_in"] = "checked_in"


@_frozen
class GameStarted:
    """Both partners are ready; the first turn begins."""

    type: Literal["game_started"] = "game_started"


@_frozen
class CardDealt:
    """The sharer drew a card."""

    seat: Seat
    card: str
    level: int
    type: Literal["card_dealt"] = "card_dealt"


@_frozen
class CardPassed:
    """The sharer passed on the card; its outcome is `passed`, and the turn is kept."""

    seat: Seat
    card: str
    level: int
    type: Literal["card_passed"] = "card_passed"


@_frozen
class Shared:
    """The sharer shared."""

    seat: Seat
    type: Literal["shared"] = "shared"


@_frozen
class Responded:
    """The listener responded."""

    seat: Seat
    type: Literal["responded"] = "responded"


@_frozen
class Stung:
    """The response stung the sharer."""

    seat: Seat
    type: Literal["stung"] = "stung"


@_frozen
class HurtNamed:
    """The sharer named the hurt."""

    seat: Seat
    type: Literal["hurt_named"] = "hurt_named"


@_frozen
class Repaired:
    """The listener repaired."""

    seat: Seat
    type: Literal["repaired"] = "repaired"


@_frozen
class TurnEnded:
    """A share's turn ended with an outcome; the roles swap."""

    sharer: Seat
    card: str
    level: int
    outcome: Outcome
    felt: frozenset[Felt] = frozenset()
    type: Literal["turn_ended"] = "turn_ended"


@_frozen
class LevelChanged:
    """The pair's level changed: deeper together, down after a hurt, down to a new limit, or
    on to the level the facilitator's clock opened."""

    level: int
    reason: Literal["deeper", "unrepaired", "limit", "clock"]
    type: Literal["level_changed"] = "level_changed"


@_frozen
class Paused:
    """A partner paused the game."""

    seat: Seat
    type: Literal["paused"] = "paused"


@_frozen
class MarkedReady:
    """A partner is ready to go on."""

    seat: Seat
    type: Literal["marked_ready"] = "marked_ready"


@_frozen
class Resumed:
    """Both partners were ready; play goes on."""

    type: Literal["resumed"] = "resumed"


@_frozen
class GameEnded:
    """A partner ended the game (None: ended from outside, such as by a facilitator);
    `partner_away`: while the other partner was gone, so only the one here closes."""

    seat: Seat | None
    partner_away: bool = False
    type: Literal["game_ended"] = "game_ended"


@_frozen
class LevelOpened:
    """The facilitator opened the levels up to `level` to everyone; with `moves`, each pair
    moves there as soon as its turn ends (`engine.pacing`)."""

    level: int
    moves: bool = False
    type: Literal["level_opened"] = "level_opened"


@_frozen
class Held:
    """The facilitator paused everyone."""

    type: Literal["held"] = "held"


@_frozen
class Released:
    """The facilitator let everyone go on."""

    type: Literal["released"] = "released"


@_frozen
class GameFinished:
    """The closing check-in is done; nothing more can happen."""

    type: Literal["game_finished"] = "game_finished"


Event = (
    Joined
    | LimitSet
    | CheckedIn
    | GameStarted
    | CardDealt
    | CardPassed
    | Shared
    | Responded
    | Stung
    | HurtNamed
    | Repaired
    | TurnEnded
    | LevelChanged
    | Paused
    | MarkedReady
    | Resumed
    | GameEnded
    | GameFinished
    | LevelOpened
    | Held
    | Released
)
