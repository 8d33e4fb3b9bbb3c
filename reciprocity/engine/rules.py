"""The rules: `decide` turns a seat's command into events, `apply` folds an event into state.

The phase transitions of a turn live in one table, `TRANSITIONS`. Everything here is pure:
no clock, no randomness but the game's seed, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import Enum
from typing import TYPE_CHECKING, Final, get_args

from reciprocity.engine.dealing import deal, drawable_levels, passed_card
from reciprocity.engine.errors import HELD, IllegalMove
from reciprocity.engine.messages import (
    CardDealt,
    CardPassed,
    CheckedIn,
    CheckIn,
    Command,
    Draw,
    End,
    EndSession,
    Event,
    FacilitatorCommand,
    Forgive,
    GameEnded,
    GameFinished,
    GameStarted,
    Held,
    Hold,
    HurtNamed,
    Join,
    Joined,
    LetGo,
    LevelChanged,
    LevelOpened,
    LimitSet,
    MarkedReady,
    MarkStung,
    MarkSupported,
    NameHurt,
    NotYet,
    OpenLevel,
    Pass,
    Pause,
    Paused,
    Ready,
    Release,
    Released,
    Repair,
    Repaired,
    Respond,
    Responded,
    Resumed,
    SetLimit,
    Share,
    Shared,
    Stung,
    TurnEnded,
)
from reciprocity.engine.names import NameProblem, clean_name
from reciprocity.engine.pacing import going_deeper, keep_move
from reciprocity.engine.state import IN_PLAY, Felt, GameState, Outcome, Partner, Phase, Seat

if TYPE_CHECKING:
    from reciprocity.deck import Deck


class Actor(Enum):
    """Who may cause a transition."""

    SHARER = "sharer"
    LISTENER = "listener"
    EITHER = "either"
    FACILITATOR = "the facilitator"
    GAME = "the game itself"


@dataclass(frozen=True, slots=True)
class Transition:
    """One row of the table: in `phase` (None: any), `actor` may send `command`, which records
    `event`; the game then moves to `then` (None: it stays where it is)."""

    phase: Phase | None
    command: type[Command] | type[FacilitatorCommand] | None
    actor: Actor
    event: type[Event]
    then: Phase | None


#: Every phase transition of the game. `apply` takes each event's next phase from here.
TRANSITIONS: Final = (
    Transition(Phase.SETUP, Join, Actor.EITHER, Joined, None),
    Transition(Phase.SETUP, CheckIn, Actor.EITHER, CheckedIn, None),
    Transition(Phase.SETUP, None, Actor.GAME, GameStarted, Phase.DRAW),
    Transition(Phase.DRAW, Draw, Actor.SHARER, CardDealt, Phase.SHARE),
    Transition(Phase.SHARE, Share, Actor.SHARER, Shared, Phase.RESPOND),
    Transition(Phase.SHARE, Pass, Actor.SHARER, CardPassed, Phase.DRAW),
    Transition(Phase.RESPOND, Respond, Actor.LISTENER, Responded, Phase.LAND),
    Transition(Phase.LAND, MarkSupported, Actor.SHARER, TurnEnded, Phase.DRAW),
    Transition(Phase.LAND, MarkStung, Actor.SHARER, Stung, Phase.NAME_HURT),
    Transition(Phase.NAME_HURT, NameHurt, Actor.SHARER, HurtNamed, Phase.REPAIR),
    Transition(Phase.REPAIR, Repair, Actor.LISTENER, Repaired, Phase.FORGIVE),
    Transition(Phase.REPAIR, LetGo, Actor.LISTENER, TurnEnded, Phase.DRAW),
    Transition(Phase.FORGIVE, Forgive, Actor.SHARER, TurnEnded, Phase.DRAW),
    Transition(Phase.FORGIVE, NotYet, Actor.SHARER, TurnEnded, Phase.DRAW),
    Transition(None, End, Actor.EITHER, GameEnded, Phase.CLOSING),
    Transition(None, OpenLevel, Actor.FACILITATOR, LevelOpened, None),
    Transition(None, Hold, Actor.FACILITATOR, Held, None),
    Transition(None, Release, Actor.FACILITATOR, Released, None),
    Transition(None, EndSession, Actor.FACILITATOR, GameEnded, Phase.CLOSING),
    Transition(Phase.CLOSING, CheckIn, Actor.EITHER, CheckedIn, None),
    Transition(Phase.CLOSING, None, Actor.GAME, GameFinished, Phase.FINISHED),
)

#: Events only a facilitator's command records: they say nothing of the pair's own play.
FACILITATOR_EVENTS: Final = frozenset(
    row.event for row in TRANSITIONS if row.actor is Actor.FACILITATOR
) - frozenset(row.event for row in TRANSITIONS if row.actor is not Actor.FACILITATOR)

_BY_COMMAND: Final = {(t.phase, t.command): t for t in TRANSITIONS if t.command is not None}
#: Each seat command's `type` tag, as it travels on the wire.
_TAG: Final[dict[type[Command], str]] = {
    command: command.__dataclass_fields__["type"].default for command in get_args(Command)
}
#: The seat commands with no row in `TRANSITIONS`: they never change the phase.
_OFF_TABLE: Final[tuple[type[Command], ...]] = (SetLimit, Pause, Ready)
_PHASE_AFTER: Final = {t.event: t.then for t in TRANSITIONS if t.then is not None}
#: For each phase, the seat commands' rows of `TRANSITIONS` that may apply in it, with their tags.
_SEAT_ROWS: Final[dict[Phase, list[tuple[Transition, type[Command], str]]]] = {
    p: [(t, c, _TAG[c]) for t in TRANSITIONS if (c := t.command) in _TAG and t.phase in (None, p)]
    for p in Phase
}


def new_game(deck: Deck, seed: int, *, checkin: bool = True) -> GameState:
    """A game at its start, before either partner has joined."""
    return GameState(deck=deck, seed=seed, checkin=checkin)


def replay(state: GameState, events: Iterable[Event]) -> GameState:
    """Fold events into a state: a game's state is the fold of its events."""
    for event in events:
        state = apply(state, event)
    return state


