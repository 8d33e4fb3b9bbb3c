"""Example tests for the engine: every rule of GAME.md, as the engine implements it."""

from __future__ import annotations

import copy

import pytest
from conftest import make_deck

from reciprocity.deck import Card, Deck, Level
from reciprocity.engine import (
    IN_PLAY,
    TRANSITIONS,
    Actor,
    CardDealt,
    CardPassed,
    CheckedIn,
    CheckIn,
    Command,
    Draw,
    End,
    Event,
    Felt,
    Forgive,
    GameEnded,
    GameFinished,
    GameStarted,
    GameState,
    HurtNamed,
    IllegalMove,
    Join,
    Joined,
    LetGo,
    LevelChanged,
    LimitSet,
    MarkedReady,
    MarkStung,
    MarkSupported,
    NameHurt,
    NotYet,
    Outcome,
    Pass,
    Pause,
    Paused,
    Phase,
    Ready,
    Repair,
    Repaired,
    Respond,
    Responded,
    Resumed,
    Seat,
    SetLimit,
    Share,
    Shared,
    Stung,
    TurnEnded,
    apply,
    decide,
    drawable_levels,
    new_game,
    replay,
)

A, B = Seat.A, Seat.B
Move = tuple[Seat, Command]

# --- helpers ---------------------------------------------------------------------------


def run(state: GameState, *moves: Move) -> tuple[GameState, list[Event]]:
    """Play moves in order; the final state and every event they caused."""
    log: list[Event] = []
    for seat, command in moves:
        events = decide(state, seat, command)
        state = replay(state, events)
        log.extend(events)
    return state, log


def play(state: GameState, *moves: Move) -> GameState:
    """Play moves in order and return the final state."""
    return run(state, *moves)[0]


def illegal(state: GameState, seat: Seat, command: Command) -> str:
    """The message of the IllegalMove a command raises; also checks it is a readable sentence
    and that nothing changed."""
    before = copy.deepcopy(state)
    with pytest.raises(IllegalMove) as caught:
        decide(state, seat, command)
    message = str(caught.value)
    assert_readable(message)
    assert state == before
    return message


def assert_readable(message: str) -> None:
    """A sentence a person can read: no class names, reprs or traceback-ish text."""
    assert message, "an IllegalMove needs a message"
    assert message[0].isupper(), message
    assert message.endswith("."), message
    for leak in ("IllegalMove", "Traceback", "Error", "Exception", "Phase.", "Seat.", "None"):
        assert leak not in message, message
    for char in "<>{}[]_\n":
        assert char not in message, message


def setup_moves(
    *,
    limits: tuple[int, int] = (3, 3),
    lines: tuple[frozenset[str], frozenset[str]] = (frozenset(), frozenset()),
    checkin: bool = True,
) -> list[Move]:
    """The moves that set up a game for Ana (seat A) and Ben (seat B)."""
    moves: list[Move] = [
        (A, Join(name="Ana")),
        (B, Join(name="Ben")),
        (A, SetLimit(limit=limits[0], lines=lines[0])),
        (B, SetLimit(limit=limits[1], lines=lines[1])),
    ]
    if checkin:
        moves += [(A, CheckIn(score=3)), (B, CheckIn(score=4))]
    return moves


def started(
    deck: Deck,
    *,
    limits: tuple[int, int] | None = None,
    lines: tuple[frozenset[str], frozenset[str]] = (frozenset(), frozenset()),
    checkin: bool = True,
    seed: int = 7,
) -> GameState:
    """A game set up and started: phase DRAW, level 1, Ana to share."""
    limits = limits or (deck.depth, deck.depth)
    state = play(
        new_game(deck, seed, checkin=checkin),
        *setup_moves(limits=limits, lines=lines, checkin=checkin),
    )
    assert state.phase is Phase.DRAW
    return state


def turn_moves(state: GameState, outcome: Outcome, level: int | None = None) -> list[Move]:
    """The moves of one whole turn, from draw to outcome, for the current sharer."""
    sharer, listener = state.sharer, state.listener
    moves: list[Move] = [(sharer, Draw(level=level)), (sharer, Share()), (listener, Respond())]
    stung: list[Move] = [(sharer, MarkStung()), (sharer, NameHurt())]
    match outcome:
        case Outcome.SUPPORTED:
            moves.append((sharer, MarkSupported()))
        case Outcome.REPAIRED:
            moves += [*stung, (listener, Repair()), (sharer, Forgive())]
        case Outcome.NOT_YET:
            moves += [*stung, (listener, Repair()), (sharer, NotYet())]
        case Outcome.UNREPAIRED:
            moves += [*stung, (listener, LetGo())]
        case Outcome.PASSED:
            moves.append((sharer, Pass()))
    return moves


def turn(state: GameState, outcome: Outcome, level: int | None = None) -> GameState:
    """Play one whole turn with this outcome."""
    return play(state, *turn_moves(state, outcome, level))


def turns(state: GameState, *outcomes: Outcome) -> GameState:
    """Play whole turns, one per outcome, the roles swapping as they go."""
    for outcome in outcomes:
        state = turn(state, outcome)
    return state


def to_level_two(deck: Deck) -> GameState:
    """A started game that has gone one level deeper (advance_after shares each)."""
    state = started(deck)
    state = turns(state, *[Outcome.SUPPORTED] * (2 * deck.advance_after))
    assert state.level == 2
    return state


def progress(state: GameState) -> tuple[int, int]:
    return state.a.progress, state.b.progress


SUPPORTED, REPAIRED, NOT_YET, UNREPAIRED = (
    Outcome.SUPPORTED,
    Outcome.REPAIRED,
    Outcome.NOT_YET,
    Outcome.UNREPAIRED,
)

# --- setup -----------------------------------------------------------------------------


def test_new_game_starts_in_setup_at_level_one_with_seat_a_to_share(deck: Deck) -> None:
    state = new_game(deck, seed=1)
    assert state.phase is Phase.SETUP
    assert state.level == 1
    assert state.sharer is A and state.listener is B
    assert state.checkin is True
    assert state.dealt == frozenset() and state.turns == 0
    assert state.name(A) == "Partner A" and state.name(B) == "Partner B"


def test_join_records_the_name_with_spaces_tidied(deck: Deck) -> None:
    state, events = run(new_game(deck, 1), (A, Join(name="  Ana   Maria ")))
    assert events == [Joined(seat=A, name="Ana Maria")]
    assert state.a.name == "Ana Maria" and state.name(A) == "Ana Maria"
    assert state.b.name is None


