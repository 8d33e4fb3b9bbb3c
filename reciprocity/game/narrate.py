"""Where events become words: kind sentences for the screens, and plain lines for logs.

`notice` is what both screens show after a command; `log_lines` is what a relay's log says
about events: outcomes only, never names, limits or words.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from reciprocity.engine import (
    CardPassed,
    Command,
    Event,
    FacilitatorCommand,
    Felt,
    GameEnded,
    GameFinished,
    GameStarted,
    GameState,
    Held,
    LevelChanged,
    LevelOpened,
    Outcome,
    Pass,
    Paused,
    Phase,
    Released,
    Resumed,
    Seat,
    TurnEnded,
)


def notice(
    before: GameState,
    after: GameState,
    command: Command | FacilitatorCommand,
    events: Sequence[Event],
) -> str | None:
    """One kind sentence about what just happened, for both screens; None if nothing to say."""
    lines: list[str] = []
    for event in events:
        match event:
            case GameStarted():
                lines.append(f"{after.name(after.sharer)} draws the first card.")
            case CardPassed(seat=seat) if isinstance(command, Pass):
                lines.append(f"{after.name(seat)} passed. A pass is always free.")
            case CardPassed():
                lines.append("That card was set aside, to keep within what you both chose.")
            case TurnEnded(sharer=sharer, outcome=outcome, felt=felt, level=level):
                lighter = outcome.counts_toward_depth and level < before.level
                lines.append(outcome_line(after, sharer, outcome, felt, lighter=lighter))
            case LevelChanged(level=level, reason="deeper"):
                lines.append(f"Level {level} is open: you have both been met with support.")
            case LevelChanged(level=level, reason="unrepaired"):
                lines.append(f"You are at level {level} again. Take it gently.")
            case LevelChanged(level=level, reason="limit"):
                lines.append(f"You are playing up to level {level} now.")
            case LevelChanged(level=level, reason="clock"):
                lines.append(f"Time for the next set: you are at level {level} now.")
            case Paused(seat=seat):
                lines.append(f"{after.name(seat)} asked for a pause.")
            case Resumed():
                lines.append("Welcome back.")
            case GameEnded(seat=seat, partner_away=True) if seat is not None:
                away = after.name(seat.other)
                lines.append(f"{after.name(seat)} closed the game while {away} was away.")
            case GameEnded(seat=seat) if seat is not None:
                lines.append(f"{after.name(seat)} ended the game. Thank you both.")
            case GameEnded():
                lines.append("Your facilitator has closed the session. Thank you both.")
            case LevelOpened(level=level) if after.moving_to == level:
                lines.append(f"Level {level} is open: you move there when this turn ends.")
            case LevelOpened(level=level) if level <= after.ceiling and level > 1:
                lines.append(f"Level {level} is open to everyone now.")
            case Held():
                lines.append("Your facilitator has paused everyone. Take a breath together.")
            case Released():
                lines.append("Your facilitator has let everyone go on.")
    if not lines and after.ceiling != before.ceiling and after.phase is not Phase.SETUP:
        lines.append(f"You are playing up to level {after.ceiling} now.")
    return " ".join(lines) or None


#: Said when a turn on a lighter card (drawn after a pass) lands well.
LIGHTER_CARD = "It was a lighter card, so it does not count toward going deeper."


def outcome_line(
    state: GameState,
    sharer: Seat,
    outcome: Outcome,
    felt: frozenset[str],
    *,
    lighter: bool = False,
) -> str:
    """How a turn ended, in one sentence naming the partners; a turn on a `lighter` card
    (below the pair's level) says it does not count toward going deeper."""
    name, other = state.name(sharer), state.name(sharer.other)
    if outcome is Outcome.SUPPORTED:
        how = ", ".join(f.replace("_", " ") for f in Felt if f in felt)
        line = f"{name} felt supported" + (f": {how}." if how else ".")
        return f"{line} {LIGHTER_CARD}" if lighter else line
    if outcome is Outcome.REPAIRED:
        if lighter:
            return f"{name} forgave {other}. You both took a risk. {LIGHTER_CARD}"
        return f"{name} forgave {other}. You both took a risk: a bonus step for each of you."
    if outcome is Outcome.NOT_YET:
        return f"{name} is not ready to forgive yet, and that is all right. A pause may help."
    return f"{other} let it go without a repair."


def log_lines(events: Iterable[Event]) -> list[str]:
    """What a log says about events: outcomes only, never names, limits or words."""
    lines = []
    for event in events:
        match event:
            case GameStarted():
                lines.append("game started")
            case CardPassed():
                lines.append(f"card passed at level {event.level}")
            case TurnEnded(outcome=outcome, level=level):
                lines.append(f"turn ended {outcome} at level {level}")
            case LevelChanged(level=level, reason=reason):
                lines.append(f"level {level} ({reason})")
            case Paused():
                lines.append("paused")
            case Resumed():
                lines.append("play resumed")
            case GameEnded(partner_away=True):
                lines.append("game ended with the partner away")
            case GameEnded():
                lines.append("game ended")
            case GameFinished():
                lines.append("game finished")
    return lines
