"""Facilitated sessions: one facilitator paces many rooms from a dashboard.

A session's rooms are made by the relay (`Relay.start_session`), each with level 1 open. The
facilitator's process holds the session's secret token; the relay keeps only its hash. A
connection whose hello carries the token becomes a dashboard, sent each room's `RoomStatus`
row (outcomes and counts only) whenever the room changes, each turn as it ends (`TurnPlayed`:
card ids and outcomes, for the facilitator's export), and the key steps of each room's
first joiner: the facilitator's program knows every code, so it checks a first joiner as a
seated screen checks a second. `steer` and `announce` from any other connection are refused.

The session is kept in the relay's records (`RelayRecords.keep_session`), so a relay restarted
on them (`reciprocity facilitate --resume`) brings it back with its rooms: the facilitator's
program logs in again with the token it kept.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from reciprocity.deck import Deck
from reciprocity.engine import (
    CardPassed,
    Event,
    FacilitatorCommand,
    IllegalMove,
    Outcome,
    Phase,
    TurnEnded,
)
from reciprocity.protocol import (
    Announcement,
    FacilitatorLogin,
    RoomState,
    RoomStatus,
    SessionStatus,
    TurnPlayed,
)
from reciprocity.records.store import StoreError
from reciprocity_server.limits import Limits
from reciprocity_server.outputs import Output, Send, error
from reciprocity_server.rooms import Peer, RelayRoom
from reciprocity_server.storage import RelayRecords, token_hash

log = logging.getLogger("reciprocity_server")

NOT_FACILITATOR = error("not_facilitator", "Only the facilitator of this session can do that.")


@dataclass(frozen=True, slots=True)
class Session:
    """A facilitated session: its deck, its rooms by number, and the hash of its secret token.

    The token itself goes only to the facilitator's own process, which started the session."""

    deck: Deck
    numbers: tuple[int, ...]
    game_ids: frozenset[str]
    token_hash: str

    def holds(self, live: RelayRoom) -> bool:
        """True for a room of this session (not a later room that took an expired number)."""
        return live.room.id in self.game_ids


class Facilitation:
    """The session this relay runs, if any, and the dashboards watching it. It reads the
    core's `rooms` by number."""

    def __init__(self, rooms: Mapping[int, RelayRoom], limits: Limits, store: RelayRecords) -> None:
        self.rooms = rooms
        self.limits = limits
        self.store = store
        self.session: Session | None = None
        self.dashboards: set[int] = set()

    def start(self, deck: Deck, rooms: list[RelayRoom]) -> str:
        """Make `rooms` a session with `deck`; returns the facilitator's secret token."""
        token = secrets.token_urlsafe(32)
        numbers = tuple(live.number for live in rooms)
        game_ids = frozenset(live.room.id for live in rooms)
        self.session = Session(deck, numbers, game_ids, token_hash(token))
        self.store.keep_session(token_hash(token), [(live.number, live.room.id) for live in rooms])
        log.info("session started: %d room(s) with deck %s", len(rooms), deck.id)
        return token

    def restore(self) -> int:
        """Bring back the session the records keep, with the rooms restored already (as after
        a restart); returns how many of its rooms are back (0 when there is no session)."""
        stored = self.store.session()
        if stored is None:
            return 0
        back = [
            self.rooms[number]
            for number, game_id in stored.rooms
            if number in self.rooms and self.rooms[number].room.id == game_id
        ]
        if not back:
            log.warning("the session kept has no room left: it is not restored")
            return 0
        numbers = tuple(number for number, _ in stored.rooms)
        game_ids = frozenset(game_id for _, game_id in stored.rooms)
        self.session = Session(back[0].room.state.deck, numbers, game_ids, stored.token_hash)
        log.info("session restored: %d of %d room(s)", len(back), len(numbers))
        return len(back)

    def login(self, conn: int, peer: Peer, login: FacilitatorLogin) -> list[Output]:
        """A hello with the session's token: this connection becomes a dashboard."""
        session = self.session
        if session is None or not hmac.compare_digest(session.token_hash, token_hash(login.token)):
            return self.limits.failed(conn, peer, NOT_FACILITATOR)
        peer.facilitator = True
        self.dashboards.add(conn)
        log.info("connection %d: the facilitator's dashboard", conn)
        status = SessionStatus(
            deck_id=session.deck.id,
            deck_title=session.deck.title,
            depth=session.deck.depth,
            rooms=tuple(room_status(live) for live in self.session_rooms()),
        )
        played = [turn for live in self.session_rooms() for turn in turns_played(live)]
        return [Send(conn, status), *(Send(conn, turn) for turn in played)]

    def leave(self, conn: int) -> None:
        """A connection closed: if it was a dashboard, it is sent no more rows."""
        self.dashboards.discard(conn)

    def steer(
        self,
        command: FacilitatorCommand,
        changed: Callable[[RelayRoom, list[Event]], list[Output]],
    ) -> list[Output]:
        """The facilitator's command, in every room of the session that can take it; what
        each room that changed sends is `changed(room, events)`."""
        outputs: list[Output] = []
        count = 0
        for live in self.session_rooms():
            try:
                events = live.room.steer(command)
            except IllegalMove:
                continue  # such as a room whose game has ended
            except StoreError as failure:
                log.error("room %d: %s", live.number, failure)
                continue
            count += 1
            outputs += changed(live, events)
        log.info("session: %s in %d room(s)", command.type, count)
        return outputs

    def announce(self, text: str) -> list[Output]:
        """The facilitator's line, to every player connected; never kept or logged."""
        line = Announcement(text=text)
        outputs: list[Output] = [
            Send(player, line) for live in self.session_rooms() for player in live.conns.values()
        ]
        log.info("session: an announcement to %d player(s)", len(outputs))
        return outputs

    def rows(self, live: RelayRoom) -> list[Output]:
        """The room's row for each dashboard, when it is one of the session's."""
        if not self.dashboards or self.session is None or not self.session.holds(live):
            return []
        status = room_status(live)
        return [Send(conn, status) for conn in self.dashboards]

    def turns(self, live: RelayRoom, events: list[Event]) -> list[Output]:
        """The turns that `events` ended in a session's room, for each dashboard."""
        ended = sum(isinstance(event, TurnEnded | CardPassed) for event in events)
        if not ended or not self.dashboards or self.session is None or not self.session.holds(live):
            return []
        return [
            Send(conn, turn) for turn in turns_played(live)[-ended:] for conn in self.dashboards
        ]

    def room(self, number: int | None) -> RelayRoom | None:
        """The session's room with this number, if it is one of the session's."""
        live = self.rooms.get(number) if number is not None else None
        session = self.session
        return live if live is not None and session is not None and session.holds(live) else None

    def checkers(self, live: RelayRoom) -> list[int]:
        """The dashboards that check a session room's first joiner (the facilitator's program
        made every code); none for a room outside the session."""
        if self.session is None or not self.session.holds(live):
            return []
        return sorted(self.dashboards)

    def session_rooms(self) -> list[RelayRoom]:
        """The session's rooms still held, in the order they were made."""
        session = self.session
        if session is None:
            return []
        found = (self.rooms.get(number) for number in session.numbers)
        return [live for live in found if live is not None and session.holds(live)]