def test_a_partner_may_change_their_name_during_setup(deck: Deck) -> None:
    state = play(new_game(deck, 1), (A, Join(name="Ana")), (A, Join(name="Annie")))
    assert state.a.name == "Annie"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("", "Please enter a name."),
        ("   ", "Please enter a name."),
        ("x" * 25, "Please keep the name to 24 characters."),
        ("ANA", "Please choose a name different from your partner's."),
        (" ana ", "Please choose a name different from your partner's."),
    ],
)
def test_join_rejects_empty_long_or_duplicate_names(deck: Deck, name: str, expected: str) -> None:
    state = play(new_game(deck, 1), (A, Join(name="Ana")))
    assert illegal(state, B, Join(name=name)) == expected


HIDDEN = "Please type the name without hidden characters."
DIFFERENT = "Please choose a name different from your partner's."


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Sam\x1b[2J", HIDDEN),
        ("Sa\x00m", HIDDEN),
        ("\u202eSam", HIDDEN),
        ("Sa\u200bm", HIDDEN),
        ("\ufeffBen", HIDDEN),
        ("\u200b\u200b\u200b", HIDDEN),
        ("\u200d", HIDDEN),
        ("\u3164", "Please enter a name."),
        ("\u2800 \u2800", "Please enter a name."),
        ("\u0301", "Please enter a name."),
    ],
)
def test_join_refuses_hidden_characters_and_names_with_nothing_visible(
    deck: Deck, name: str, expected: str
) -> None:
    assert illegal(new_game(deck, 1), A, Join(name=name)) == expected


@pytest.mark.parametrize(
    "name",
    ["\u0405am", "\u0405\u0430m", "SAM", "  sam ", "Sam\u200b", "\uff33\uff41\uff4d", "Sám"],
)
def test_join_refuses_a_look_alike_of_the_partners_name(deck: Deck, name: str) -> None:
    state = play(new_game(deck, 1), (A, Join(name="Sam")))
    expected = HIDDEN if "\u200b" in name else DIFFERENT
    assert illegal(state, B, Join(name=name)) == expected


@pytest.mark.parametrize(
    ("name", "kept"),
    [
        ("\uff33\uff41\uff4d\u3000\uff22", "Sam B"),
        ("Ana\u00a0\t Maria", "Ana Maria"),
        ("\u0645\u0647\u200c\u0631\u0627\u0646", "\u0645\u0647\u200c\u0631\u0627\u0646"),
        ("\u0421\u0430\u0448\u0430", "\u0421\u0430\u0448\u0430"),
        ("Zoë 🌻", "Zoë 🌻"),
    ],
)
def test_join_keeps_names_in_one_form(deck: Deck, name: str, kept: str) -> None:
    _, events = run(new_game(deck, 1), (A, Join(name=name)))
    assert events == [Joined(seat=A, name=kept)]


def test_different_names_in_other_scripts_are_allowed(deck: Deck) -> None:
    state = play(
        new_game(deck, 1), (A, Join(name="Sam")), (B, Join(name="\u0421\u0430\u0448\u0430"))
    )
    assert state.b.name == "Саша"


def test_a_name_of_exactly_the_maximum_length_is_accepted(deck: Deck) -> None:
    state = play(new_game(deck, 1), (A, Join(name="y" * 24)))
    assert state.a.name == "y" * 24


@pytest.mark.parametrize("limit", [0, -1, 4, 99])
def test_limit_must_be_a_level_of_the_deck(deck: Deck, limit: int) -> None:
    assert illegal(new_game(deck, 1), A, SetLimit(limit=limit)) == "Choose a limit from 1 to 3."


def test_limits_and_lines_are_kept_per_partner(deck: Deck) -> None:
    state, events = run(
        new_game(deck, 1),
        (A, SetLimit(limit=2, lines=frozenset({"family"}))),
        (B, SetLimit(limit=3)),
    )
    assert events == [
        LimitSet(seat=A, limit=2, lines=frozenset({"family"})),
        LimitSet(seat=B, limit=3, lines=frozenset()),
    ]
    assert (state.a.limit, state.a.lines) == (2, frozenset({"family"}))
    assert (state.b.limit, state.b.lines) == (3, frozenset())
    assert state.lines == frozenset({"family"})


def test_ceiling_is_the_lower_of_the_two_limits(deck: Deck) -> None:
    state = new_game(deck, 1)
    assert state.ceiling == deck.depth  # before anyone chooses, the deck's deepest level
    state = play(state, (B, SetLimit(limit=3)))
    assert state.ceiling == 3
    state = play(state, (A, SetLimit(limit=2)))
    assert state.ceiling == 2
    state = play(state, (B, SetLimit(limit=1)))
    assert state.ceiling == 1
    state = play(state, (B, SetLimit(limit=3)))
    assert state.ceiling == 2


@pytest.mark.parametrize("score", [None, 1, 4, 7])
def test_check_in_accepts_a_circle_from_one_to_seven_or_a_skip(
    deck: Deck, score: int | None
) -> None:
    state, events = run(new_game(deck, 1), (A, CheckIn(score=score)))
    assert events == [CheckedIn(seat=A, score=score)]
    assert state.a.checked_in and state.a.ios_before == score
    assert not state.b.checked_in


@pytest.mark.parametrize("score", [0, 8, -3])
def test_check_in_rejects_scores_off_the_circles(deck: Deck, score: int) -> None:
    assert illegal(new_game(deck, 1), A, CheckIn(score=score)) == "Choose a circle from 1 to 7."


def test_check_in_only_once_before_play(deck: Deck) -> None:
    state = play(new_game(deck, 1), (A, CheckIn(score=2)))
    assert illegal(state, A, CheckIn(score=5)) == "You have already checked in."
    assert state.a.ios_before == 2


def test_game_starts_only_when_both_partners_are_set_up(deck: Deck) -> None:
    state = new_game(deck, 1)
    moves = setup_moves()
    for index, move in enumerate(moves):
        state, events = run(state, move)
        last = index == len(moves) - 1
        assert (GameStarted() in events) is last
        assert state.phase is (Phase.DRAW if last else Phase.SETUP)
    assert events[-1] == GameStarted()
    assert state.level == 1 and state.sharer is A


@pytest.mark.parametrize("missing", range(6))
def test_any_missing_setup_step_keeps_the_game_in_setup(deck: Deck, missing: int) -> None:
    moves = setup_moves()
    del moves[missing]
    state = play(new_game(deck, 1), *moves)
    assert state.phase is Phase.SETUP
    assert illegal(state, A, Draw()) == "The game has not started yet."


def test_setup_order_does_not_matter(deck: Deck) -> None:
    state = play(new_game(deck, 1), *reversed(setup_moves()))
    assert state.phase is Phase.DRAW