def decide(state: GameState, seat: Seat, command: Command) -> list[Event]:
    """The events that a seat's command causes, or IllegalMove (and nothing changes)."""
    return decided(state, seat, command)[0]


def decided(state: GameState, seat: Seat, command: Command) -> tuple[list[Event], GameState]:
    """`decide`, with the state after its events: deciding folds them already, so a caller
    that applies them need not fold them again."""
    if state.phase is Phase.FINISHED:
        raise IllegalMove("This game has finished.")
    match command:
        case SetLimit() if state.phase is Phase.CLOSING:
            raise IllegalMove("The game has ended.")
        case SetLimit():
            events: list[Event] = [_limit_set(state, seat, command)]
        case Pause() | Ready():
            events = _pause(state, seat, command)
        case End():
            if state.phase is Phase.CLOSING and (state.ended_away or not command.partner_away):
                raise IllegalMove("The game has already ended.")
            events = [GameEnded(seat=seat, partner_away=command.partner_away)]
        case _:
            if state.held and state.phase in IN_PLAY:
                raise IllegalMove(HELD)
            if state.paused:
                raise IllegalMove("The game is paused. Press ready when you are.")
            events = _step(state, seat, command)
    after = replay(state, events)
    settled = _settle(after)
    return events + settled, replay(after, settled)


def decide_for_facilitator(state: GameState, command: FacilitatorCommand) -> list[Event]:
    """The events a facilitator's command causes in one pair's game, or IllegalMove."""
    if state.phase in (Phase.CLOSING, Phase.FINISHED):
        raise IllegalMove("This game has ended.")
    match command:
        case OpenLevel(level=level, moves=moves):
            if not 1 <= level <= state.deck.depth:
                raise IllegalMove(f"Choose a level from 1 to {state.deck.depth}.")
            if level <= (state.open_level or 0):
                raise IllegalMove(f"Level {level} is open already.")
            events: list[Event] = [LevelOpened(level=level, moves=moves)]
        case Hold():
            if state.held:
                raise IllegalMove("Everyone is paused already.")
            events = [Held()]
        case Release():
            if not state.held:
                raise IllegalMove("Nobody is paused by the facilitator.")
            events = [Released()]
        case EndSession():
            events = [GameEnded(seat=None)]
    return events + _settle(replay(state, events))


