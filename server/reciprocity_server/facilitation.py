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

A session runs on a relay with records of its own (`facilitate` starts one in the
facilitator's process, on a SQLite file), never on records several relays share: its
dashboard is one connection to one relay and steers every room in that relay's memory, while
a proxy sends each room number to whichever relay its hash picks, and the records keep one
session at most. If the facilitator's process dies, its relay dies with it, and
`facilitate --resume` brings back the relay, the session, its clock and its rooms from the
file; the players' screens resume at the same address (server/README.md, "Scaling out").

The session's clock (`clock.SessionClock`) is the relay's too, kept beside the session
(`RelayRecords.keep_clock`): `pace` starts, holds and steps it, the shell's `tick` moves it on,
and every change goes to the dashboards (`clock`) and to each player's view (`SetTime`).
`add` makes more rooms during the session, for pairs who came late.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from reciprocity.deck import Deck
from reciprocity.engine import (
    CardPassed,
    EndSession,
    Event,
    FacilitatorCommand,
    Hold,
    IllegalMove,
    OpenLevel,
    Outcome,
    Phase,
    Release,
    TurnEnded,
)
from reciprocity.game.facilitation import MAX_PAIRS
from reciprocity.pacing_wire import (
    AddRooms,
    Pace,
    PaceAction,
    SetTime,
)
from reciprocity.protocol import (
    Announcement,
    Error,
    FacilitatorLogin,
    RoomsAdded,
    RoomState,
    RoomStatus,
    SessionStatus,
    TurnPlayed,
)
from reciprocity.records.store import StoreError
from reciprocity_server.clock import SessionClock
from reciprocity_server.limits import Limits
from reciprocity_server.outputs import NOT_SAVED, Output, Send, error
from reciprocity_server.rooms import Peer, RelayRoom
from reciprocity_server.storage import RelayRecords, token_hash

log = logging.getLogger("reciprocity_server")

NOT_FACILITATOR = error("not_facilitator", "Only the facilitator of this session can do that.")
TOO_MANY_ROOMS = error("illegal", f"A session has at most {MAX_PAIRS} rooms.")

#: What the relay calls when a room's events were committed: the outputs to send for it.
Changed = Callable[["RelayRoom", list[Event]], list[Output]]


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
    """The session this relay runs, if any, its clock, and the dashboards watching it. It
    reads the core's `rooms` by number, makes a room with `new_room`, and tells the time with
    `clock` (seconds since the epoch)."""

    def __init__(
        self,
        rooms: Mapping[int, RelayRoom],
        limits: Limits,
        store: RelayRecords,
        clock: Callable[[], float],
        new_room: Callable[[Deck], RelayRoom | Error],
    ) -> None:
        self.rooms = rooms
        self.limits = limits
        self.store = store
        self.now = clock
        self.new_room = new_room
        self.session: Session | None = None
        self.clock: SessionClock | None = None
        self.dashboards: set[int] = set()
        #: Connections allowed per address before a session lets its players in.
        self._connections = limits.quotas.connections

    def start(
        self, deck: Deck, pairs: int, seconds: float | None = None, *, auto_start: bool = False
    ) -> tuple[str, list[int]]:
        """A session of `pairs` new rooms with `deck`, level 1 open, and a clock of `seconds`
        a level (none without); returns the facilitator's secret token and the rooms'
        numbers. Raises `StoreError` if the rooms cannot be recorded, and `RuntimeError` on
        records other relays share (a session runs on a relay of its own)."""
        if self.store.shared:
            raise RuntimeError("a facilitated session runs on a relay with records of its own")
        rooms = self._make(deck, pairs, OpenLevel(level=1))
        token = secrets.token_urlsafe(32)
        numbers = tuple(live.number for live in rooms)
        game_ids = frozenset(live.room.id for live in rooms)
        self.session = Session(deck, numbers, game_ids, token_hash(token))
        self.store.keep_session(token_hash(token), [(live.number, live.room.id) for live in rooms])
        self.clock = SessionClock(
            deck.depth, seconds, moves=deck.move_on_clock, auto_start=auto_start
        )
        self.store.keep_clock(self.clock.dumps())
        self._welcome(pairs)
        log.info("session started: %d room(s) with deck %s", len(rooms), deck.id)
        return token, list(numbers)

    def _make(self, deck: Deck, count: int, opening: OpenLevel) -> list[RelayRoom]:
        """`count` new rooms for the session, each with `opening` steered in."""
        rooms: list[RelayRoom] = []
        for _ in range(count):
            live = self.new_room(deck)
            if isinstance(live, Error):
                raise StoreError(live.message)
            live.room.steer(opening)
            rooms.append(live)
        return rooms

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
        deck = back[0].room.state.deck
        self.session = Session(deck, numbers, game_ids, stored.token_hash)
        kept = self.store.kept_clock()
        opened = max(live.room.state.open_level or 1 for live in back)
        # A session kept before the clock was the relay's has none: levels open by hand.
        self.clock = SessionClock.loads(kept) if kept else SessionClock(deck.depth, None)
        self.clock = replace(self.clock, open_level=max(opened, self.clock.open_level))
        self._welcome(len(numbers))
        log.info("session restored: %d of %d room(s)", len(back), len(numbers))
        return len(back)

    def _welcome(self, pairs: int) -> None:
        """A session's players often share one address (a school's, an office's): let them in."""
        quotas = self.limits.quotas
        wanted = 2 * pairs + self._connections
        self.limits.quotas = replace(quotas, connections=max(quotas.connections, wanted))

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
            clock=self._clock().status(self.now()),
        )
        played = [turn for live in self.session_rooms() for turn in turns_played(live)]
        return [Send(conn, status), *(Send(conn, turn) for turn in played)]

    def leave(self, conn: int) -> None:
        """A connection closed: if it was a dashboard, it is sent no more rows."""
        self.dashboards.discard(conn)

    def steer(self, command: FacilitatorCommand, changed: Changed) -> list[Output]:
        """The facilitator's command, in every room of the session that can take it; what
        each room that changed sends is `changed(room, events)`. The clock follows it: it
        stands still while everyone is paused, counts a level afresh once one opens, and
        stops when the session ends."""
        outputs = self._follow(command)
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

    # --- the clock, and more rooms -----------------------------------------------------------

    def ask(self, conn: int, request: Pace | AddRooms, changed: Changed) -> list[Output]:
        """The dashboard on `conn` asks something of the session: see `pace` and `add`."""
        if isinstance(request, Pace):
            return self.pace(request.action, changed)
        return self.add(conn, request.count)

    def pace(self, action: PaceAction, changed: Changed) -> list[Output]:
        """The facilitator's word to the clock: start, hold, go on, or the next level now."""
        clock, now = self._clock(), self.now()
        if clock.ended:
            return []
        match action:
            case "start":
                return self._set(clock.start(now), changed)
            case "hold" | "go_on":
                return self._set(clock.hold(now, action == "hold"), changed)
            case "next" if clock.open_level < clock.depth:
                return self.steer(OpenLevel(level=clock.open_level + 1, moves=clock.moves), changed)
        return []

    def tick(self, changed: Changed) -> list[Output]:
        """What the clock does by itself, now: start once every pair is seated (when asked
        to), open the next level when a level's time is up, and end the session after the
        last. The relay's shell calls it every second."""
        clock, now = self.clock, self.now()
        if clock is None:
            return []
        if clock.state == "waiting" and clock.auto_start and self._everyone_seated():
            log.info("session: every pair is seated; the clock starts")
            return self._set(clock.start(now), changed)
        match clock.step(now):
            case "open":
                return self.pace("next", changed)
            case "end":
                log.info("session: the last level's time is up")
                return self.steer(EndSession(), changed)
        return []

    def set_time(self, live: RelayRoom) -> SetTime | None:
        """The time left in the set, for the views of a session room's players."""
        if self.clock is None or self.session is None or not self.session.holds(live):
            return None
        return self.clock.set_time(self.now())

    def _follow(self, command: FacilitatorCommand) -> list[Output]:
        """The clock after the facilitator's command, before the rooms' views are sent."""
        clock, now = self._clock(), self.now()
        match command:
            case OpenLevel(level=level):
                clock = clock.opened(level, now)
            case Hold() | Release():
                clock = clock.pause(now, isinstance(command, Hold))
            case EndSession():
                clock = clock.end()
        return self._set(clock, None)

    def _set(self, clock: SessionClock, changed: Changed | None) -> list[Output]:
        """Keep the clock, and tell the dashboards; with `changed`, every room's players too."""
        self.clock = clock
        try:
            self.store.keep_clock(clock.dumps())
        except StoreError as failure:
            log.error("session: %s", failure)
        status = clock.status(self.now())
        outputs: list[Output] = [Send(conn, status) for conn in self.dashboards]
        if changed is not None:
            for live in self.session_rooms():
                outputs += changed(live, [])
        return outputs

    def _clock(self) -> SessionClock:
        if self.clock is None:  # only a session has a clock, and only it is paced
            raise RuntimeError("no session is running")
        return self.clock

    def _everyone_seated(self) -> bool:
        rooms = self.session_rooms()
        return bool(rooms) and all(len(live.tokens) == 2 for live in rooms)

    def add(self, conn: int, count: int) -> list[Output]:
        """`count` more rooms, for pairs who came late, at the level the clock has reached;
        their first rows go to the dashboard that asked, which makes their codes' words."""
        session, clock = self.session, self._clock()
        if session is None or clock.ended:
            return [Send(conn, error("illegal", "The session has ended."))]
        if len(session.numbers) + count > MAX_PAIRS:
            return [Send(conn, TOO_MANY_ROOMS)]
        try:
            rooms = self._make(
                session.deck, count, OpenLevel(level=clock.open_level, moves=clock.moves)
            )
        except StoreError:
            return [Send(conn, error("server", NOT_SAVED))]
        numbers = session.numbers + tuple(live.number for live in rooms)
        game_ids = session.game_ids | {live.room.id for live in rooms}
        self.session = replace(session, numbers=numbers, game_ids=game_ids)
        pairs = [(live.number, live.room.id) for live in self.session_rooms()]
        try:
            self.store.keep_session(session.token_hash, pairs)
        except StoreError as failure:
            log.error("session: %s", failure)
        self._welcome(len(numbers))
        log.info("session: %d room(s) added", len(rooms))
        return [Send(conn, RoomsAdded(rooms=tuple(room_status(live) for live in rooms)))]

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
        return "ended" if live.tokens else "unused"  # unused: the session ended, nobody came
    if any(seat not in live.conns for seat in live.tokens):
        return "reconnecting"
    if len(live.tokens) < 2 or game.phase is Phase.SETUP:
        return "waiting"
    if game.paused or game.held:
        return "paused"
    return "playing"