def test_with_check_in_off_the_game_starts_without_it(deck: Deck) -> None:
    state, events = run(new_game(deck, 1, checkin=False), *setup_moves(checkin=False))
    assert state.phase is Phase.DRAW
    assert events[-1] == GameStarted()
    assert not state.a.checked_in and not state.b.checked_in


def test_with_check_in_off_no_check_in_is_taken_during_setup(deck: Deck) -> None:
    state = new_game(deck, 1, checkin=False)
    assert illegal(state, A, CheckIn(score=4)) == "The closeness check-in is off for this game."


@pytest.mark.parametrize(
    "command", [Draw(), Share(), Pass(), Respond(), MarkSupported(), MarkStung(), Forgive()]
)
def test_turn_commands_before_the_start_are_illegal(deck: Deck, command: Command) -> None:
    assert illegal(new_game(deck, 1), A, command) == "The game has not started yet."


def test_joining_after_the_start_is_illegal(deck: Deck) -> None:
    state = started(deck)
    assert illegal(state, A, Join(name="Anna")).startswith("Not now:")
    assert illegal(state, B, CheckIn(score=1)).startswith("Not now:")


# --- turns and roles -------------------------------------------------------------------


def test_only_the_sharer_draws(deck: Deck) -> None:
    state = started(deck)
    assert illegal(state, B, Draw()) == "It's Ana's turn to share."


def test_a_draw_deals_an_unseen_card_from_the_current_level(deck: Deck) -> None:
    state = started(deck)
    state, events = run(state, (A, Draw()))
    [dealt] = events
    assert isinstance(dealt, CardDealt)
    assert dealt.seat is A and dealt.level == 1
    assert dealt.card in {card.id for card in deck.levels[0].cards}
    assert state.phase is Phase.SHARE
    assert (state.card, state.card_level) == (dealt.card, 1)
    assert state.dealt == {dealt.card} and state.draws == 1


def test_a_turn_runs_draw_share_respond_land(deck: Deck) -> None:
    state = started(deck)
    state = play(state, (A, Draw()))
    assert state.phase is Phase.SHARE
    assert illegal(state, B, Share()) == "It's Ana's turn to share."
    state, events = run(state, (A, Share()))
    assert events == [Shared(seat=A)] and state.phase is Phase.RESPOND
    assert illegal(state, A, Respond()) == "It's Ben's turn to respond."
    state, events = run(state, (B, Respond()))
    assert events == [Responded(seat=B)] and state.phase is Phase.LAND
    assert illegal(state, B, MarkSupported()) == "It's Ana's turn to share."


@pytest.mark.parametrize(
    ("moves", "seat", "command", "expected"),
    [
        ([], A, Share(), "Not now: waiting for Ana to draw a card."),
        ([(A, Draw())], B, Respond(), "Not now: waiting for Ana to share or pass."),
        ([(A, Draw()), (A, Share())], A, Draw(), "Not now: waiting for Ben to respond."),
        (
            [(A, Draw()), (A, Share()), (B, Respond())],
            B,
            Repair(),
            "Not now: waiting for Ana to say how it landed.",
        ),
    ],
)
def test_out_of_turn_commands_say_what_the_game_waits_for(
    deck: Deck, moves: list[Move], seat: Seat, command: Command, expected: str
) -> None:
    state = play(started(deck), *moves)
    assert illegal(state, seat, command) == expected


def test_supported_ends_the_turn_and_swaps_roles(deck: Deck) -> None:
    state = play(started(deck), (A, Draw()), (A, Share()), (B, Respond()))
    card = state.card
    felt = frozenset({Felt.UNDERSTOOD, Felt.CARED_FOR})
    state, events = run(state, (A, MarkSupported(felt=felt)))
    assert events == [
        TurnEnded(sharer=A, card=str(card), level=1, outcome=Outcome.SUPPORTED, felt=felt)
    ]
    assert state.phase is Phase.DRAW
    assert state.sharer is B and state.listener is A
    assert state.card is None and state.card_level is None
    assert state.turns == 1
    assert progress(state) == (1, 0)


def test_roles_alternate_every_turn_whatever_the_outcome() -> None:
    deck = make_deck(levels=3, cards=12, advance_after=5)
    state = started(deck)
    sharers = []
    for outcome in [SUPPORTED, NOT_YET, UNREPAIRED, REPAIRED, SUPPORTED, NOT_YET]:
        sharers.append(state.sharer)
        state = turn(state, outcome)
    assert sharers == [A, B, A, B, A, B]
    assert state.sharer is A and state.turns == 6


# --- pass ------------------------------------------------------------------------------


def test_pass_keeps_the_turn_and_records_the_card_as_passed(deck: Deck) -> None:
    state = play(started(deck), (A, Draw()))
    card = state.card
    state, events = run(state, (A, Pass()))
    assert events == [CardPassed(seat=A, card=str(card), level=1)]
    assert state.phase is Phase.DRAW
    assert state.sharer is A  # the turn is kept
    assert state.turns == 0
    assert state.card is None and state.passed_this_turn
    assert card in state.dealt  # a passed card is not dealt again


def test_only_the_sharer_may_pass(deck: Deck) -> None:
    state = play(started(deck), (A, Draw()))
    assert illegal(state, B, Pass()) == "It's Ana's turn to share."


def test_pass_is_not_allowed_after_sharing(deck: Deck) -> None:
    state = play(started(deck), (A, Draw()), (A, Share()))
    assert illegal(state, A, Pass()) == "Not now: waiting for Ben to respond."


def test_pass_never_lowers_the_level_or_anyones_progress() -> None:
    deck = make_deck(levels=3, cards=10, advance_after=2)
    state = to_level_two(deck)
    state = turns(state, SUPPORTED, SUPPORTED, SUPPORTED)  # A 2, B 1 at level 2
    assert (state.level, progress(state)) == (2, (2, 1))
    for _ in range(3):
        state, events = run(state, (B, Draw()), (B, Pass()))
        assert not any(isinstance(event, LevelChanged) for event in events)
        assert (state.level, progress(state), state.sharer) == (2, (2, 1), B)


def test_after_a_pass_the_sharer_may_draw_one_level_lighter() -> None:
    deck = make_deck(levels=3, cards=6)
    state = to_level_two(deck)
    assert drawable_levels(state) == [2]
    assert illegal(state, A, Draw(level=1)) == "You can draw from level 2."
    state = play(state, (A, Draw()), (A, Pass()))
    assert drawable_levels(state) == [1, 2]
    state, events = run(state, (A, Draw(level=1)))
    assert isinstance(events[0], CardDealt) and events[0].level == 1
    assert state.card_level == 1 and state.level == 2