def apply(state: GameState, event: Event) -> GameState:
    """The state after an event. Never raises for an event that `decide` produced."""
    return keep_move(_apply(state, event), event)


def _apply(state: GameState, event: Event) -> GameState:
    phase = _PHASE_AFTER.get(type(event), state.phase)
    match event:
        case Joined(seat=seat, name=name):
            return state.with_partner(seat, name=name)
        case LimitSet(seat=seat, limit=limit, lines=lines):
            return state.with_partner(seat, limit=limit, lines=lines)
        case CheckedIn(seat=seat, score=score):
            if state.phase is Phase.SETUP:
                return state.with_partner(seat, checked_in=True, ios_before=score)
            return state.with_partner(seat, checked_out=True, ios_after=score)
        case CardDealt(card=card, level=level):
            dealt = state.dealt | {card}
            return replace(
                state, phase=phase, card=card, card_level=level, dealt=dealt, draws=state.draws + 1
            )
        case CardPassed():
            return replace(state, phase=phase, card=None, card_level=None, passed_this_turn=True)
        case TurnEnded():
            return _end_turn(state, event, phase)
        case LevelChanged(level=level):
            a, b = replace(state.a, progress=0), replace(state.b, progress=0)
            return replace(state, level=level, a=a, b=b)
        case Paused():
            return replace(state, paused=True, ready=frozenset())
        case MarkedReady(seat=seat):
            return replace(state, ready=state.ready | {seat})
        case Resumed():
            return replace(state, paused=False, ready=frozenset())
        case LevelOpened(level=level, moves=moves):
            return replace(state, open_level=level, moving_to=level if moves else state.moving_to)
        case Held():
            return replace(state, held=True)
        case Released():
            return replace(state, held=False)
        case GameEnded(seat=seat, partner_away=away):
            return replace(
                state,
                phase=phase,
                ended_away=away and seat is not None,
                paused=False,
                held=False,
                ready=frozenset(),
                ended_by=seat,
                card=None,
                card_level=None,
            )
    return state if phase is state.phase else replace(state, phase=phase)


def legal_commands(state: GameState, seat: Seat) -> frozenset[str]:
    """The `type` tags of the commands `decide` accepts from `seat` now, with fitting arguments.

    A command whose arguments are checked (a name, a limit, a circle, a level) is legal when
    some arguments would do. The turn steps come from `TRANSITIONS`.
    """
    if state.phase is Phase.FINISHED:
        return frozenset()
    legal = [_TAG[command] for command in _OFF_TABLE if _allowed(state, seat, command)]
    stopped = (state.held and state.phase in IN_PLAY) or state.paused
    for row, command, tag in _SEAT_ROWS[state.phase]:
        free = row.phase is None or not stopped
        if free and _may_act(state, seat, row.actor) and _allowed(state, seat, command):
            legal.append(tag)
    return frozenset(legal)


def turn_actor(phase: Phase, sharer: Seat) -> Seat | None:
    """Whose step of the turn it is in `phase` (the sharer or the listener), from `TRANSITIONS`;
    None outside a turn, where either partner may act."""
    actors = {row.actor for row in TRANSITIONS if row.phase is phase and row.command is not None}
    if actors == {Actor.SHARER}:
        return sharer
    if actors == {Actor.LISTENER}:
        return sharer.other
    return None


# --- decide, by kind of command --------------------------------------------------------