def room_status(live: RelayRoom) -> RoomStatus:
    """A room's row: outcomes and counts, and the check-ins for the export; never words,
    limits or lines."""
    game = live.room.state
    summary = live.room.summary()
    timeline = summary.timeline
    return RoomStatus(
        number=live.number,
        names=(game.a.name, game.b.name),
        state=room_state(live),
        held=game.held,
        level=game.level,
        open_level=game.open_level,
        turns=summary.turns,
        supported=summary.a.supported + summary.b.supported,
        repairs=summary.repairs,
        unrepaired=summary.unrepaired,
        passes=summary.passes,
        last_active=live.room.last_played,
        deepest_level=summary.deepest_level,
        turns_by_level=tuple(
            sum(point.level == level and point.outcome is not Outcome.PASSED for point in timeline)
            for level in range(1, game.deck.depth + 1)
        ),
        ios_before=(summary.a.ios_before, summary.b.ios_before),
        ios_after=(summary.a.ios_after, summary.b.ios_after),
    )


def turns_played(live: RelayRoom) -> list[TurnPlayed]:
    """Every turn of a room so far, in order: cards, outcomes and ticks; never words."""
    played: list[TurnPlayed] = []
    for at, event in live.room.log:
        match event:
            case TurnEnded(sharer=seat, card=card, level=level, outcome=outcome, felt=felt):
                ticks = tuple(sorted(felt))
            case CardPassed(seat=seat, card=card, level=level):
                outcome, ticks = Outcome.PASSED, ()
            case _:
                continue
        index = len(played) + 1
        played.append(
            TurnPlayed(
                number=live.number,
                index=index,
                seat=seat,
                level=level,
                card=card,
                outcome=outcome,
                felt=ticks,
                at=at,
            )
        )
    return played


def room_state(live: RelayRoom) -> RoomState:
    """How a room is doing, in a word for the dashboard."""
    game = live.room.state
    if game.phase in (Phase.CLOSING, Phase.FINISHED):
        return "ended"
    if any(seat not in live.conns for seat in live.tokens):
        return "reconnecting"
    if len(live.tokens) < 2 or game.phase is Phase.SETUP:
        return "waiting"
    if game.paused or game.held:
        return "paused"
    return "playing"