def test_after_a_pass_the_sharer_may_draw_again_at_the_same_level() -> None:
    state = to_level_two(make_deck(levels=3, cards=6))
    state, events = run(state, (A, Draw()), (A, Pass()), (A, Draw()))
    assert isinstance(events[-1], CardDealt) and events[-1].level == 2


def test_after_a_pass_never_two_levels_lighter_nor_deeper() -> None:
    deck = make_deck(levels=4, cards=6, advance_after=1)
    state = turns(started(deck), SUPPORTED, SUPPORTED, SUPPORTED, SUPPORTED)
    assert state.level == 3
    state = play(state, (A, Draw()), (A, Pass()))
    assert drawable_levels(state) == [2, 3]
    assert illegal(state, A, Draw(level=1)) == "You can draw from level 2 or 3."
    assert illegal(state, A, Draw(level=4)) == "You can draw from level 2 or 3."


def test_at_level_one_a_pass_offers_only_level_one(deck: Deck) -> None:
    state = play(started(deck), (A, Draw()), (A, Pass()))
    assert drawable_levels(state) == [1]
    assert illegal(state, A, Draw(level=0)) == "You can draw from level 1."


def test_the_lighter_offer_lasts_only_for_the_turn_that_passed() -> None:
    state = to_level_two(make_deck(levels=3, cards=8))
    state = play(state, (A, Draw()), (A, Pass()))
    state = turn(state, SUPPORTED)
    assert not state.passed_this_turn
    assert drawable_levels(state) == [2]


def test_a_share_from_a_lighter_level_does_not_count_toward_going_deeper() -> None:
    state = to_level_two(make_deck(levels=3, cards=8))
    state = play(state, (A, Draw()), (A, Pass()))
    state = turn(state, SUPPORTED, level=1)
    assert state.level == 2 and progress(state) == (0, 0)
    assert state.sharer is B  # the turn still ended, and roles swapped


def test_passes_are_recorded_once_per_card_and_many_passes_are_free(deck: Deck) -> None:
    state = started(deck)
    passed = []
    for _ in range(4):
        state, events = run(state, (A, Draw()), (A, Pass()))
        passed += [event.card for event in events if isinstance(event, CardPassed)]
    assert len(passed) == len(set(passed)) == 4
    assert state.sharer is A and state.level == 1 and state.turns == 0


# --- the laugh, repair and forgive loop ------------------------------------------------


def test_stung_opens_the_repair_loop_step_by_step(deck: Deck) -> None:
    state = play(started(deck), (A, Draw()), (A, Share()), (B, Respond()))
    state, events = run(state, (A, MarkStung()))
    assert events == [Stung(seat=A)] and state.phase is Phase.NAME_HURT
    assert illegal(state, B, NameHurt()) == "It's Ana's turn to share."
    state, events = run(state, (A, NameHurt()))
    assert events == [HurtNamed(seat=A)] and state.phase is Phase.REPAIR
    assert illegal(state, A, Repair()) == "It's Ben's turn to respond."
    assert illegal(state, A, LetGo()) == "It's Ben's turn to respond."
    assert illegal(state, B, Forgive()) == "Not now: waiting for Ben to repair or let it go."
    state, events = run(state, (B, Repair()))
    assert events == [Repaired(seat=B)] and state.phase is Phase.FORGIVE
    assert illegal(state, B, Forgive()) == "It's Ana's turn to share."
    assert illegal(state, B, NotYet()) == "It's Ana's turn to share."
    assert state.sharer is A and state.turns == 0  # the turn is still open


def test_repaired_and_forgiven_counts_and_gives_both_a_bonus_step(deck: Deck) -> None:
    state = play(started(deck), *turn_moves(started(deck), REPAIRED)[:-1])
    card = state.card
    state, events = run(state, (A, Forgive()))
    assert events[0] == TurnEnded(sharer=A, card=str(card), level=1, outcome=REPAIRED)
    # The share counts for the sharer (+1), and each partner earns a bonus step (+1).
    assert progress(state) == (2, 1)
    assert state.sharer is B and state.phase is Phase.DRAW


def test_repaired_by_the_second_sharer_mirrors_the_bonus(deck: Deck) -> None:
    state = turns(started(deck), NOT_YET, REPAIRED)
    assert progress(state) == (1, 2)


def test_not_yet_is_respected_and_changes_nothing(deck: Deck) -> None:
    state = turns(started(deck), SUPPORTED)  # A 1, B 0
    before = state
    state = play(state, *turn_moves(state, NOT_YET)[:-1])
    card = state.card
    state, events = run(state, (B, NotYet()))
    assert events == [TurnEnded(sharer=B, card=str(card), level=1, outcome=NOT_YET)]
    assert progress(state) == progress(before) == (1, 0)
    assert state.level == before.level
    assert state.sharer is A  # the roles still swap


def test_let_go_is_unrepaired_and_drops_the_level_by_one() -> None:
    deck = make_deck(levels=3, cards=8, advance_after=2)
    state = turns(to_level_two(deck), SUPPORTED)  # at level 2: A 1, B 0
    state = play(state, *turn_moves(state, UNREPAIRED)[:-1])
    card = state.card
    state, events = run(state, (A, LetGo()))
    assert events == [
        TurnEnded(sharer=B, card=str(card), level=2, outcome=UNREPAIRED),
        LevelChanged(level=1, reason="unrepaired"),
    ]
    assert state.level == 1
    assert progress(state) == (0, 0)  # progress at the level starts again
    assert state.sharer is A


def test_unrepaired_at_level_one_stays_at_level_one_and_resets_progress(deck: Deck) -> None:
    state = turns(started(deck), SUPPORTED, SUPPORTED)
    assert progress(state) == (1, 1)
    state, events = run(state, *turn_moves(state, UNREPAIRED))
    assert events[-1] == LevelChanged(level=1, reason="unrepaired")
    assert state.level == 1 and progress(state) == (0, 0)


def test_an_unrepaired_hurt_then_needs_both_to_climb_again() -> None:
    deck = make_deck(levels=3, cards=12, advance_after=1)
    state = turns(started(deck), SUPPORTED, SUPPORTED)
    assert state.level == 2
    state = turn(state, UNREPAIRED)
    assert state.level == 1
    state = turn(state, SUPPORTED)  # B alone
    assert state.level == 1
    state = turn(state, SUPPORTED)  # and A
    assert state.level == 2


# --- going deeper is mutual ------------------------------------------------------------


def test_one_partner_alone_never_opens_a_deeper_level() -> None:
    deck = make_deck(levels=3, cards=12, advance_after=2)
    state = started(deck)
    # Ana is met with support every time; Ben's shares are never forgiven.
    for _ in range(5):
        state = turns(state, SUPPORTED, NOT_YET)
    assert state.level == 1
    assert progress(state) == (5, 0)


