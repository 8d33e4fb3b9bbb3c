"""The engine driven by Hypothesis: random legal and illegal commands from both seats, with the
game's invariants checked after every step."""

from __future__ import annotations

from collections import Counter
from dataclasses import fields
from typing import NamedTuple, get_args

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
)

from reciprocity.deck import Card, Deck, Level
from reciprocity.engine import (
    IN_PLAY,
    CardDealt,
    CardPassed,
    CheckIn,
    Command,
    Draw,
    End,
    EndSession,
    Event,
    FacilitatorCommand,
    Felt,
    Forgive,
    GameEnded,
    GameState,
    Hold,
    IllegalMove,
    Join,
    LetGo,
    LevelChanged,
    MarkStung,
    MarkSupported,
    NameHurt,
    NotYet,
    OpenLevel,
    Outcome,
    Pass,
    Pause,
    Phase,
    Ready,
    Release,
    Repair,
    Respond,
    Seat,
    SetLimit,
    Share,
    TurnEnded,
    apply,
    decide,
    decide_for_facilitator,
    drawable_levels,
    legal_commands,
    new_game,
    replay,
)

TAGS = ("family", "loss")
LEAKS = ("IllegalMove", "Traceback", "Error", "Exception", "Phase.", "Seat.", "None")


def build_deck(levels: int, cards: int, advance_after: int) -> Deck:
    """A small deck: every third card is about family, every fourth one about loss."""
    return Deck(
        id="machine-deck",
        title="Machine deck",
        advance_after=advance_after,
        levels=tuple(
            Level(
                name=f"Level {lv}",
                intent=f"Depth {lv}",
                cards=tuple(
                    Card(
                        id=f"l{lv}-{n}",
                        text=f"Card {n} at level {lv}?",
                        tags=tuple(
                            tag for tag, every in zip(TAGS, (3, 4), strict=True) if n % every == 0
                        ),
                    )
                    for n in range(1, cards + 1)
                ),
            )
            for lv in range(1, levels + 1)
        ),
    )


def snapshot(state: GameState) -> tuple[object, ...]:
    """Every field of the state, to show that nothing changed."""
    return tuple(getattr(state, f.name) for f in fields(state))


seats = st.sampled_from(Seat)
lines = st.frozensets(st.sampled_from([*TAGS, "not-a-tag"]), max_size=3)
any_command: st.SearchStrategy[Command] = st.one_of(
    st.builds(Join, name=st.sampled_from(["Ana", "Ben", "ana", " Ben ", "", "  ", "z" * 25])),
    st.builds(SetLimit, limit=st.integers(-1, 6), lines=lines),
    st.builds(CheckIn, score=st.none() | st.integers(-1, 9)),
    st.builds(Draw, level=st.none() | st.integers(-1, 6)),
    st.builds(MarkSupported, felt=st.frozensets(st.sampled_from(Felt))),
    st.sampled_from(
        [
            Share(),
            Pass(),
            Respond(),
            MarkStung(),
            NameHurt(),
            Repair(),
            LetGo(),
            Forgive(),
            NotYet(),
            Pause(),
            Ready(),
            End(),
            End(partner_away=True),
        ]
    ),
)

facilitator_commands: st.SearchStrategy[FacilitatorCommand] = st.one_of(
    st.builds(OpenLevel, level=st.integers(-1, 6), moves=st.booleans()),
    st.sampled_from([Hold(), Release(), EndSession()]),
)


class Shape(NamedTuple):
    """The deck and options of one game."""

    levels: int
    cards: int
    advance_after: int
    seed: int
    checkin: bool
    facilitated: bool


shapes = st.builds(
    Shape,
    levels=st.integers(1, 4),
    cards=st.integers(2, 8),
    advance_after=st.integers(1, 3),
    seed=st.integers(0, 2**32),
    checkin=st.booleans(),
    facilitated=st.booleans(),
)


