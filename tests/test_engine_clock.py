"""Levels that move on the clock (Aron et al. 1997: every pair moves to the next set after
fifteen minutes), as the engine's rule: each pair moves to a level the clock opens as soon as
its turn ends, never past the lower of the two limits, never while paused."""

from __future__ import annotations

from conftest import make_deck
from hypothesis import given
from hypothesis import strategies as st
from test_engine import SUPPORTED, UNREPAIRED, A, B, play, started, turn_moves, turns
from test_engine_facilitated import paced, steer

from reciprocity.engine import (
    CheckIn,
    Draw,
    GameState,
    Hold,
    Join,
    LevelChanged,
    LevelOpened,
    OpenLevel,
    Outcome,
    Pass,
    Pause,
    Phase,
    Ready,
    Release,
    Released,
    SetLimit,
    decide,
    decide_for_facilitator,
    new_game,
    replay,
)
from reciprocity.game.narrate import notice

DECK = make_deck(levels=3, cards=12)


def clock(state: GameState, level: int) -> GameState:
    """The state after the clock opens `level`, moving everyone."""
    return steer(state, OpenLevel(level=level, moves=True))


def mid_turn(state: GameState) -> GameState:
    """The sharer has drawn a card and shared it; the listener is to respond."""
    return play(state, *turn_moves(state, SUPPORTED)[:2])


def test_between_turns_a_pair_moves_at_once_without_having_earned_it() -> None:
    state = paced(DECK)
    events = decide_for_facilitator(state, OpenLevel(level=2, moves=True))
    assert events == [LevelOpened(level=2, moves=True), LevelChanged(level=2, reason="clock")]


def test_in_the_middle_of_a_turn_the_pair_moves_when_the_turn_ends() -> None:
    state = clock(mid_turn(paced(DECK)), 2)
    assert state.level == 1 and state.moving_to == 2
    state = play(state, *turn_moves(state, SUPPORTED)[2:])
    assert state.level == 2 and state.moving_to is None
    assert state.phase is Phase.DRAW and (state.a.progress, state.b.progress) == (0, 0)


def test_a_move_never_passes_the_lower_limit() -> None:
    state = clock(steer(started(DECK, limits=(3, 2)), OpenLevel(level=1)), 3)
    assert state.level == 2 and state.open_level == 3
    state = clock(steer(started(DECK, limits=(1, 3)), OpenLevel(level=1)), 3)
    assert state.level == 1 and state.moving_to is None


def test_no_move_while_the_pair_is_paused_and_it_comes_when_both_are_ready() -> None:
    state = clock(play(paced(DECK), (A, Pause())), 2)
    assert state.level == 1 and state.moving_to == 2
    state = play(state, (A, Ready()), (B, Ready()))
    assert state.level == 2


def test_no_move_while_the_facilitator_holds_everyone() -> None:
    state = clock(steer(paced(DECK), Hold()), 2)
    assert state.level == 1
    assert steer(state, Release()).level == 2


def test_a_pass_keeps_the_turn_so_the_move_waits_for_its_end() -> None:
    state = play(paced(DECK), (A, Draw()), (A, Pass()))
    state = clock(state, 2)
    assert state.phase is Phase.DRAW and state.level == 1
    state = play(state, *turn_moves(state, SUPPORTED))
    assert state.level == 2


def test_a_move_that_the_limit_stopped_does_not_undo_a_later_hurt() -> None:
    state = clock(steer(started(DECK, limits=(2, 3)), OpenLevel(level=1)), 2)
    state = clock(state, 3)  # the pair is as deep as it may go: nothing waits
    assert state.level == 2 and state.moving_to is None
    state = turns(state, UNREPAIRED)
    assert state.level == 1
    state = turns(state, SUPPORTED)
    assert state.level == 1