def test_the_pair_goes_deeper_when_both_reach_advance_after(deck: Deck) -> None:
    state = started(deck)
    state = turns(state, SUPPORTED, SUPPORTED, SUPPORTED)
    assert state.level == 1 and progress(state) == (2, 1)
    state = play(state, *turn_moves(state, SUPPORTED)[:-1])
    card = str(state.card)
    state, events = run(state, (B, MarkSupported()))
    assert events == [
        TurnEnded(sharer=B, card=card, level=1, outcome=SUPPORTED),
        LevelChanged(level=2, reason="deeper"),
    ]
    assert state.level == 2
    assert progress(state) == (0, 0)  # progress starts again at the new level


def test_advance_after_comes_from_the_deck() -> None:
    deck = make_deck(levels=3, cards=12, advance_after=3)
    state = turns(started(deck), *[SUPPORTED] * 5)
    assert state.level == 1 and progress(state) == (3, 2)
    state = turn(state, SUPPORTED)
    assert state.level == 2


def test_a_repair_bonus_can_complete_the_step_deeper(deck: Deck) -> None:
    state = turns(started(deck), REPAIRED)  # Ana 2, Ben 1
    assert state.level == 1
    state = turn(state, SUPPORTED)  # Ben 2
    assert state.level == 2


def test_the_level_never_passes_the_lower_limit() -> None:
    state = started(make_deck(levels=3, cards=12), limits=(3, 1))
    assert state.ceiling == 1
    state = turns(state, *[SUPPORTED] * 8)
    assert state.level == 1
    assert progress(state) == (4, 4)


def test_the_level_never_passes_the_deepest_level() -> None:
    deck = make_deck(levels=2, cards=12, advance_after=1)
    state = turns(started(deck), *[SUPPORTED] * 8)
    assert state.level == 2


def test_raising_a_limit_lets_a_ready_pair_go_deeper(deck: Deck) -> None:
    state = turns(started(deck, limits=(1, 3)), *[SUPPORTED] * 4)
    assert state.level == 1
    state, events = run(state, (A, SetLimit(limit=2)))
    assert events[1:] == [LevelChanged(level=2, reason="deeper")]
    assert state.level == 2 and state.ceiling == 2


def test_a_limit_raised_mid_turn_opens_the_deeper_level_at_the_next_draw(deck: Deck) -> None:
    state = turns(started(deck, limits=(1, 3)), *[SUPPORTED] * 4)  # held at 1 by Ana's limit
    state = play(state, (A, Draw()))
    state, events = run(state, (A, SetLimit(limit=2)))
    assert events == [LimitSet(seat=A, limit=2, lines=frozenset())]  # not while a card is out
    assert state.level == 1
    card = str(state.card)
    state, events = run(state, (A, Pass()))
    assert events == [
        CardPassed(seat=A, card=card, level=1),
        LevelChanged(level=2, reason="deeper"),
    ]
    assert state.level == 2 and state.sharer is A


# --- limits changed mid-game -----------------------------------------------------------


def test_lowering_a_limit_mid_game_pulls_the_level_down(deck: Deck) -> None:
    state = turns(started(deck), *[SUPPORTED] * 4)
    state = turns(state, *[SUPPORTED] * 4)
    assert state.level == 3
    state = turn(state, SUPPORTED)
    state, events = run(state, (B, SetLimit(limit=1)))
    assert events == [
        LimitSet(seat=B, limit=1, lines=frozenset()),
        LevelChanged(level=1, reason="limit"),
    ]
    assert state.level == 1 and state.ceiling == 1
    assert progress(state) == (0, 0)
    assert state.phase is Phase.DRAW


def test_a_limit_above_the_level_changes_nothing_but_the_limit(deck: Deck) -> None:
    state = turns(started(deck), *[SUPPORTED] * 4)  # level 2
    state, events = run(state, (A, SetLimit(limit=2)))
    assert events == [LimitSet(seat=A, limit=2, lines=frozenset())]
    assert state.level == 2 and state.ceiling == 2


def test_a_dealt_card_above_a_new_ceiling_is_set_aside_as_passed(deck: Deck) -> None:
    state = turns(started(deck), *[SUPPORTED] * 4)  # level 2
    state = play(state, (A, Draw()))
    card = state.card
    state, events = run(state, (B, SetLimit(limit=1)))
    assert events == [
        LimitSet(seat=B, limit=1, lines=frozenset()),
        LevelChanged(level=1, reason="limit"),
        CardPassed(seat=A, card=str(card), level=2),
    ]
    assert state.phase is Phase.DRAW
    assert state.card is None and state.sharer is A  # Ana keeps her turn
    assert state.level == 1 and drawable_levels(state) == [1]


def test_a_dealt_card_within_a_new_ceiling_stays(deck: Deck) -> None:
    state = turns(started(deck), *[SUPPORTED] * 8)  # level 3
    state = play(state, (A, Draw()), (A, Pass()), (A, Draw(level=2)))
    card = state.card
    state, events = run(state, (A, SetLimit(limit=2)))
    assert events == [
        LimitSet(seat=A, limit=2, lines=frozenset()),
        LevelChanged(level=2, reason="limit"),
    ]
    assert state.phase is Phase.SHARE and state.card == card


def test_lowering_a_limit_after_sharing_keeps_the_turn_going(deck: Deck) -> None:
    state = turns(started(deck), *[SUPPORTED] * 4)  # level 2
    state = play(state, (A, Draw()), (A, Share()))
    state, events = run(state, (B, SetLimit(limit=1)))
    assert events[-1] == LevelChanged(level=1, reason="limit")
    assert state.phase is Phase.RESPOND and state.card is not None
    state = play(state, (B, Respond()), (A, MarkSupported()))
    assert state.level == 1 and state.sharer is B


@pytest.mark.parametrize(
    "phase_moves",
    [
        [],
        [(A, Draw())],
        [(A, Draw()), (A, Share())],
        [(A, Draw()), (A, Share()), (B, Respond())],
        [(A, Draw()), (A, Share()), (B, Respond()), (A, MarkStung())],
        [(A, Draw()), (A, Share()), (B, Respond()), (A, MarkStung()), (A, NameHurt())],
    ],
)
def test_either_partner_may_change_their_limit_at_any_moment_of_play(
    deck: Deck, phase_moves: list[Move]
) -> None:
    state = play(started(deck), *phase_moves)
    for seat in Seat:
        changed = play(state, (seat, SetLimit(limit=2, lines=frozenset({"loss"}))))
        assert changed.partner(seat).limit == 2
        assert changed.partner(seat).lines == {"loss"}
        assert changed.partner(seat.other) == state.partner(seat.other)
        assert changed.phase is state.phase