class EngineMachine(RuleBasedStateMachine):
    """Plays games through `decide` and `apply` only, keeping the log to check against."""

    deck: Deck
    seed: int
    checkin: bool
    state: GameState
    log: list[Event]
    outcomes: Counter[str]  # per dealt card, how many outcomes it has had
    last_turn_sharer: Seat | None
    at_end: GameState | None  # the state just before the game ended
    deepest: int = 1  # across the games of one example, for the statistics
    turns_ended: int = 0

    def teardown(self) -> None:
        self._the_state_is_the_fold_of_the_log()
        event(f"deepest level reached: {self.deepest}")
        event(f"turns ended: {min(self.turns_ended // 5 * 5, 20)}+")

    # --- starting games --------------------------------------------------------------

    @initialize(shape=shapes)
    def start(self, shape: Shape) -> None:
        self._new_game(shape)

    def _new_game(self, shape: Shape) -> None:
        if hasattr(self, "state"):
            self._the_state_is_the_fold_of_the_log()  # of the game just finished
        self.deck = build_deck(shape.levels, shape.cards, shape.advance_after)
        self.seed, self.checkin = shape.seed, shape.checkin
        self.state = new_game(self.deck, shape.seed, checkin=shape.checkin)
        self.log = []
        self.outcomes = Counter()
        self.last_turn_sharer = None
        self.at_end = None
        if shape.facilitated:
            # A facilitated session opens level 1 to everyone before anyone joins.
            self._do_facilitator(OpenLevel(level=1), expect_legal=True)

    # --- rules ------------------------------------------------------------------------

    @rule(seat=seats, command=any_command)
    def anything(self, seat: Seat, command: Command) -> None:
        """Any command from either seat, mostly illegal: the engine must refuse it cleanly."""
        self._do(seat, command)

    @rule(command=facilitator_commands)
    def facilitate(self, command: FacilitatorCommand) -> None:
        """A facilitator's command: open a level, pause or release everyone, end the session."""
        self._do_facilitator(command)

    # Hypothesis tries rules with fewer arguments first; `advance` leads, so that even its
    # simplest examples play games.
    @rule(data=st.data())
    def advance(self, data: st.DataObject) -> None:
        """A run of moves that the rules allow now, so that games get somewhere, with now and
        then a pause or a changed limit from either seat; after a game has finished, a new
        one."""
        if self.state.phase is Phase.FINISHED:
            event("started again")
            self._new_game(data.draw(shapes))
        for _ in range(data.draw(st.integers(1, 25))):
            if self.state.held and self.state.phase in IN_PLAY:
                self._do_facilitator(Release(), expect_legal=True)
            moves = self._turn_moves(data)
            if not moves:
                return
            state = self.state
            if state.paused or not (state.phase is Phase.SETUP or state.phase in IN_PLAY):
                seat, command = data.draw(st.sampled_from(moves))
            else:
                # One time in nine or so, a pause or a changed limit instead.
                extras: list[tuple[Seat, Command] | str] = ["pause", "limit"]
                choice = data.draw(st.sampled_from(moves * max(1, 16 // len(moves)) + extras))
                if choice == "pause":
                    seat, command = data.draw(seats), Pause()
                elif choice == "limit":
                    limit = self._limit(data)
                    seat, command = data.draw(seats), SetLimit(limit=limit, lines=data.draw(lines))
                else:
                    assert isinstance(choice, tuple)
                    seat, command = choice
            self._do(seat, command, expect_legal=True)

    @rule(seat=seats, data=st.data(), lines=lines)
    def change_limit(self, seat: Seat, data: st.DataObject, lines: frozenset[str]) -> None:
        """A partner changes their own limit and lines, at any moment until the end."""
        limit = self._limit(data)
        legal = self.state.phase not in (Phase.CLOSING, Phase.FINISHED)
        self._do(seat, SetLimit(limit=limit, lines=lines), expect_legal=legal)

    def _limit(self, data: st.DataObject) -> int:
        """A limit within the deck; the simplest is the deepest level, so play can go deep."""
        return self.deck.depth - data.draw(st.integers(0, self.deck.depth - 1))

    def _turn_moves(self, data: st.DataObject) -> list[tuple[Seat, Command]]:
        """The moves that take the game on from here, by the rules of GAME.md."""
        state = self.state
        sharer, listener = state.sharer, state.listener
        if state.phase is Phase.FINISHED:
            return []
        if state.paused:
            return [(seat, Ready()) for seat in Seat if seat not in state.ready]
        scores = st.none() | st.integers(1, 7)
        match state.phase:
            case Phase.SETUP:
                moves: list[tuple[Seat, Command]] = []
                for seat, name in zip(Seat, ("Sam", "Kit"), strict=True):
                    partner = state.partner(seat)
                    if partner.name is None:
                        moves.append((seat, Join(name=name)))
                    if partner.limit is None:
                        limit = self._limit(data)
                        moves.append((seat, SetLimit(limit=limit)))
                    if state.checkin and not partner.checked_in:
                        moves.append((seat, CheckIn(score=data.draw(scores))))
                return moves
            case Phase.DRAW:
                levels = drawable_levels(state)
                if not levels:
                    return [(sharer, End())]
                draws: list[tuple[Seat, Command]] = [(sharer, Draw(level=lv)) for lv in levels]
                return draws + ([(sharer, Draw())] if state.level in levels else [])
            # Repeats weight the choice: games mostly go well, so that they go deep too.
            case Phase.SHARE:
                return [(sharer, Share()), (sharer, Share()), (sharer, Pass())]
            case Phase.RESPOND:
                return [(listener, Respond())]
            case Phase.LAND:
                felt = data.draw(st.frozensets(st.sampled_from(Felt)))
                supported: tuple[Seat, Command] = (sharer, MarkSupported(felt=felt))
                return [supported, supported, supported, (sharer, MarkStung())]
            case Phase.NAME_HURT:
                return [(sharer, NameHurt())]
            case Phase.REPAIR:
                return [(listener, Repair()), (listener, Repair()), (listener, LetGo())]
            case Phase.FORGIVE:
                return [(sharer, Forgive()), (sharer, NotYet())]
            case Phase.CLOSING:
                return [
                    (seat, CheckIn(score=data.draw(scores)))
                    for seat in Seat
                    if not state.partner(seat).checked_out
                ]
        raise AssertionError(f"unknown phase {state.phase}")  # pragma: no cover

    # --- one command, checked ---------------------------------------------------------

    def _do_facilitator(self, command: FacilitatorCommand, *, expect_legal: bool = False) -> None:
        """A facilitator's command, checked like a seat's: it only ever holds a pair back.

        Opening a level may let a pair go deeper only by the rules' own step, once both have
        earned it (`_check_event` checks each "deeper" step); never further."""
        before, logged = self.state, len(self.log)
        self._do(None, command, expect_legal=expect_legal)
        rises = [
            happened
            for happened in self.log[logged:]
            if isinstance(happened, LevelChanged) and happened.level > before.level
        ]
        if isinstance(command, OpenLevel) and command.moves:  # levels that move on the clock
            assert all(rise.reason in ("deeper", "clock") for rise in rises)
            assert self.state.level <= max(before.level, min(command.level, self.state.reach))
        else:
            # Only the rules' own step, or a move the clock asked for earlier that waited (for
            # the turn's end, a pause or the hold), to at most that level and the reach.
            waited = before.moving_to
            for rise in rises:
                pending = rise.reason == "clock" and waited is not None
                assert rise.reason == "deeper" or pending, "the facilitator pushed a pair"
            moved = min(waited, self.state.reach) if waited is not None else before.level
            assert self.state.level <= max(before.level + 1, moved)
        assert self.state.sharer is before.sharer and self.state.turns == before.turns

    def _do(
        self,
        seat: Seat | None,
        command: Command | FacilitatorCommand,
        *,
        expect_legal: bool = False,
    ) -> None:
        before = self.state
        kept = snapshot(before)
        try:
            events = _decide(before, seat, command)
        except IllegalMove as error:
            assert not expect_legal, f"{command} from {seat} was refused: {error}"
            event("illegal command")
            message = str(error)
            assert message and message[0].isupper() and message.endswith("."), message
            assert not any(leak in message for leak in LEAKS), message
            assert not any(char in message for char in "<>{}[]_\n"), message
            # An illegal move changes nothing.
            assert self.state is before and snapshot(before) == kept
            return
        assert events, "a legal command records at least one event"
        assert snapshot(before) == kept, "decide changed the state"
        assert _decide(before, seat, command) == events, "decide is not deterministic"
        state = before
        for happened in events:
            after = apply(state, happened)
            self._check_event(state, happened, after)
            reason = f" ({happened.reason})" if isinstance(happened, LevelChanged) else ""
            event(f"event: {type(happened).__name__}{reason}")
            state = after
        self._check_step(before, seat, command, events, state)
        self.log.extend(events)
        self.state = state
        self.deepest = max(self.deepest, state.level)
        self.turns_ended += sum(isinstance(e, TurnEnded) for e in events)
        self._cheap_invariants_hold()

    def _check_event(self, state: GameState, event: Event, after: GameState) -> None:
        match event:
            case CardDealt(seat=seat, card=card, level=level):
                assert state.phase is Phase.DRAW and seat is state.sharer
                assert card not in state.dealt and card not in self.outcomes, "dealt twice"
                assert card in {c.id for c in self.deck.levels[level - 1].cards}
                assert 1 <= level <= state.reach, "dealt past the ceiling or the open level"
                tags = set(self.deck.card(card).tags)
                assert tags.isdisjoint(state.a.lines), "dealt across A's lines"
                assert tags.isdisjoint(state.b.lines), "dealt across B's lines"
                self.outcomes[card] = 0
            case CardPassed(seat=seat, card=card, level=level):
                assert (card, level) == (state.card, state.card_level)
                assert seat is state.sharer and after.sharer is seat
                self._record_outcome(card)
            case TurnEnded(sharer=sharer, card=card, level=level, outcome=outcome):
                assert (card, level) == (state.card, state.card_level)
                assert sharer is state.sharer and outcome is not Outcome.PASSED
                assert self.last_turn_sharer is not sharer, "the same partner shared twice"
                self.last_turn_sharer = sharer
                self._record_outcome(card)
                self._check_progress(state, event, after)
            case LevelChanged(level=level, reason=reason):
                if reason == "deeper":
                    enough = self.deck.advance_after
                    assert state.a.progress >= enough and state.b.progress >= enough
                    assert level == state.level + 1 <= state.reach
                elif reason == "unrepaired":
                    assert level == max(1, state.level - 1)
                elif reason == "clock":  # between turns, unpaused, within the reach
                    assert state.moving_to is not None and state.phase is Phase.DRAW
                    assert not (state.paused or state.held or state.passed_this_turn)
                    assert level == min(state.moving_to, state.reach) > state.level
                else:
                    assert level == state.reach < state.level
                assert (after.a.progress, after.b.progress) == (0, 0)
            case GameEnded() if self.at_end is None:
                # A partner who left in the closing ends it again: the game ended at the first.
                self.at_end = state

    def _record_outcome(self, card: str) -> None:
        assert card in self.outcomes, "an outcome for a card never dealt"
        self.outcomes[card] += 1
        assert self.outcomes[card] == 1, f"{card} has {self.outcomes[card]} outcomes"

    def _check_progress(self, state: GameState, event: TurnEnded, after: GameState) -> None:
        """Supported counts for the sharer, repaired also gives both a bonus step, and the
        rest change nothing; a share from a lighter level does not count."""
        sharer = event.sharer
        gain = {seat: 0 for seat in Seat}
        if event.level >= state.level:
            if event.outcome is Outcome.SUPPORTED:
                gain[sharer] = 1
            elif event.outcome is Outcome.REPAIRED:
                gain = {sharer: 2, sharer.other: 1}
        for seat in Seat:
            assert after.partner(seat).progress == state.partner(seat).progress + gain[seat]
        assert after.level == state.level

    def _check_step(
        self,
        before: GameState,
        seat: Seat | None,
        command: Command | FacilitatorCommand,
        events: list[Event],
        after: GameState,
    ) -> None:
        ended = [event for event in events if isinstance(event, TurnEnded)]
        assert len(ended) <= 1
        # Roles swap exactly when a turn ends with an outcome other than a pass.
        if ended:
            assert after.sharer is before.sharer.other
        else:
            assert after.sharer is before.sharer
        if isinstance(command, Pass):
            # A pass is free: the turn is kept and nothing is lowered. (Back at the draw, a
            # pair that was held only by a limit since raised may go deeper.)
            assert isinstance(events[0], CardPassed)
            assert all(
                isinstance(event, LevelChanged) and event.reason == "deeper" for event in events[1:]
            )
            assert after.level >= before.level
            if len(events) == 1:
                assert after.level == before.level
                assert after.a.progress == before.a.progress
                assert after.b.progress == before.b.progress
        if isinstance(command, LetGo):
            assert after.level == max(1, before.level - 1)
        if not any(isinstance(event, LevelChanged) for event in events):
            assert after.level == before.level
            assert after.a.progress >= before.a.progress
            assert after.b.progress >= before.b.progress
        if isinstance(command, SetLimit | Pause | Ready | End | FacilitatorCommand):
            assert not ended
        if before.held and before.phase in IN_PLAY and seat is not None:
            assert isinstance(command, SetLimit | Pause | Ready | End), "played on while held"

    # --- invariants -------------------------------------------------------------------

    @invariant()
    def invariants_hold(self) -> None:
        """After every rule: all the invariants, with the fold of the whole log."""
        self._cheap_invariants_hold()
        self._the_state_is_the_fold_of_the_log()
        self._legal_commands_agree_with_decide()

    def _cheap_invariants_hold(self) -> None:
        """After every legal command, also those in the middle of a rule."""
        self._level_stays_within_the_deck_and_the_ceiling()
        self._roles_alternate()
        self._each_dealt_card_gets_exactly_one_outcome()
        self._pauses_and_ends_are_consistent()

    def _level_stays_within_the_deck_and_the_ceiling(self) -> None:
        state = self.state
        assert 1 <= state.level <= self.deck.depth
        if self.at_end is None:
            assert state.level <= state.ceiling
            # Facilitator pacing: never deeper than the level open to everyone.
            assert state.open_level is None or state.level <= state.open_level
            if state.phase is Phase.SHARE:
                # A card not yet shared never lies past the ceiling: a lower limit sets it aside.
                assert state.card_level is not None and state.card_level <= state.reach
        else:
            # After the end nothing moves; at the end the level was within the ceiling.
            assert state.level == self.at_end.level <= self.at_end.ceiling

    def _roles_alternate(self) -> None:
        assert self.state.sharer is (Seat.A if self.state.turns % 2 == 0 else Seat.B)
        assert self.state.turns == sum(isinstance(e, TurnEnded) for e in self.log)

    def _each_dealt_card_gets_exactly_one_outcome(self) -> None:
        dealt = [event.card for event in self.log if isinstance(event, CardDealt)]
        assert len(dealt) == len(set(dealt)) == len(self.outcomes), "a card was dealt twice"
        assert self.state.dealt == set(dealt) and self.state.draws == len(dealt)
        waiting = {card for card, count in self.outcomes.items() if count == 0}
        # The only card without an outcome is the one on the table, or the one that was on
        # the table when the game ended.
        on_table = self.state.card if self.at_end is None else self.at_end.card
        assert waiting <= {on_table}, waiting
        if on_table is not None and self.at_end is None:
            assert self.state.phase in IN_PLAY - {Phase.DRAW}

    def _the_state_is_the_fold_of_the_log(self) -> None:
        assert replay(new_game(self.deck, self.seed, checkin=self.checkin), self.log) == self.state

    def _legal_commands_agree_with_decide(self) -> None:
        """A command is in a seat's legal set exactly when `decide` accepts it (with fitting
        arguments: a fresh name, the lightest limit, no circle, a level on offer)."""
        state = self.state
        levels = drawable_levels(state)
        for seat in Seat:
            legal = legal_commands(state, seat)
            for command in _representatives(levels[0] if levels else None):
                try:
                    decide(state, seat, command)
                except IllegalMove:
                    assert command.type not in legal, f"{command.type} is legal for {seat}"
                else:
                    assert command.type in legal, f"{command.type} is not legal for {seat}"

    def _pauses_and_ends_are_consistent(self) -> None:
        state = self.state
        if state.paused:
            assert state.phase is Phase.SETUP or state.phase in IN_PLAY
        assert state.ready <= {Seat.A, Seat.B} and (state.paused or not state.ready)
        assert not (state.held and self.at_end is not None), "held after the end"
        assert (self.at_end is not None) == (state.phase in (Phase.CLOSING, Phase.FINISHED))
        assert state.a.progress >= 0 and state.b.progress >= 0


def _representatives(level: int | None) -> list[Command]:
    """One command of each kind, with arguments `decide` accepts whenever the kind is legal."""
    return [
        Join(name="Quinn"),
        SetLimit(limit=1),
        CheckIn(score=None),
        Draw(level=level),
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
        End(partner_away=True),  # in the closing too, for a partner who left before it
    ]


def _decide(
    state: GameState, seat: Seat | None, command: Command | FacilitatorCommand
) -> list[Event]:
    """A seat's command through `decide`, a facilitator's (seat None) through its own door."""
    if seat is None:
        assert isinstance(command, OpenLevel | Hold | Release | EndSession)
        return decide_for_facilitator(state, command)
    assert not isinstance(command, OpenLevel | Hold | Release | EndSession)
    return decide(state, seat, command)


TestEngineMachine = EngineMachine.TestCase
TestEngineMachine.settings = settings(
    max_examples=80,
    stateful_step_count=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def test_every_kind_of_command_has_a_representative() -> None:
    assert {type(command) for command in _representatives(1)} == set(get_args(Command))
