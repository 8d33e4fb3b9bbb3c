"""Example tests for facilitated sessions in the engine: the level open to everyone, the
facilitator's hold, and the end of a session. Pacing only ever holds a pair back."""

from __future__ import annotations

import pytest
from conftest import make_deck
from test_engine import SUPPORTED, A, B, assert_readable, illegal, play, run, started, turns

from reciprocity.deck import Deck
from reciprocity.engine import (
    TRANSITIONS,
    Actor,
    CardPassed,
    CheckIn,
    Draw,
    End,
    EndSession,
    FacilitatorCommand,
    GameEnded,
    GameState,
    Held,
    Hold,
    IllegalMove,
    LevelChanged,
    LevelOpened,
    OpenLevel,
    Pause,
    Phase,
    Release,
    Released,
    SetLimit,
    TurnEnded,
    decide_for_facilitator,
    drawable_levels,
    replay,
)
from reciprocity.engine.rules import HELD


def steer(state: GameState, command: FacilitatorCommand) -> GameState:
    """The state after a facilitator's command."""
    return replay(state, decide_for_facilitator(state, command))


def paced(deck: Deck, open_level: int = 1) -> GameState:
    """A started game in a session that has opened the levels up to `open_level`."""
    return steer(started(deck), OpenLevel(level=open_level))


def test_a_pair_never_goes_deeper_than_the_level_open_to_everyone() -> None:
    deck = make_deck(levels=3, cards=12)
    state = turns(paced(deck), *[SUPPORTED] * 6)
    assert state.level == 1 and state.reach == 1 and state.ceiling == 3
    # The pair had earned the next level together: once it is open, they go on to it, and
    # no further than it.
    state = steer(state, OpenLevel(level=2))
    assert state.open_level == 2 and state.level == 2
    state = turns(state, *[SUPPORTED] * 6)
    assert state.level == 2


def test_pacing_never_pushes_a_pair_past_their_own_lower_limit() -> None:
    deck = make_deck(levels=3, cards=12)
    state = steer(started(deck, limits=(1, 3)), OpenLevel(level=3))
    assert state.reach == 1
    state = turns(state, *[SUPPORTED] * 6)
    assert state.level == 1


def test_opening_a_level_moves_no_pair_that_has_not_earned_it() -> None:
    deck = make_deck(levels=3, cards=12)
    state = paced(deck)
    after = decide_for_facilitator(state, OpenLevel(level=3))
    assert after == [LevelOpened(level=3)]


def test_a_pair_already_deeper_is_held_back_to_the_level_open() -> None:
    deck = make_deck(levels=3, cards=12)
    state = turns(started(deck), *[SUPPORTED] * 4)
    assert state.level == 2
    events = decide_for_facilitator(state, OpenLevel(level=1))
    assert events == [LevelOpened(level=1), LevelChanged(level=1, reason="limit")]


def test_the_offer_after_running_out_of_cards_stays_within_the_open_level() -> None:
    deck = make_deck(levels=2, cards=2, advance_after=3)
    state = turns(paced(deck), SUPPORTED, SUPPORTED)
    assert drawable_levels(state) == []
    state = steer(state, OpenLevel(level=2))
    assert drawable_levels(state) == [2]


@pytest.mark.parametrize("level", [0, 4])
def test_only_a_level_of_the_deck_may_be_opened(level: int) -> None:
    with pytest.raises(IllegalMove, match="from 1 to 3"):
        decide_for_facilitator(paced(make_deck()), OpenLevel(level=level))


def test_levels_once_open_stay_open() -> None:
    state = paced(make_deck(), 2)
    with pytest.raises(IllegalMove) as caught:
        decide_for_facilitator(state, OpenLevel(level=2))
    assert str(caught.value) == "Level 2 is open already."
    assert_readable(str(caught.value))


def test_the_hold_stops_play_but_not_a_limit_change_a_pause_or_leaving() -> None:
    deck = make_deck()
    state = steer(paced(deck), Hold())
    assert state.held and not state.paused
    assert illegal(state, A, Draw()) == HELD
    for seat, command in ((B, SetLimit(limit=2)), (A, Pause())):
        play(state, (seat, command))
    ended = play(state, (B, End()))
    assert ended.phase is Phase.CLOSING and not ended.held
    state = steer(state, Release())
    assert not state.held
    assert play(state, (A, Draw())).phase is Phase.SHARE


def test_the_hold_is_not_the_pairs_own_pause() -> None:
    state = steer(paced(make_deck()), Hold())
    with pytest.raises(IllegalMove, match="already"):
        decide_for_facilitator(state, Hold())
    paused = play(state, (A, Pause()))
    # Releasing everyone leaves the pair's own pause alone: it still needs both ready.
    released = steer(paused, Release())
    assert released.paused and not released.held
    assert decide_for_facilitator(paced(make_deck()), Hold()) == [Held()]
    assert decide_for_facilitator(state, Release()) == [Released()]


def test_the_hold_lets_a_pair_still_set_up() -> None:
    from reciprocity.engine import new_game

    state = steer(new_game(make_deck(), 1, checkin=False), Hold())
    state = play(state, *[(A, SetLimit(limit=3))])
    assert state.a.limit == 3


def test_ending_the_session_ends_each_game_from_outside() -> None:
    state = paced(make_deck())
    events = decide_for_facilitator(state, EndSession())
    assert events[0] == GameEnded(seat=None)
    ended = replay(state, events)
    assert ended.phase is Phase.CLOSING and ended.ended_by is None
    with pytest.raises(IllegalMove, match="has ended"):
        decide_for_facilitator(ended, Hold())


def test_a_game_ended_again_in_the_closing_keeps_the_card_of_the_first_end() -> None:
    """The session ends with a card on the table; in the closing a partner who left ends it
    again. The card was dealt once and has no outcome: the game ended while it lay there."""
    state = play(paced(make_deck()), (A, Draw()))
    card = state.card
    assert card is not None
    ended = steer(state, EndSession())
    assert ended.phase is Phase.CLOSING and ended.card is None
    state, log = run(ended, (A, CheckIn(score=5)), (B, End(partner_away=True)))
    assert log[-1] == GameEnded(seat=B, partner_away=True)
    assert state.phase is Phase.CLOSING and state.dealt == {card} and state.card is None
    assert not any(isinstance(e, TurnEnded | CardPassed) for e in log)


def test_the_facilitators_rows_are_in_the_one_table() -> None:
    rows = {row.command: row for row in TRANSITIONS if row.actor is Actor.FACILITATOR}
    assert set(rows) == {OpenLevel, Hold, Release, EndSession}
    assert rows[EndSession].then is Phase.CLOSING
    assert all(rows[kind].then is None for kind in (OpenLevel, Hold, Release))
