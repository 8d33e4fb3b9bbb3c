"""One game between two seats: commands go through the engine, events into the store.

The room makes each seat's view: the table plus that seat's own private choices.
The shared-terminal mode uses a room in-process; the relay holds one per code.
"""

from __future__ import annotations

import secrets
import time
import weakref
from collections.abc import Callable, Sequence
from typing import Any

from pydantic_core import to_jsonable_python

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
    decide,
    decide_for_facilitator,
    decided,
    drawable_levels,
    legal_commands,
    new_game,
    replay,
)
from reciprocity.engine.rules import FACILITATOR_EVENTS
from reciprocity.engine.summary import Summary, summarize
from reciprocity.game.narrate import notice
from reciprocity.records.store import EventLog
from reciprocity.seat_view import SeatView


class Room:
    """A game in progress. `submit` raises IllegalMove and changes nothing for a bad command."""

    def __init__(
        self,
        game_id: str,
        state: GameState,
        store: EventLog | None,
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
        store: EventLog | None,
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
    def resume(cls, store: EventLog, game_id: str) -> Room:
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
        events, after = decided(self.state, seat, command)
        return self._commit(events, command, after)

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

    def _commit(
        self,
        events: list[Event],
        command: Command | FacilitatorCommand,
        after: GameState | None = None,
    ) -> list[Event]:
        """Store the events, then apply them (`after`: the state they lead to, if known)."""
        at = self.clock()
        if self.store is not None:
            self.store.append(self.id, self.seq + 1, events, at)
        before = self.state
        self.state = after if after is not None else replay(before, events)
        self.log.extend((at, event) for event in events)
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
        return SeatView.model_validate({**self.table(), **self.own(seat)})

    def table(self) -> dict[str, Any]:
        """The part of a view that is the same for both seats, as JSON values (each partner's
        `connected` is left for the relay to say)."""
        state = self.state
        card = None
        if state.card is not None and state.card_level is not None:
            found = state.deck.card(state.card)
            card = {
                "id": found.id,
                "text": found.text,
                "kind": found.kind,
                "level": state.card_level,
            }
        ended = state.phase in (Phase.CLOSING, Phase.FINISHED)
        return {
            "type": "view",
            "seq": self.seq,
            "phase": state.phase,
            **_deck_part(state.deck),
            "level": state.level,
            "ceiling": state.ceiling,
            "ceiling_text": ceiling_text(state),
            "sharer": state.sharer,
            "a": _partner_view(state, Seat.A),
            "b": _partner_view(state, Seat.B),
            "card": card,
            "drawable": drawable_levels(state),
            "passed_this_turn": state.passed_this_turn,
            "paused": state.paused,
            "held": state.held,
            "open_level": state.open_level,
            "moving_to": state.moving_to,
            "ready": sorted(state.ready),
            "checkin": state.checkin,
            "turns": state.turns,
            "ended_by": state.ended_by,
            "notice": self.notice,
            "last_outcome": self.last_outcome,
            "summary": to_jsonable_python(self.summary()) if ended else None,
        }

    def own(self, seat: Seat) -> dict[str, Any]:
        """The part of a view that is one seat's own, as JSON values: its seat, the commands
        it may send, and its private choices."""
        me = self.state.partner(seat)
        return {
            "seat": seat,
            "legal": sorted(legal_commands(self.state, seat)),
            "me": {
                "limit": me.limit,
                "lines": sorted(me.lines),
                "ios_before": me.ios_before,
                "ios_after": me.ios_after,
            },
        }


#: Each deck's part of a view, made once and shared by every room with that deck, by the
#: deck's identity (a deck's own hash reads every card); an entry goes with its deck.
_DECK_PARTS: dict[int, tuple[weakref.ref[Deck], dict[str, Any]]] = {}


def _deck_part(deck: Deck) -> dict[str, Any]:
    key = id(deck)
    found = _DECK_PARTS.get(key)
    if found is not None and found[0]() is deck:
        return found[1]
    part = {
        "deck_id": deck.id,
        "deck_title": deck.title,
        "level_names": [level.name for level in deck.levels],
        "tags": deck.tags(),
        "advance_after": deck.advance_after,
    }
    _DECK_PARTS[key] = (weakref.ref(deck, lambda _: _DECK_PARTS.pop(key, None)), part)
    return part


def ceiling_text(state: GameState) -> str:
    """The ceiling in words that never say whose limit it is."""
    limits = {p.limit for p in (state.a, state.b)}
    if None in limits:
        return "limits not chosen yet"
    if len(limits) == 1:
        return f"you both chose level {state.ceiling}"
    return f"you are playing up to level {state.ceiling}"


def _partner_view(state: GameState, seat: Seat) -> dict[str, Any]:
    partner = state.partner(seat)
    return {
        "name": partner.name,
        "limit_set": partner.limit is not None,
        "checked_in": partner.checked_in,
        "checked_out": partner.checked_out,
        "progress": partner.progress,
        "connected": True,
    }


def _played(event: Event) -> bool:
    """The event says something the pair did (not the facilitator, nor the clock)."""
    clocked = isinstance(event, LevelChanged) and event.reason == "clock"
    return type(event) not in FACILITATOR_EVENTS and not clocked