# --- lines -----------------------------------------------------------------------------


def _cards_dealt_until_empty(state: GameState) -> list[str]:
    """Draw and pass at the current level until it runs out; the cards dealt."""
    dealt = []
    while state.level in drawable_levels(state):
        state, events = run(state, (state.sharer, Draw()), (state.sharer, Pass()))
        dealt += [event.card for event in events if isinstance(event, CardDealt)]
    return dealt


@pytest.mark.parametrize("seat", [A, B])
def test_either_partners_lines_keep_tagged_cards_out(deck: Deck, seat: Seat) -> None:
    family: frozenset[str] = frozenset({"family"})
    lines = (family, frozenset()) if seat is A else (frozenset(), family)
    state = started(deck, lines=lines)
    dealt = _cards_dealt_until_empty(state)
    assert sorted(dealt) == ["l1-1", "l1-2", "l1-4", "l1-5"]
    assert all("family" not in deck.card(card).tags for card in dealt)


def test_without_lines_every_card_of_the_level_is_dealt(deck: Deck) -> None:
    dealt = _cards_dealt_until_empty(started(deck))
    assert sorted(dealt) == [f"l1-{n}" for n in range(1, 7)]


def test_lines_changed_mid_game_apply_to_the_next_draw(deck: Deck) -> None:
    state = started(deck)
    state = play(state, (B, SetLimit(limit=3, lines=frozenset({"family"}))))
    dealt = _cards_dealt_until_empty(state)
    assert sorted(dealt) == ["l1-1", "l1-2", "l1-4", "l1-5"]


def test_lines_that_match_no_card_exclude_nothing(deck: Deck) -> None:
    state = started(deck, lines=(frozenset({"no-such-tag"}), frozenset()))
    assert len(_cards_dealt_until_empty(state)) == 6


# --- dealing ---------------------------------------------------------------------------


def test_dealing_never_repeats_a_card_in_a_game() -> None:
    deck = make_deck(levels=2, cards=5, advance_after=1)
    state = started(deck)
    dealt: list[str] = []
    # Play whole turns and passes until nothing is left to draw.
    while drawable_levels(state):
        level = drawable_levels(state)[-1]
        state, events = run(state, *turn_moves(state, SUPPORTED, level=level))
        dealt += [event.card for event in events if isinstance(event, CardDealt)]
    assert len(dealt) == len(set(dealt)) == deck.card_count
    assert state.dealt == set(dealt)


def _dealt_sequence(deck: Deck, seed: int) -> list[str]:
    state = started(deck, seed=seed)
    dealt = []
    for _ in range(12):
        state, events = run(state, *turn_moves(state, SUPPORTED, level=drawable_levels(state)[0]))
        dealt += [event.card for event in events if isinstance(event, CardDealt)]
    return dealt


def test_dealing_is_deterministic_for_a_seed() -> None:
    deck = make_deck(levels=3, cards=8, advance_after=2)
    assert _dealt_sequence(deck, 42) == _dealt_sequence(deck, 42)


def test_different_seeds_deal_differently() -> None:
    deck = make_deck(levels=3, cards=8, advance_after=2)
    sequences = {tuple(_dealt_sequence(deck, seed)) for seed in range(6)}
    assert len(sequences) > 1


def test_an_empty_level_offers_the_nearest_lighter_and_deeper_levels() -> None:
    deck = make_deck(levels=3, cards=2, advance_after=1)
    state = turns(started(deck), SUPPORTED, SUPPORTED)  # both level-1 cards used
    assert state.level == 2
    state = play(state, (A, Draw()), (A, Pass()), (A, Draw()), (A, Pass()))
    assert drawable_levels(state) == [3]  # level 1 is empty too
    state = turn(state, NOT_YET, level=3)
    assert state.level == 2 and state.sharer is B
    assert drawable_levels(state) == [3]
    message = illegal(state, B, Draw())
    assert message == "No cards are left at level 2. You can draw from level 3."
    state, events = run(state, (B, Draw(level=3)))
    assert isinstance(events[0], CardDealt) and events[0].level == 3


def test_an_empty_level_offers_both_neighbours_that_still_hold_cards() -> None:
    deck = make_deck(levels=4, cards=4, advance_after=1)
    state = turns(started(deck), SUPPORTED, SUPPORTED, SUPPORTED, SUPPORTED)
    assert state.level == 3
    # Use up level 3 by passing through it.
    while 3 in drawable_levels(state):
        state = play(state, (A, Draw(level=3)), (A, Pass()))
    state = turn(state, NOT_YET, level=2)  # end the turn; the lighter offer goes away
    assert drawable_levels(state) == [2, 4]
    assert illegal(state, B, Draw()) == (
        "No cards are left at level 3. You can draw from level 2 or 4."
    )


def test_an_empty_level_never_offers_a_level_past_the_ceiling() -> None:
    deck = make_deck(levels=3, cards=2, advance_after=1)
    state = turns(started(deck, limits=(2, 3)), SUPPORTED, SUPPORTED)  # level 2 = ceiling
    state = play(state, (A, Draw()), (A, Pass()), (A, Draw()), (A, Pass()))
    assert drawable_levels(state) == []
    assert illegal(state, A, Draw()) == "No cards are left for this game. You could end it here."


def test_no_cards_at_all_gives_a_readable_illegal_move() -> None:
    deck = make_deck(levels=1, cards=2)
    state = play(started(deck), (A, Draw()), (A, Pass()), (A, Draw()), (A, Pass()))
    assert drawable_levels(state) == []
    assert illegal(state, A, Draw()) == "No cards are left for this game. You could end it here."
    assert illegal(state, A, Draw(level=1)) == (
        "No cards are left for this game. You could end it here."
    )
    assert play(state, (B, End())).phase is Phase.CLOSING  # ending is still open


def test_lines_of_both_partners_together_can_empty_a_level() -> None:
    deck = Deck(
        id="tagged",
        title="Tagged",
        advance_after=1,
        levels=(
            Level(
                name="One",
                intent="Light",
                cards=(
                    Card(id="fam", text="Family?", tags=("family",)),
                    Card(id="grief", text="Loss?", tags=("loss",)),
                ),
            ),
            Level(name="Two", intent="Deeper", cards=(Card(id="deep", text="Deep?"),)),
        ),
    )
    state = started(deck)
    assert drawable_levels(state) == [1]
    state = play(state, (B, SetLimit(limit=2, lines=frozenset({"family"}))))
    assert drawable_levels(state) == [1]
    state, events = run(
        state, (A, SetLimit(limit=2, lines=frozenset({"loss"}))), (A, Draw(level=2))
    )
    assert events[-1] == CardDealt(seat=A, card="deep", level=2)
    assert illegal(play(state, (A, Pass())), A, Draw()) == (
        "No cards are left for this game. You could end it here."
    )


