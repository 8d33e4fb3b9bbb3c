"""Going deeper between turns: by the usual rule, or on the clock in a facilitated session
whose deck says its levels move.

The usual rule: once each partner has been met with support `advance_after` times at the
pair's level, the pair goes one level deeper, as far as its `reach` allows.

On the clock: when the facilitator's clock opens a level that moves
(`LevelOpened(moves=True)`), each pair moves to it as soon as the turn it is on ends: never
past its `reach` (the lower of the two partners' limits), never while it is paused (by itself
or by the facilitator), and not in the middle of a turn kept after a pass. Until then the
move waits in `GameState.moving_to`. It is dropped once the pair is as deep as it may go
toward it, or when a hurt left unrepaired steps the pair down (`rules.apply`), so that a hurt
or a lowered limit is never undone by a move that waited; the clock's next step moves the
pair on.
Between two steps of the clock the usual rule still takes a pair deeper within what is open.
"""

from __future__ import annotations

from dataclasses import replace

from reciprocity.engine.messages import Event, LevelChanged
from reciprocity.engine.state import GameState, Phase


def keep_move(state: GameState, event: Event) -> GameState:
    """`state` after `event`, without its waiting move once the pair cannot go further toward
    it, or once a hurt left unrepaired has stepped the pair down."""
    target = state.moving_to
    if target is None:
        return state
    stepped_down = isinstance(event, LevelChanged) and event.reason == "unrepaired"
    if stepped_down or min(target, state.reach) <= state.level:
        return replace(state, moving_to=None)
    return state


def clock_move(state: GameState) -> LevelChanged | None:
    """The move the clock asks of the pair now: only between turns, and never while paused."""
    target = state.moving_to
    if target is None or state.phase is not Phase.DRAW or state.passed_this_turn:
        return None
    if state.paused or state.held:
        return None
    level = min(target, state.reach)
    return LevelChanged(level=level, reason="clock") if level > state.level else None


def going_deeper(state: GameState) -> LevelChanged | None:
    """The step deeper the pair takes now, if any: the clock's move first, else the usual rule
    (between turns, both met with support enough times here, and the reach allows it)."""
    moved = clock_move(state)
    if moved is not None or state.phase is not Phase.DRAW:
        return moved
    enough = state.deck.advance_after
    earned = state.a.progress >= enough and state.b.progress >= enough
    if earned and state.level < min(state.reach, state.deck.depth):
        return LevelChanged(level=state.level + 1, reason="deeper")
    return None
