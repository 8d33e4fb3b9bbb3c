"""One game between two seats: commands go through the engine, events into the store.

The room makes each seat's view: the table plus that seat's own private choices.
The shared-terminal mode uses a room in-process; the relay holds one per code.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Sequence

from reciprocity.deck import Deck
from reciprocity.engine import (
    Command,
    Event,
    FacilitatorCommand,
    GameState,
    Join,
    LevelChanged,
    Outcome,
    Phase,
    Seat,
    TurnEnded,
    apply,
    decide,
    decide_for_facilitator,
    drawable_levels,
    legal_commands,
    new_game,
    replay,
)
from reciprocity.engine.rules import FACILITATOR_EVENTS
from reciprocity.engine.summary import Summary, summarize
from reciprocity.game.narrate import notice
from reciprocity.protocol import CardView, PartnerView, PrivateView, SeatView
from reciprocity.records.store import Store


class Room:
    """A game in progress. `submit` raises IllegalMove and changes nothing for a bad command."""

    def __init__(
        self,
        game_id: str,
        state: GameState,
        store: Store | None,
        log: Sequence[tuple[float, Event]] = (),
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.id = game_id
        self.state = state
        self.store = store
        self.log = list(log)
        self.clock = clock
        self.notice: str | None = None
        self.last_outcome: Outcome | None = None

    @classmethod
    def create(
        cls,
        deck: Deck,
        store: Store | None,
        *,
        checkin: bool = True,
        mode: str = "local",
        seed: int | None = None,
        clock: Callable[[], float] = time.time,
    ) -> Room:
        """A new game, logged in the store when there is one."""
        game_id = secrets.token_hex(4)
        seed = secrets.randbelow(2**31) if seed is None else seed
        if store is not None:
            store.create_game(game_id, deck, seed, checkin, mode)
        return cls(game_id, new_game(deck, seed, checkin=checkin), store, clock=clock)

    @classmethod
    def resume(cls, store: Store, game_id: str) -> Room:
        """A game brought back from its logged events."""
        stored = store.load(game_id)
        log = [(at, event) for _, at, event in stored.events]
        start = new_game(stored.deck, stored.seed, checkin=stored.checkin)
        return cls(game_id, replay(start, (event for _, event in log)), store, log)

    @property
    def seq(self) -> int:
        """How many events the room has committed."""
        return len(self.log)

    def submit(self, seat: Seat, command: Command) -> list[Event]:
        """Decide, commit, then apply: an event counts only once it is in the store."""
        return self._commit(decide(self.state, seat, command), command)

    def check_join(self, seat: Seat, name: str) -> None:
        """Raise IllegalMove, as `submit` would, if `seat` cannot join as `name` now."""
        decide(self.state, seat, Join(name=name))

    @staticmethod
    def check_first_join(deck: Deck, name: str) -> None:
        """Raise IllegalMove if `name` could not take the first seat of a new game of `deck`."""
        decide(new_game(deck, 0), Seat.A, Join(name=name))

    def steer(self, command: FacilitatorCommand) -> list[Event]:
        """A facilitator's command, decided, committed and applied like a seat's."""
        return self._commit(decide_for_facilitator(self.state, command), command)

    @property
    def last_active(self) -> float | None:
        """When the room last changed (its latest event), or None before anything happened."""
        return self.log[-1][0] if self.log else None

    @property
    def last_played(self) -> float | None:
        """When the pair last did something themselves: a facilitator's command is not it,
        nor a move on the facilitator's clock."""
        played = (at for at, event in reversed(self.log) if _played(event))
        return next(played, None)

    def _commit(self, events: list[Event], command: Command | FacilitatorCommand) -> list[Event]:
        at = self.clock()
        if self.store is not None:
            self.store.append(self.id, self.seq + 1, events, at)
        before = self.state
        for event in events:
            self.state = apply(self.state, event)
            self.log.append((at, event))
        self.notice = notice(before, self.state, command, events)
        ended = [event.outcome for event in events if isinstance(event, TurnEnded)]
        self.last_outcome = ended[-1] if ended else None
        if self.state.phase is Phase.FINISHED and self.store is not None:
            self.store.finish(self.id)
        return events

    def summary(self) -> Summary:
        """What has happened so far."""
        return summarize(self.log)

    def view(self, seat: Seat) -> SeatView:
        """What one seat may see now."""
        state = self.state
        me = state.partner(seat)
        card = None
        if state.card is not None and state.card_level is not None:
            found = state.deck.card(state.card)
            card = CardView(id=found.id, text=found.text, kind=found.kind, level=state.card_level)
        ended = state.phase in (Phase.CLOSING, Phase.FINISHED)
        return SeatView(
            seq=self.seq,
            seat=seat,
            phase=state.phase,
            deck_id=state.deck.id,
            deck_title=state.deck.title,
            level_names=tuple(level.name for level in state.deck.levels),
            tags=tuple(state.deck.tags()),
            level=state.level,
            ceiling=state.ceiling,
            ceiling_text=ceiling_text(state),
            advance_after=state.deck.advance_after,
            sharer=state.sharer,
            a=_partner_view(state, Seat.A),
            b=_partner_view(state, Seat.B),
            card=card,
            drawable=tuple(drawable_levels(state)),
            legal=tuple(sorted(legal_commands(state, seat))),
            passed_this_turn=state.passed_this_turn,
            paused=state.paused,
            held=state.held,
            open_level=state.open_level,
            ready=tuple(sorted(state.ready)),
            checkin=state.checkin,
            turns=state.turns,
            ended_by=state.ended_by,
            notice=self.notice,
            last_outcome=self.last_outcome,
            me=PrivateView(
                limit=me.limit,
                lines=tuple(sorted(me.lines)),
                ios_before=me.ios_before,
                ios_after=me.ios_after,
            ),
            summary=self.summary() if ended else None,
        )


def ceiling_text(state: GameState) -> str:
    """The ceiling in words that never say whose limit it is."""
    limits = {p.limit for p in (state.a, state.b)}
    if None in limits:
        return "limits not chosen yet"
    if len(limits) == 1:
        return f"you both chose level {state.ceiling}"
    return f"you are playing up to level {state.ceiling}"


def _partner_view(state: GameState, seat: Seat) -> PartnerView:
    partner = state.partner(seat)
    return PartnerView(
        name=partner.name,
        limit_set=partner.limit is not None,
        checked_in=partner.checked_in,
        checked_out=partner.checked_out,
        progress=partner.progress,
    )


def _played(event: Event) -> bool:
    """The event says something the pair did (not the facilitator, nor the clock)."""
    clocked = isinstance(event, LevelChanged) and event.reason == "clock"
    return type(event) not in FACILITATOR_EVENTS and not clocked