def _limit_set(state: GameState, seat: Seat, command: SetLimit) -> LimitSet:
    if not 1 <= command.limit <= state.deck.depth:
        raise IllegalMove(f"Choose a limit from 1 to {state.deck.depth}.")
    return LimitSet(seat=seat, limit=command.limit, lines=command.lines)


def _pause(state: GameState, seat: Seat, command: Pause | Ready) -> list[Event]:
    if state.phase is Phase.CLOSING:
        raise IllegalMove("The game has ended.")
    if isinstance(command, Pause):
        if state.paused:
            raise IllegalMove("The game is already paused.")
        return [Paused(seat=seat)]
    if not state.paused:
        raise IllegalMove("The game is not paused.")
    if seat in state.ready:
        raise IllegalMove(f"Waiting for {state.name(seat.other)} to be ready too.")
    both_ready = state.ready | {seat} == {Seat.A, Seat.B}
    return [MarkedReady(seat=seat), *([Resumed()] if both_ready else [])]


def _step(state: GameState, seat: Seat, command: Command) -> list[Event]:
    transition = _BY_COMMAND.get((state.phase, type(command)))
    if transition is None:
        raise IllegalMove(_not_now(state))
    if not _may_act(state, seat, transition.actor):
        raise IllegalMove(_not_yours(state, transition.actor))
    match command:
        case Join(name=name):
            return [Joined(seat=seat, name=_clean_name(state, seat, name))]
        case CheckIn(score=score):
            return [_check_in(state, seat, score)]
        case Draw(level=level):
            return [deal(state, level)]
        case Share():
            return [Shared(seat=seat)]
        case Pass():
            return [passed_card(state)]
        case Respond():
            return [Responded(seat=seat)]
        case MarkSupported(felt=felt):
            return [_turn_ended(state, Outcome.SUPPORTED, felt)]
        case MarkStung():
            return [Stung(seat=seat)]
        case NameHurt():
            return [HurtNamed(seat=seat)]
        case Repair():
            return [Repaired(seat=seat)]
        case LetGo():
            down = LevelChanged(level=max(1, state.level - 1), reason="unrepaired")
            return [_turn_ended(state, Outcome.UNREPAIRED), down]
        case Forgive():
            return [_turn_ended(state, Outcome.REPAIRED)]
        case NotYet():
            return [_turn_ended(state, Outcome.NOT_YET)]
    raise IllegalMove(_not_now(state))  # pragma: no cover - the table covers all


def _settle(state: GameState) -> list[Event]:
    """What follows by itself: starting, finishing, and keeping the level where it belongs."""
    if state.phase is Phase.SETUP and _set_up(state):
        return [GameStarted(), *_settle(apply(state, GameStarted()))]
    if state.phase is Phase.CLOSING and _closing_done(state):
        return [GameFinished()]
    events: list[Event] = []
    if state.phase in IN_PLAY and state.level > state.reach:
        events.append(LevelChanged(level=state.reach, reason="limit"))
    if state.phase is Phase.SHARE and _out_of_bounds(state):
        events.append(passed_card(state))
    deeper = going_deeper(state) if not events else None
    if deeper is not None:
        events.append(deeper)
    return events


def _closing_done(state: GameState) -> bool:
    """Both checked out (only the one who ended it, with the other away); or there is no
    check-out to do, as when none was done at the start."""
    partners: tuple[Partner, ...] = (state.a, state.b)
    if state.ended_away and state.ended_by is not None:
        partners = (state.partner(state.ended_by),)
    checked_in = state.checkin and all(p.checked_in for p in partners)
    return not checked_in or all(p.checked_out for p in partners)


def _out_of_bounds(state: GameState) -> bool:
    """The card on the table is now deeper than the pair may go, or carries a line just drawn."""
    if state.card is None:
        return False
    tags = state.deck.card(state.card).tags
    return (state.card_level or 0) > state.reach or not state.lines.isdisjoint(tags)


def _set_up(state: GameState) -> bool:
    return all(
        p.name is not None and p.limit is not None and (p.checked_in or not state.checkin)
        for p in (state.a, state.b)
    )