def test_drawable_levels_is_empty_outside_the_draw_phase(deck: Deck) -> None:
    assert drawable_levels(new_game(deck, 1)) == []
    state = play(started(deck), (A, Draw()))
    assert drawable_levels(state) == []


# --- pause -----------------------------------------------------------------------------


def test_pause_then_play_goes_on_only_when_both_are_ready(deck: Deck) -> None:
    state = play(started(deck), (A, Draw()))
    state, events = run(state, (B, Pause()))
    assert events == [Paused(seat=B)] and state.paused
    state, events = run(state, (A, Ready()))
    assert events == [MarkedReady(seat=A)] and state.paused
    assert illegal(state, A, Ready()) == "Waiting for Ben to be ready too."
    state, events = run(state, (B, Ready()))
    assert events == [MarkedReady(seat=B), Resumed()]
    assert not state.paused and state.ready == frozenset()
    assert state.phase is Phase.SHARE  # back where the pause found it
    state = play(state, (A, Share()))
    assert state.phase is Phase.RESPOND


@pytest.mark.parametrize(
    "command", [Draw(), Share(), Pass(), Respond(), MarkSupported(), NameHurt(), LetGo()]
)
def test_pause_blocks_turn_commands(deck: Deck, command: Command) -> None:
    state = play(started(deck), (A, Pause()))
    for seat in Seat:
        assert illegal(state, seat, command) == "The game is paused. Press ready when you are."


def test_a_pause_blocks_even_a_command_that_would_be_legal(deck: Deck) -> None:
    state = play(started(deck), (A, Pause()))
    assert illegal(state, A, Draw()) == "The game is paused. Press ready when you are."
    state = play(state, (A, Ready()), (B, Ready()))
    assert play(state, (A, Draw())).phase is Phase.SHARE


def test_set_limit_and_end_still_work_while_paused(deck: Deck) -> None:
    state = turns(started(deck), *[SUPPORTED] * 4)  # level 2
    state = play(state, (A, Pause()))
    state, events = run(state, (B, SetLimit(limit=1)))
    assert events[-1] == LevelChanged(level=1, reason="limit")
    assert state.paused and state.level == 1
    state, events = run(state, (A, End()))
    assert events == [GameEnded(seat=A)]
    assert state.phase is Phase.CLOSING and not state.paused


def test_a_pause_during_setup_holds_setup_but_limits_can_still_be_chosen(deck: Deck) -> None:
    moves = setup_moves()
    state = play(new_game(deck, 1), *moves[:3], (B, Pause()))
    assert illegal(state, A, CheckIn(score=2)) == "The game is paused. Press ready when you are."
    state = play(state, (B, SetLimit(limit=2)), (A, Ready()), (B, Ready()), *moves[4:])
    assert state.phase is Phase.DRAW and not state.paused


def test_pause_twice_and_ready_without_a_pause_are_illegal(deck: Deck) -> None:
    state = started(deck)
    assert illegal(state, A, Ready()) == "The game is not paused."
    state = play(state, (A, Pause()))
    assert illegal(state, B, Pause()) == "The game is already paused."


def test_a_new_pause_needs_both_ready_again(deck: Deck) -> None:
    state = play(started(deck), (A, Pause()), (A, Ready()), (B, Ready()), (B, Pause()))
    assert state.paused and state.ready == frozenset()
    state = play(state, (B, Ready()))
    assert state.paused


def test_either_partner_may_pause_at_any_moment_of_a_turn(deck: Deck) -> None:
    state = started(deck)
    for seat, command in turn_moves(state, REPAIRED):
        for pauser in Seat:
            assert play(state, (pauser, Pause())).paused
        state = play(state, (seat, command))


# --- end -------------------------------------------------------------------------------


@pytest.mark.parametrize("steps", range(8))
@pytest.mark.parametrize("seat", [A, B])
def test_either_partner_may_end_at_any_moment(deck: Deck, seat: Seat, steps: int) -> None:
    state = started(deck)
    state = play(state, *turn_moves(state, REPAIRED)[:steps])
    state, events = run(state, (seat, End()))
    assert events == [GameEnded(seat=seat)]
    assert state.phase is Phase.CLOSING
    assert state.ended_by is seat
    assert state.card is None


def test_end_during_setup_finishes_without_a_closing_check_in(deck: Deck) -> None:
    state, events = run(play(new_game(deck, 1), (A, Join(name="Ana"))), (A, End()))
    assert events == [GameEnded(seat=A), GameFinished()]
    assert state.phase is Phase.FINISHED


def test_after_a_check_in_the_end_waits_for_the_check_out(deck: Deck) -> None:
    state = started(deck)
    assert state.checkin and state.a.checked_in and state.b.checked_in
    state, events = run(state, (A, End()))
    assert events == [GameEnded(seat=A)]
    assert state.phase is Phase.CLOSING


def test_limits_cannot_change_after_the_end(deck: Deck) -> None:
    state = play(started(deck), (A, End()))
    assert illegal(state, B, SetLimit(limit=1)) == "The game has ended."


def test_a_line_drawn_mid_turn_sets_aside_the_card_that_carries_it(deck: Deck) -> None:
    state = started(deck)
    for _ in range(20):
        state, _ = run(state, (state.sharer, Draw()))
        if "family" in deck.card(state.card or "").tags:
            break
        state = play(state, (state.sharer, Pass()))
    card = state.card
    assert card is not None and "family" in deck.card(card).tags
    state, events = run(state, (state.listener, SetLimit(limit=3, lines=frozenset({"family"}))))
    assert isinstance(events[-1], CardPassed) and events[-1].card == card
    assert state.phase is Phase.DRAW and state.card is None


def test_closing_check_in_by_both_finishes_the_game(deck: Deck) -> None:
    state = play(turns(started(deck), SUPPORTED), (B, End()))
    state, events = run(state, (A, CheckIn(score=5)))
    assert events == [CheckedIn(seat=A, score=5)]
    assert state.phase is Phase.CLOSING
    assert illegal(state, A, CheckIn(score=6)) == "You have already checked in."
    state, events = run(state, (B, CheckIn(score=None)))
    assert events == [CheckedIn(seat=B, score=None), GameFinished()]
    assert state.phase is Phase.FINISHED
    assert (state.a.ios_before, state.a.ios_after) == (3, 5)
    assert (state.b.ios_before, state.b.ios_after) == (4, None)


