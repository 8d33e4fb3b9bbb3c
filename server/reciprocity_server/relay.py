"""The relay's core, without sockets: rooms by code, and what to send to whom.

In the manner of h11 and websockets, the core does no I/O of its own apart from its records;
even decks are handed in, by the shell, as a lookup by id. The shell (`serve.py`) numbers each
connection, passes every frame it receives to `Relay.receive`, and carries out the returned
`Send` and `Close` outputs. All calls must come from one thread at a time; the shell makes them
on its event loop.

The relay is authoritative: it runs each game through `reciprocity.game.room.Room`, so a
command counts only once its events are committed, and each seat is sent only its own view.
Words (`say`) arrive sealed by the partners' own keys (`reciprocity.net.e2e`): they are forwarded
to the partner's connection and never parsed, stored or logged.

`Relay` routes each message to the part of the core whose job it is: `admission.py` seats
players and runs a joiner's one try at the code (a session room's first joiner is checked by
the facilitator's dashboard), `facilitation.py` runs a facilitated session, and `limits.py`
counts failed joins and errors. `rooms.py` holds what the core keeps for each room and
connection.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from reciprocity.deck import Deck
from reciprocity.engine import End, Event, GameFinished, IllegalMove, Phase, Seat
from reciprocity.game.narrate import log_lines
from reciprocity.game.room import Room
from reciprocity.pacing_wire import AddRooms, Pace
from reciprocity.protocol import (
    CLOSE_REPLACED,
    PROTOCOL_VERSION,
    Ack,
    Announce,
    CodeChecked,
    CommandMessage,
    CreateRoom,
    Error,
    FreeSeat,
    Hello,
    KeyExchange,
    Resume,
    Say,
    Steer,
    ViewPlease,
    Welcome,
    Words,
)
from reciprocity.records.store import StoreError
from reciprocity_server import wire
from reciprocity_server.admission import Admission
from reciprocity_server.facilitation import NOT_FACILITATOR, Facilitation
from reciprocity_server.leases import Leases
from reciprocity_server.limits import RATE_LIMITED, TOO_FAST, TOO_MANY_GAMES, Limits
from reciprocity_server.outputs import (
    CLOSE_EXPIRED,
    CLOSE_POLICY,
    HELLO_FIRST,
    NOT_SAVED,
    Close,
    Output,
    Send,
    error,
    record_sends,
)
from reciprocity_server.quotas import DEFAULT_QUOTAS, Quotas
from reciprocity_server.reclaim import away_end, seat_gone
from reciprocity_server.rooms import Peer, RelayRoom
from reciprocity_server.storage import RelayRecords, token_hash
from reciprocity_server.views import view_frames

log = logging.getLogger("reciprocity_server")
# Quiet unless the program configures logging (`reciprocity serve` does; a screen does not).
log.addHandler(logging.NullHandler())

#: A room nobody joined is forgotten after this many minutes without activity.
UNJOINED_MINUTES = 20.0
#: A game this many events long is ended by the relay (an evening's game has a few hundred).
MAX_EVENTS = 2000
#: The closing check-ins may add this many more; then every command is refused.
CLOSING_EVENTS = 50

NO_SUCH_ROOM = error("no_such_room", "No game has that code. Please check it with your partner.")
NOT_ADMITTED = error("hello_first", "Your partner's screen has not checked the code yet.")
TOO_LONG = "This game is as long as a game may be: it has ended."
BAD_TOKEN = error(
    "bad_token", "That game is not known here any more (it may have expired). Join with the code."
)
NUMBER_TAKEN = error("server", "That room number is taken. Please start the game again.")
SEATED = error("bad_message", "This connection already has a seat. Open another for a new game.")


class Relay:
    """The registry of rooms by code, and the routing of every client message.

    `decks` looks a deck up by id for a new room (the shell's `DeckShelf` reads them from
    disk). A room with no activity for `idle_hours` is forgotten by `expire`, which the shell
    calls now and then; so is a room whose host nobody joined, after `UNJOINED_MINUTES`.
    """

    def __init__(
        self,
        store: RelayRecords,
        decks: Callable[[str], Deck | None] = lambda deck_id: None,
        *,
        idle_hours: float = 24.0,
        quotas: Quotas = DEFAULT_QUOTAS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.decks = decks
        self.idle_seconds = idle_hours * 3600
        self.clock = clock
        self.rooms: dict[int, RelayRoom] = {}
        self._tokens: dict[str, tuple[RelayRoom, Seat]] = {}
        self._peers: dict[int, Peer] = {}
        self.limits = Limits(clock, quotas)
        self.facilitation = Facilitation(
            self.rooms,
            self.limits,
            store,
            clock,
            lambda deck: self._new_room(deck, checkin=True, mode="facilitated"),
        )
        self.admission = Admission(
            store,
            self.limits,
            self._peers,
            self._tokens,
            self._views,
            self.facilitation.checkers,
        )
        self.leases = Leases(
            store, self.rooms, self._tokens, self._peers, self.admission.mover.restore
        )

    # --- life of the relay ---------------------------------------------------------------

    def restore(self) -> int:
        """Bring back the live rooms from the records, as after a restart; returns how many."""
        for stored in self.store.rooms():
            self.leases.bring_back(stored)
        self.admission.mover.restore(self.rooms.values())
        if self.rooms:
            log.info("restored %d room(s) from %s", len(self.rooms), self.store.where)
        self.facilitation.restore()
        return len(self.rooms)

    def expire(self) -> list[Output]:
        """Forget rooms idle for too long, and close any connection still in one."""
        now = self.clock()
        outputs: list[Output] = []
        for live in [r for r in self.rooms.values() if now - r.last_active >= self._idle(r)]:
            outputs += self.leases.drop(live, CLOSE_EXPIRED, "this game has expired")
            try:
                self.store.remove_room(live.room.id)
            except StoreError as failure:
                log.error("room %d: %s", live.number, failure)
            log.info("room %d: expired after %.0f min idle", live.number, self._idle(live) / 60)
        self.leases.expire_orphans(now, self.idle_seconds, UNJOINED_MINUTES * 60)
        self.limits.forget_old()
        return outputs

    def _idle(self, live: RelayRoom) -> float:
        """How long a room may stay idle: not long while its host waits for a partner."""
        session = self.facilitation.session
        if Seat.B in live.tokens or (session is not None and session.holds(live)):
            return self.idle_seconds
        return min(self.idle_seconds, UNJOINED_MINUTES * 60)

    def start_session(
        self, deck: Deck, pairs: int, seconds: float | None = None, *, auto_start: bool = False
    ) -> tuple[str, list[int]]:
        """Start a facilitated session: `pairs` empty rooms bound to `deck`, with level 1 open
        to everyone, and a clock of `seconds` a level (`Facilitation.start`). Returns the
        facilitator's secret token and the rooms' numbers; the words of each code are for the
        facilitator's screen to add, so the relay never learns them."""
        if self.facilitation.session is not None:
            raise RuntimeError("this relay already runs a session")
        return self.facilitation.start(deck, pairs, seconds, auto_start=auto_start)

    def tick(self) -> list[Output]:
        """The session's clock moves on (the shell calls this every second)."""
        return self.facilitation.tick(self._changed)

    # --- connections ---------------------------------------------------------------------

    def connect(self, conn: int, address: str, route: int | None = None) -> None:
        """A connection opened from an address; `route` is the room number its URL names
        (`/room/7`), which a host's `create` makes its room with."""
        self._peers[conn] = Peer(address, route=route)
        log.info("connection %d: opened from %s", conn, address)

    def hello_due(self, conn: int) -> list[Output]:
        """The shell's `HELLO_SECONDS` have passed: close the connection if it has not said a
        well-formed hello, as one that never speaks only holds a descriptor."""
        peer = self._peers.get(conn)
        if peer is None or peer.greeted:
            return []
        log.info("connection %d: closed without a hello", conn)
        return [Close(conn, CLOSE_POLICY, "no hello")]

    def disconnect(self, conn: int) -> list[Output]:
        """A connection closed: its partner sees it as not connected."""
        peer = self._peers.pop(conn, None)
        if peer is None:
            return []
        log.info("connection %d: closed", conn)
        self.facilitation.leave(conn)
        live = peer.room
        if live is not None and live.joiner is not None and live.joiner.conn == conn:
            self.admission.turn_away(live, live.joiner, None)
            log.info("room %d: the joiner left before the code was checked", live.number)
            return []
        if live is None or live.conns.get(peer.seat) != conn:
            return []
        del live.conns[peer.seat]
        live.last_active = self.clock()
        log.info("room %d: seat %s disconnected", live.number, peer.seat)
        return self._views(live)

    def receive(self, conn: int, frame: str | bytes) -> list[Output]:
        """Handle one frame from a connection; never raises."""
        peer = self._peers.get(conn)
        if peer is None:
            return []
        message = wire.read(frame)
        if isinstance(message, Error):
            return self.limits.refuse(conn, peer, message)
        try:
            match message:
                case Hello():
                    return self._hello(conn, peer, message)
                case CommandMessage():
                    return self._command(conn, peer, message)
                case Say():
                    return self._say(conn, peer, message)
                case KeyExchange() if peer.facilitator:  # checking a room's first joiner
                    live = self.facilitation.room(message.number)
                    return self.admission.checker_key(conn, peer, live, message)
                case CodeChecked() if peer.facilitator:
                    live = self.facilitation.room(message.number)
                    return self.admission.checker_checked(live, message)
                case KeyExchange():
                    return self.admission.key(conn, peer, message)
                case CodeChecked():
                    return self.admission.checked(conn, peer, message)
                case Steer() if peer.facilitator:
                    return self.facilitation.steer(message.command, self._changed)
                case Announce() if peer.facilitator:
                    return self.facilitation.announce(message.text)
                case Pace() | AddRooms() if peer.facilitator:
                    return self.facilitation.ask(conn, message, self._changed)
                case FreeSeat() if peer.facilitator:
                    live = self.facilitation.room(message.number)
                    return self.admission.mover.free(live, message.seat)
                case ViewPlease():
                    return self._view_please(conn, peer)
                case Steer() | Announce() | Pace() | AddRooms() | FreeSeat():
                    return self.limits.refuse(conn, peer, NOT_FACILITATOR)
        except Exception as bug:  # a bug must cost one reply, never the relay
            log.error("connection %d: internal error (%s)", conn, type(bug).__name__)
            return [Send(conn, error("server", "Something went wrong at the relay. Sorry."))]

    # --- messages ------------------------------------------------------------------------

    def _hello(self, conn: int, peer: Peer, hello: Hello) -> list[Output]:
        peer.greeted = True
        if peer.room is not None:
            return self.limits.refuse(conn, peer, SEATED)
        if hello.version != PROTOCOL_VERSION:
            return self.limits.refuse(conn, peer, wire.version_error(hello.version))
        if hello.create is not None:
            return self._create(conn, peer, hello.create)
        if hello.resume is not None and token_hash(hello.resume.token) not in self._tokens:
            self.leases.take(token=token_hash(hello.resume.token))
        if hello.resume is not None and token_hash(hello.resume.token) in self._tokens:
            return self._resume(conn, peer, hello.resume)  # a seat's own token is never limited
        if self.limits.blocked(peer.address):
            log.info("connection %d: rate limited", conn)
            return self.limits.refuse(conn, peer, RATE_LIMITED)
        if hello.join is not None:
            number = hello.join.number
            if number not in self.rooms and peer.route == number:  # the proxy sent it here
                self.leases.take(number=number)
            live = self.rooms.get(number)
            if live is None:
                return self.limits.failed(conn, peer, NO_SUCH_ROOM)
            return self.admission.join(conn, peer, live, hello.join.name)
        if hello.facilitate is not None:
            outputs = self.facilitation.login(conn, peer, hello.facilitate)
            if peer.facilitator:  # first joiners waiting for the dashboard to check them
                for live in self.facilitation.session_rooms():
                    if live.joiner is not None and live.joiner.seat is Seat.A:
                        outputs += self.admission.waiting_keys(conn, live)
            return outputs
        assert hello.resume is not None  # a hello carries exactly one part
        return self._resume(conn, peer, hello.resume)

    def reserve(self, address: str) -> int | None:
        """A room number for a host about to create its room at `/room/NUMBER`, counted as
        a new game from its address; None if it may not have one now."""
        if not self.limits.may_create(address):
            return None
        try:
            return self.store.reserve_number(self.clock())
        except StoreError as failure:
            log.error("reserving a number: %s", failure)
            return None

    def _create(self, conn: int, peer: Peer, create: CreateRoom) -> list[Output]:
        # A host at `/room/NUMBER` was counted when it reserved the number (`reserve`).
        if peer.route is None and not self.limits.may_create(peer.address):
            log.info("connection %d: too many new games from its address", conn)
            return self.limits.refuse(conn, peer, TOO_MANY_GAMES)
        deck = self.decks(create.deck)
        if deck is None:
            return self.limits.refuse(
                conn, peer, error("unknown_deck", f"This relay has no deck called {create.deck!r}.")
            )
        try:
            Room.check_first_join(deck, create.name)
        except IllegalMove as illegal:
            return self.limits.refuse(conn, peer, error("illegal", str(illegal)))
        live = self._new_room(deck, checkin=create.checkin, mode="relay", number=peer.route)
        if isinstance(live, Error):
            return [Send(conn, live)]
        log.info("room %d: created with deck %s by connection %d", live.number, deck.id, conn)
        return self.admission.seat_first(conn, peer, live, create.name)

    def _new_room(
        self, deck: Deck, *, checkin: bool, mode: str, number: int | None = None
    ) -> RelayRoom | Error:
        """A new room, recorded, with the `number` its host reserved or else a fresh one from
        the records (unique across every relay on them); the one place rooms are numbered."""
        now = self.clock()
        if number in self.rooms:
            return NUMBER_TAKEN
        try:
            number = number or self.store.reserve_number(now)
            if number is None:
                return error("server", "This relay is full. Please try again later.")
            room = Room.create(deck, self.store, checkin=checkin, mode=mode)
            self.store.add_room(room.id, number, now)
        except StoreError as failure:
            log.error("a new room: %s", failure)
            return error("server", NOT_SAVED)
        live = RelayRoom(number, room, now)
        self.rooms[number] = live
        return live

    def _resume(self, conn: int, peer: Peer, resume: Resume) -> list[Output]:
        found = self._tokens.get(token_hash(resume.token))
        if found is None:
            return self.limits.failed(conn, peer, BAD_TOKEN)
        live, seat = found
        if token_hash(resume.token) in live.moved:  # taken back with the code, or freed
            return self.limits.refuse(conn, peer, seat_gone(live, seat))
        outputs: list[Output] = []
        old = live.conns.get(seat)
        if old is not None:
            self._peers[old].room = None
            outputs.append(Close(old, CLOSE_REPLACED, "this seat was resumed elsewhere"))
        newer = max(0, live.room.seq - resume.last_seq)
        log.info(
            "room %d: seat %s resumed (connection %d, %d event(s) newer)",
            live.number,
            seat,
            conn,
            newer,
        )
        peer.room, peer.seat = live, seat
        live.conns[seat] = conn
        live.last_active = self.clock()
        welcome = Welcome(number=live.number, seat=seat, token=resume.token)
        outputs += [Send(conn, welcome), *self._views(live)]
        outputs += self.admission.waiting_keys(conn, live, seat)  # for this screen to check
        outputs += self.admission.mover.moved_news(live, seat)
        if live.room.state.phase is Phase.FINISHED:  # back after the end: the record too
            outputs += record_sends(self.store, live.room.id, live.number, [conn])
        return outputs

    def _command(self, conn: int, peer: Peer, message: CommandMessage) -> list[Output]:
        live, seat = peer.room, peer.seat
        if live is None:
            return self.limits.refuse(conn, peer, HELLO_FIRST)
        if live.conns.get(seat) != conn:
            return self.limits.refuse(conn, peer, NOT_ADMITTED)
        live.last_active = self.clock()
        seen = live.commands[seat].get(message.id)
        if seen is not None:
            return [Send(conn, Ack(id=message.id, seq=seen))]
        if not self.limits.may_command(live.moves[seat]):  # calm: not counted as an error
            return [Send(conn, error("rate_limited", TOO_FAST, message.id))]
        room = live.room
        before = room.seq
        if before >= MAX_EVENTS + CLOSING_EVENTS:
            return self.limits.refuse(conn, peer, error("illegal", TOO_LONG, message.id))
        if (here := away_end(live, seat, message.command)) is not None:
            return self.limits.refuse(conn, peer, here.model_copy(update={"id": message.id}))
        try:
            with self.store.tagged(seat, message.id):
                events = room.submit(seat, message.command)
        except IllegalMove as illegal:
            return self.limits.refuse(conn, peer, error("illegal", str(illegal), message.id))
        except StoreError as failure:
            log.error("room %d: %s", live.number, failure)
            if room.seq == before:  # nothing was committed
                return [Send(conn, error("server", NOT_SAVED, message.id))]
            events = [event for _, event in room.log[before:]]
        live.remember(seat, message.id, room.seq)
        return self._changed(live, events + self._end_if_long(live, seat), (conn, message.id))

    def _end_if_long(self, live: RelayRoom, seat: Seat) -> list[Event]:
        """End a game that has reached `MAX_EVENTS`, as if the seat that moved had ended it."""
        room = live.room
        if room.seq < MAX_EVENTS or room.state.phase in (Phase.CLOSING, Phase.FINISHED):
            return []
        try:
            events = room.submit(seat, End())
        except IllegalMove:
            return []
        except StoreError as failure:
            log.error("room %d: %s", live.number, failure)
            return []
        log.info("room %d: ended at %d events, the longest a game may be", live.number, room.seq)
        return events

    def _say(self, conn: int, peer: Peer, say: Say) -> list[Output]:
        live, seat = peer.room, peer.seat
        if live is None:
            return self.limits.refuse(conn, peer, HELLO_FIRST)
        if live.conns.get(seat) != conn:
            return self.limits.refuse(conn, peer, NOT_ADMITTED)
        live.last_active = self.clock()
        partner = live.conns.get(seat.other)
        if partner is None:
            return []  # the partner's view shows them as away; words are never kept for later
        return [Send(partner, Words(seat=seat, payload=say.payload))]

    def _view_please(self, conn: int, peer: Peer) -> list[Output]:
        live, seat = peer.room, peer.seat
        if live is None:
            return self.limits.refuse(conn, peer, HELLO_FIRST)
        if live.conns.get(seat) != conn:
            return self.limits.refuse(conn, peer, NOT_ADMITTED)
        live.shown.forget(seat)
        return self._views(live)

    # --- helpers -------------------------------------------------------------------------

    def _changed(
        self, live: RelayRoom, events: list[Event], ack: tuple[int, str] | None = None
    ) -> list[Output]:
        """After a room's events are committed: a line in the log for each outcome, views all
        round (`ack`: the connection whose command it was, and the command's id), and the
        record for each player once the game has finished."""
        for line in log_lines(events):
            log.info("room %d: %s", live.number, line)
        outputs = self._views(live, ack) + self.facilitation.turns(live, events)
        if any(isinstance(event, GameFinished) for event in events):
            outputs += record_sends(self.store, live.room.id, live.number, live.conns.values())
        return outputs

    def _views(self, live: RelayRoom, ack: tuple[int, str] | None = None) -> list[Output]:
        """Each connected seat's own view (or what changed in it), showing who is connected;
        and the room's row for the facilitator's dashboards, when it is one of the session's."""
        room = live.room
        table = room.table()
        table["a"]["connected"] = Seat.A in live.conns
        table["b"]["connected"] = Seat.B in live.conns
        clock = self.facilitation.set_time(live)
        table["clock"] = None if clock is None else clock.model_dump(mode="json")
        own = {seat: room.own(seat) for seat in live.conns}
        outputs: list[Output] = []
        outputs += view_frames(live.shown, table, own, live.conns, ack)
        return outputs + self.facilitation.rows(live)