def test_a_hurt_left_unrepaired_in_the_turn_the_clock_opened_is_not_undone_by_the_move() -> None:
    """GAME.md: a hurt left unrepaired steps the pair down one level. A move that waited for
    that turn's end does not lift them straight back; the clock's next step moves them on."""
    deep = make_deck(levels=4, cards=12)
    state = clock(steer(started(deep), OpenLevel(level=1)), 2)
    assert state.level == 2
    state = clock(mid_turn(state), 3)
    *moves, (seat, let_go) = turn_moves(state, UNREPAIRED)[2:]
    state = play(state, *moves)
    events = decide(state, seat, let_go)
    assert [e for e in events if isinstance(e, LevelChanged)] == [
        LevelChanged(level=1, reason="unrepaired")
    ]
    state = replay(state, events)
    assert state.level == 1 and state.moving_to is None
    state = turns(state, SUPPORTED)
    assert state.level == 1
    assert clock(state, 4).level == 4


def test_a_hurt_left_unrepaired_at_level_one_drops_the_waiting_move_too() -> None:
    state = clock(mid_turn(paced(DECK)), 2)
    state = play(state, *turn_moves(state, UNREPAIRED)[2:])
    assert state.level == 1 and state.moving_to is None


def test_the_release_makes_only_the_move_that_waited_for_it() -> None:
    """Released, a pair makes the clock's move that the hold kept waiting, to the lower limit
    at most; a release with no move waiting moves no one."""
    held = steer(steer(started(DECK, limits=(2, 3)), OpenLevel(level=1)), Hold())
    state = clock(held, 3)
    assert state.level == 1 and state.moving_to == 3
    events = decide_for_facilitator(state, Release())
    assert events == [Released(), LevelChanged(level=2, reason="clock")]
    assert replay(state, events).moving_to is None
    assert decide_for_facilitator(held, Release()) == [Released()]


def test_between_steps_the_usual_rule_goes_deeper_within_what_is_open() -> None:
    state = clock(paced(DECK), 3)
    assert state.level == 3
    state = clock(steer(started(DECK), OpenLevel(level=1)), 2)
    state = steer(state, OpenLevel(level=3))  # opened by hand: allows, does not move
    assert state.level == 2
    assert turns(state, *[SUPPORTED] * 4).level == 3


def test_a_pair_that_starts_late_starts_at_the_level_the_clock_reached() -> None:
    state = steer(new_game(DECK, seed=3), OpenLevel(level=2, moves=True))
    state = play(
        state,
        (A, Join(name="Ana")),
        (B, Join(name="Ben")),
        (A, SetLimit(limit=3)),
        (B, SetLimit(limit=3)),
        (A, CheckIn(score=3)),
        (B, CheckIn(score=4)),
    )
    assert state.phase is Phase.DRAW and state.level == 2
    state = play(state, (A, Draw()))
    assert state.card_level == 2


def test_the_pair_is_told_in_words() -> None:
    before = mid_turn(paced(DECK))
    command = OpenLevel(level=2, moves=True)
    opened = decide_for_facilitator(before, command)
    after = replay(before, opened)
    said = notice(before, after, command, opened)
    assert said == "Level 2 is open: you move there when this turn ends."
    *moves, (seat, last) = turn_moves(after, SUPPORTED)[2:]
    state = play(after, *moves)
    events = decide(state, seat, last)
    assert "you are at level 2 now" in (notice(state, replay(state, events), last, events) or "")


@given(
    limits=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    opened=st.integers(2, 3),
    outcomes=st.lists(st.sampled_from([SUPPORTED, UNREPAIRED, Outcome.REPAIRED]), max_size=3),
)
def test_after_a_turn_ends_the_pair_is_where_the_clock_and_its_limits_say(
    limits: tuple[int, int], opened: int, outcomes: list[Outcome]
) -> None:
    """Whatever the limits, and whatever the turn before: once the turn the clock opened a
    level in has ended, the pair is at that level or at the lower limit, never deeper."""
    state = turns(steer(started(DECK, limits=limits), OpenLevel(level=1)), *outcomes)
    state = clock(mid_turn(state), opened)
    state = play(state, *turn_moves(state, SUPPORTED)[2:])
    assert state.level == min(opened, *limits)