def _may_act(state: GameState, seat: Seat, actor: Actor) -> bool:
    return (
        actor is Actor.EITHER
        or (actor is Actor.SHARER and seat is state.sharer)
        or (actor is Actor.LISTENER and seat is state.listener)
    )


def _not_yours(state: GameState, actor: Actor) -> str:
    if actor is Actor.SHARER:
        return f"It's {state.name(state.sharer)}'s turn to share."
    return f"It's {state.name(state.listener)}'s turn to respond."


def _allowed(state: GameState, seat: Seat, command: type[Command]) -> bool:
    """The conditions `decide` puts on a command beyond its row of the table and its arguments."""
    if command is End:  # in the closing, only without a partner who is away
        return state.phase is not Phase.CLOSING or not state.ended_away
    if command is SetLimit:
        return state.phase is not Phase.CLOSING
    if command is Pause:
        return state.phase is not Phase.CLOSING and not state.paused
    if command is Ready:
        return state.phase is not Phase.CLOSING and state.paused and seat not in state.ready
    if command is CheckIn:
        partner = state.partner(seat)
        done = partner.checked_in if state.phase is Phase.SETUP else partner.checked_out
        return state.checkin and not done
    if command is Draw:
        return bool(drawable_levels(state))
    return True


def _clean_name(state: GameState, seat: Seat, name: str) -> str:
    try:
        return clean_name(name, state.partner(seat.other).name)
    except NameProblem as problem:
        raise IllegalMove(str(problem)) from None


def _check_in(state: GameState, seat: Seat, score: int | None) -> CheckedIn:
    if not state.checkin:
        raise IllegalMove("The closeness check-in is off for this game.")
    if score is not None and not 1 <= score <= 7:
        raise IllegalMove("Choose a circle from 1 to 7.")
    partner = state.partner(seat)
    done = partner.checked_in if state.phase is Phase.SETUP else partner.checked_out
    if done:
        raise IllegalMove("You have already checked in.")
    return CheckedIn(seat=seat, score=score)


def _turn_ended(
    state: GameState, outcome: Outcome, felt: frozenset[Felt] = frozenset()
) -> TurnEnded:
    assert state.card is not None and state.card_level is not None
    return TurnEnded(
        sharer=state.sharer,
        card=state.card,
        level=state.card_level,
        outcome=outcome,
        felt=felt,
    )


def _not_now(state: GameState) -> str:
    if state.phase is Phase.SETUP:
        return "The game has not started yet."
    if state.phase is Phase.CLOSING:
        return "The game has ended."
    waiting = {
        Phase.DRAW: f"waiting for {state.name(state.sharer)} to draw a card",
        Phase.SHARE: f"waiting for {state.name(state.sharer)} to share or pass",
        Phase.RESPOND: f"waiting for {state.name(state.listener)} to respond",
        Phase.LAND: f"waiting for {state.name(state.sharer)} to say how it landed",
        Phase.NAME_HURT: f"waiting for {state.name(state.sharer)} to say how it felt",
        Phase.REPAIR: f"waiting for {state.name(state.listener)} to repair or let it go",
        Phase.FORGIVE: f"waiting for {state.name(state.sharer)} to answer the repair",
    }[state.phase]
    return f"Not now: {waiting}."


# --- apply -----------------------------------------------------------------------------


def _end_turn(state: GameState, event: TurnEnded, phase: Phase) -> GameState:
    progress = {seat: state.partner(seat).progress for seat in Seat}
    if event.outcome.counts_toward_depth and event.level >= state.level:
        progress[event.sharer] += 1
        if event.outcome is Outcome.REPAIRED:
            # Both were vulnerable: each earns a bonus step.
            for seat in Seat:
                progress[seat] += 1
    return replace(
        state,
        phase=phase,
        a=replace(state.a, progress=progress[Seat.A]),
        b=replace(state.b, progress=progress[Seat.B]),
        sharer=event.sharer.other,
        card=None,
        card_level=None,
        passed_this_turn=False,
        turns=state.turns + 1,
    )