def test_with_check_in_off_ending_finishes_at_once(deck: Deck) -> None:
    state, events = run(started(deck, checkin=False), (A, End()))
    assert events == [GameEnded(seat=A), GameFinished()]
    assert state.phase is Phase.FINISHED


def test_in_closing_only_the_check_in_and_limits_are_taken(deck: Deck) -> None:
    state = play(started(deck), (A, Draw()), (A, End()))
    assert illegal(state, A, End()) == "The game has already ended."
    assert illegal(state, B, Pause()) == "The game has ended."
    assert illegal(state, B, Ready()) == "The game has ended."
    assert illegal(state, A, Share()) == "The game has ended."
    assert illegal(state, A, Draw()) == "The game has ended."
    assert illegal(state, A, CheckIn(score=9)) == "Choose a circle from 1 to 7."


@pytest.mark.parametrize(
    "command",
    [
        Join(name="Cy"),
        SetLimit(limit=1),
        CheckIn(score=3),
        Draw(),
        Pass(),
        Pause(),
        Ready(),
        End(),
    ],
)
def test_nothing_happens_after_the_game_has_finished(deck: Deck, command: Command) -> None:
    state = play(started(deck, checkin=False), (A, End()))
    assert state.phase is Phase.FINISHED
    for seat in Seat:
        assert illegal(state, seat, command) == "This game has finished."


# --- illegal moves, purity and the fold ------------------------------------------------


def _states_along_a_game(deck: Deck) -> list[GameState]:
    """Every state of a short game that touches each phase, pause and the end."""
    state = new_game(deck, 3)
    states = [state]
    moves = [
        *setup_moves(),
        *turn_moves(started(deck), REPAIRED),
        (B, Draw()),
        (B, Pass()),
        (A, Pause()),
        (B, Ready()),
        (B, SetLimit(limit=1)),
        (A, End()),
        (A, CheckIn(score=2)),
        (B, CheckIn(score=2)),
    ]
    for move in moves:
        state = play(state, move)
        states.append(state)
    assert state.phase is Phase.FINISHED
    return states


ALL_COMMANDS: list[Command] = [
    Join(name="Ana"),
    Join(name=""),
    SetLimit(limit=2),
    SetLimit(limit=0),
    CheckIn(score=4),
    CheckIn(score=0),
    Draw(),
    Draw(level=2),
    Draw(level=9),
    Share(),
    Pass(),
    Respond(),
    MarkSupported(),
    MarkStung(),
    NameHurt(),
    Repair(),
    LetGo(),
    Forgive(),
    NotYet(),
    Pause(),
    Ready(),
    End(),
]


def test_decide_never_changes_the_state_and_illegal_moves_read_well(deck: Deck) -> None:
    outcomes = {"legal": 0, "illegal": 0}
    for state in _states_along_a_game(deck):
        snapshot = copy.deepcopy(state)
        for seat in Seat:
            for command in ALL_COMMANDS:
                try:
                    events = decide(state, seat, command)
                except IllegalMove as error:
                    assert_readable(str(error))
                    outcomes["illegal"] += 1
                else:
                    assert events, "a legal command records something"
                    assert decide(state, seat, command) == events  # deterministic
                    outcomes["legal"] += 1
                assert state == snapshot
    assert outcomes["legal"] > 20 and outcomes["illegal"] > 100


def test_apply_returns_a_new_state_and_leaves_the_old_one_alone(deck: Deck) -> None:
    state = new_game(deck, 1)
    snapshot = copy.deepcopy(state)
    after = apply(state, Joined(seat=A, name="Ana"))
    assert after is not state and after.a.name == "Ana"
    assert state == snapshot


def test_state_is_frozen(deck: Deck) -> None:
    state = new_game(deck, 1)
    with pytest.raises(AttributeError):
        state.level = 3  # type: ignore[misc]
    with pytest.raises(AttributeError):
        state.a.progress = 5  # type: ignore[misc]


def test_a_game_is_the_fold_of_its_events(deck: Deck) -> None:
    state = new_game(deck, 3)
    log: list[Event] = []
    checkpoints = [(0, state)]

    def go(*moves: Move) -> None:
        nonlocal state
        for move in moves:
            state, events = run(state, move)
            log.extend(events)
            checkpoints.append((len(log), state))

    go(*setup_moves())
    for outcome in (SUPPORTED, UNREPAIRED, REPAIRED, NOT_YET, SUPPORTED):
        go(*turn_moves(state, outcome))
    sharer = state.sharer
    go((sharer, Draw()), (sharer, Pass()), (A, Pause()), (B, SetLimit(limit=1)))
    go((B, Ready()), (A, Ready()))
    go((B, End()), (A, CheckIn(score=1)), (B, CheckIn(score=6)))
    assert state.phase is Phase.FINISHED
    assert replay(new_game(deck, 3), log) == state
    # Folding in two parts gives the same as folding at once.
    middle = len(log) // 2
    assert replay(replay(new_game(deck, 3), log[:middle]), log[middle:]) == state
    # Every state along the way is the fold of the events so far.
    for count, seen in checkpoints:
        assert replay(new_game(deck, 3), log[:count]) == seen


def test_each_event_leads_to_one_next_phase_in_the_table() -> None:
    then: dict[type, set[Phase | None]] = {}
    for row in TRANSITIONS:
        then.setdefault(row.event, set()).add(row.then)
    assert all(len(phases) == 1 for phases in then.values()), then
    # Every turn-ending event returns to the draw, and the end goes to closing.
    assert then[TurnEnded] == {Phase.DRAW}
    assert then[CardPassed] == {Phase.DRAW}
    assert then[GameEnded] == {Phase.CLOSING}
    assert then[GameFinished] == {Phase.FINISHED}


def test_each_turn_row_of_the_table_moves_the_game_where_it_says() -> None:
    deck = make_deck(levels=3, cards=12)
    base = started(deck)
    moves = turn_moves(base, REPAIRED)
    at_phase = {}
    for count in range(len(moves)):
        state = play(base, *moves[:count])
        at_phase[state.phase] = state
    commands: list[Command] = [Draw(), Share(), Pass(), Respond(), MarkSupported()]
    commands += [MarkStung(), NameHurt(), Repair(), LetGo(), Forgive(), NotYet()]
    example = {type(command): command for command in commands}
    covered = 0
    for row in TRANSITIONS:
        if row.phase not in IN_PLAY or row.command is None:
            continue
        state = at_phase[row.phase]
        seat = state.listener if row.actor is Actor.LISTENER else state.sharer
        after, events = run(state, (seat, example[row.command]))
        assert isinstance(events[0], row.event)
        assert after.phase is (row.then or state.phase)
        covered += 1
    assert covered == len(example)
