"""The relay's core, without sockets: rooms by code, and what to send to whom.

In the manner of h11 and websockets, the core does no I/O of its own apart from its records.
The shell (`serve.py`) numbers each connection, passes every frame it receives to
`Relay.receive`, and carries out the returned `Send` and `Close` outputs. All calls must come
from one thread at a time; the shell makes them on its event loop.

The relay is authoritative: it runs each game through `reciprocity.game.room.Room`, so a command
counts only once its events are committed, and each seat is sent only its own view. Words
(`say`) arrive sealed by the partners' own keys (`reciprocity.e2e`): they are forwarded to
the partner's connection and never parsed, stored or logged.

A room's code is `<number>-<word>-<word>`, and the relay only ever sees the number: the host's
screen picks the words. A joiner is held apart until the seated partner's screen has run the
key exchange with it and says whether their codes matched (`code_checked`). Only then does
the joiner take the seat; a mismatch, or a joiner who leaves before that, counts as a failed
join against its address. A joiner gets one try: it sends one SPAKE2 message and one proof,
and the seated side's message it answered is used up. A second message, a proof before the
message, a message some earlier joiner sent, or a joiner who has not sent its proof
`JOIN_SECONDS` after it could have, while someone from another address wants to join, is
turned away and counted the same way. Addresses are counted one by one for IPv4, and by
their /64 network for IPv6, as one household or host has a whole /64.
"""

from __future__ import annotations

import contextlib
import hmac
import ipaddress
import json
import logging
import secrets
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from pydantic import ValidationError

from reciprocity.deck import Deck
from reciprocity.engine import (
    FacilitatorCommand,
    GameFinished,
    IllegalMove,
    Join,
    OpenLevel,
    Phase,
    Seat,
)
from reciprocity.game.narrate import log_lines
from reciprocity.game.room import Room
from reciprocity.library import available_decks, shipped_decks_dir
from reciprocity.paths import user_decks_dir
from reciprocity.protocol import (
    CLIENT,
    CLOSE_REPLACED,
    PROTOCOL_VERSION,
    Ack,
    Announce,
    Announcement,
    CodeChecked,
    CommandMessage,
    CreateRoom,
    Error,
    ErrorCode,
    FacilitatorLogin,
    Hello,
    JoinRoom,
    KeyExchange,
    LoggedEvent,
    PartnerKey,
    Record,
    Resume,
    RoomState,
    RoomStatus,
    Say,
    SeatView,
    ServerMessage,
    SessionStatus,
    Steer,
    Welcome,
    Words,
)
from reciprocity.records.store import StoreError
from reciprocity_server.records import RelayStore, token_hash

log = logging.getLogger("reciprocity_server")
# Quiet unless the program configures logging (`reciprocity serve` does; a screen does not).
log.addHandler(logging.NullHandler())

#: Failed joins (wrong code, full room, unknown token) allowed per address per window.
JOIN_FAILURES = 10
#: Errors allowed per connection per window before it is closed with 1008.
CONNECTION_ERRORS = 10
#: The window of both limits, in seconds.
WINDOW = 60.0
#: How long a waiting joiner may take to send its proof, once it has the seated side's SPAKE2
#: message, before a joiner from another address may take its place. A screen takes a few
#: milliseconds.
JOIN_SECONDS = 10.0
#: Room numbers run from 1 to this.
MAX_NUMBER = 9999
#: How many command ids per seat are remembered, to answer a retry with the same ack.
RECENT_IDS = 256
#: Close codes: a policy violation, an expired room (and `CLOSE_REPLACED`, in the protocol).
CLOSE_POLICY = 1008
CLOSE_EXPIRED = 1001


@dataclass(frozen=True, slots=True)
class Send:
    """Send a message to a connection."""

    conn: int
    message: ServerMessage


@dataclass(frozen=True, slots=True)
class Close:
    """Close a connection, after anything already sent to it."""

    conn: int
    code: int
    reason: str


Output = Send | Close


@dataclass(eq=False, slots=True)
class Joiner:
    """A joiner held apart until the seated partner's screen has checked the code.

    `pake` and `proof` are its one SPAKE2 message and its one key confirmation (no secret),
    kept for a seated partner who connects later. `since` is when it had the seated side's
    message to answer (None until then); `address` is what its failures count against.
    """

    conn: int
    seat: Seat
    name: str
    token: str
    address: str
    since: float | None = None
    pake: str | None = None
    proof: str | None = None


@dataclass(eq=False, slots=True)
class LiveRoom:
    """A room the relay holds: its game, its seats' token hashes and who is connected.

    `pake` is the seated side's latest SPAKE2 message (no secret), kept in memory for the next
    joiner; the first joiner to answer it uses it up. `tried` holds the SPAKE2 messages
    joiners have sent, none of which may come again, until a joiner is admitted.
    """

    number: int
    room: Room
    last_active: float
    tokens: dict[Seat, str] = field(default_factory=dict)
    conns: dict[Seat, int] = field(default_factory=dict)
    joiner: Joiner | None = None
    pake: str | None = None
    tried: set[str] = field(default_factory=set)
    commands: dict[Seat, OrderedDict[str, int]] = field(
        default_factory=lambda: {seat: OrderedDict() for seat in Seat}
    )

    def remember(self, seat: Seat, command_id: str, seq: int) -> None:
        """Keep a command's id and the seq it was acknowledged with (the recent ones only)."""
        recent = self.commands[seat]
        recent[command_id] = seq
        while len(recent) > RECENT_IDS:
            recent.popitem(last=False)


@dataclass(eq=False, slots=True)
class _Conn:
    address: str
    errors: deque[float] = field(default_factory=deque)
    room: LiveRoom | None = None
    seat: Seat = Seat.A
    facilitator: bool = False


@dataclass(frozen=True, slots=True)
class Session:
    """A facilitated session: its deck, its rooms by number, and the hash of its secret token.

    The token itself goes only to the facilitator's own process, which started the session."""

    deck: Deck
    numbers: tuple[int, ...]
    game_ids: frozenset[str]
    token_hash: str

    def holds(self, live: LiveRoom) -> bool:
        """True for a room of this session (not a later room that took an expired number)."""
        return live.room.id in self.game_ids


def _error(code: ErrorCode, message: str, command_id: str | None = None) -> Error:
    return Error(code=code, message=message, id=command_id)


NO_SUCH_ROOM = _error("no_such_room", "No game has that code. Please check it with your partner.")
ROOM_FULL = _error("room_full", "This game already has two players.")
BUSY = _error("room_full", "Someone is joining this game just now. Please try again in a minute.")
CODE_MISMATCH = _error("code_mismatch", "The code didn't match. Please check it with your partner.")
ONE_TRY = _error("join_again", "One try at the code per join. Please join again.")
TOO_SLOW = _error("join_again", "The code was not checked in time. Please join again.")
SEATED_PROOF = _error("bad_message", "A seated screen's proof goes in code_checked.")
NOT_ADMITTED = _error("hello_first", "Your partner's screen has not checked the code yet.")
BAD_TOKEN = _error(
    "bad_token", "That game is not known here any more (it may have expired). Join with the code."
)
RATE_LIMITED = _error(
    "rate_limited", "Too many wrong codes from your address. Please wait a minute and try again."
)
HELLO_FIRST = _error("hello_first", "Please send a hello first.")
SEATED = _error("bad_message", "This connection already has a seat. Open another for a new game.")
BAD_JSON = _error("bad_json", "That was not valid JSON.")
NOT_FACILITATOR = _error("not_facilitator", "Only the facilitator of this session can do that.")
NOT_SAVED = "The relay could not save that. Please try again."


class Relay:
    """The registry of rooms by code, and the handling of every client message.

    `decks` are offered besides the shipped decks and those in the data folder's deck folder,
    by id (an in-process relay passes the host's own deck this way). A room with no activity
    for `idle_hours` is forgotten by `expire`, which the shell calls now and then.
    """

    def __init__(
        self,
        store: RelayStore,
        decks: Mapping[str, Deck] | None = None,
        *,
        idle_hours: float = 24.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.decks = dict(decks or {})
        self.idle_seconds = idle_hours * 3600
        self.clock = clock
        self.rooms: dict[int, LiveRoom] = {}
        self._tokens: dict[str, tuple[LiveRoom, Seat]] = {}
        self._conns: dict[int, _Conn] = {}
        self._failures: dict[str, deque[float]] = {}
        self._library_decks: dict[str, Deck] = {}
        self._library_files: tuple[tuple[str, int, int], ...] | None = None
        #: The facilitated session this relay runs, if any, and the dashboards watching it.
        self.session: Session | None = None
        self._dashboards: set[int] = set()

    # --- life of the relay ---------------------------------------------------------------

    def restore(self) -> int:
        """Bring back the live rooms from the records, as after a restart; returns how many."""
        for stored in self.store.rooms():
            try:
                room = Room.resume(self.store, stored.game_id)
            except (KeyError, ValueError, StoreError) as error:
                log.warning("room %d: cannot be restored (%s)", stored.number, type(error).__name__)
                continue
            live = LiveRoom(stored.number, room, stored.last_active)
            for seat, hashed in stored.tokens.items():
                live.tokens[seat] = hashed
                self._tokens[hashed] = (live, seat)
            for seat, used in stored.commands.items():
                for command_id, seq in used:
                    live.remember(seat, command_id, seq)
            self.rooms[stored.number] = live
        if self.rooms:
            log.info("restored %d room(s) from %s", len(self.rooms), self.store.path)
        return len(self.rooms)

    def expire(self) -> list[Output]:
        """Forget rooms idle for too long, and close any connection still in one."""
        now = self.clock()
        outputs: list[Output] = []
        for live in [r for r in self.rooms.values() if now - r.last_active >= self.idle_seconds]:
            waiting = [live.joiner.conn] if live.joiner is not None else []
            for conn in [*live.conns.values(), *waiting]:
                self._conns[conn].room = None
                outputs.append(Close(conn, CLOSE_EXPIRED, "this game has expired"))
            for hashed in live.tokens.values():
                self._tokens.pop(hashed, None)
            del self.rooms[live.number]
            try:
                self.store.remove_room(live.room.id)
            except StoreError as error:
                log.error("room %d: %s", live.number, error)
            log.info("room %d: expired after %.0f h idle", live.number, self.idle_seconds / 3600)
        for address in [a for a, times in self._failures.items() if not self._recent(times, now)]:
            del self._failures[address]
        return outputs

    def start_session(self, deck: Deck, pairs: int) -> tuple[str, list[int]]:
        """Start a facilitated session: `pairs` empty rooms bound to `deck`, with level 1 open
        to everyone. Returns the facilitator's secret token and the rooms' numbers; the words
        of each code are for the facilitator's screen to add, so the relay never learns them."""
        if self.session is not None:
            raise RuntimeError("this relay already runs a session")
        rooms: list[LiveRoom] = []
        for _ in range(pairs):
            live = self._new_room(deck, checkin=True, mode="facilitated")
            if isinstance(live, Error):
                raise StoreError(live.message)
            live.room.steer(OpenLevel(level=1))
            rooms.append(live)
        token = secrets.token_urlsafe(32)
        numbers = tuple(live.number for live in rooms)
        game_ids = frozenset(live.room.id for live in rooms)
        self.session = Session(deck, numbers, game_ids, token_hash(token))
        log.info("session started: %d room(s) with deck %s", pairs, deck.id)
        return token, list(numbers)

    # --- connections ---------------------------------------------------------------------

    def connect(self, conn: int, address: str) -> None:
        """A connection opened from an address."""
        self._conns[conn] = _Conn(address)
        log.info("connection %d: opened from %s", conn, address)

    def disconnect(self, conn: int) -> list[Output]:
        """A connection closed: its partner sees it as not connected."""
        state = self._conns.pop(conn, None)
        if state is None:
            return []
        log.info("connection %d: closed", conn)
        self._dashboards.discard(conn)
        live = state.room
        if live is not None and live.joiner is not None and live.joiner.conn == conn:
            self._turn_away(live, live.joiner, None)
            log.info("room %d: the joiner left before the code was checked", live.number)
            return []
        if live is None or live.conns.get(state.seat) != conn:
            return []
        del live.conns[state.seat]
        live.last_active = self.clock()
        log.info("room %d: seat %s disconnected", live.number, state.seat)
        return self._views(live)

    def receive(self, conn: int, frame: str | bytes) -> list[Output]:
        """Handle one frame from a connection; never raises."""
        state = self._conns.get(conn)
        if state is None:
            return []
        try:
            message = CLIENT.validate_json(frame)
        except ValidationError as error:
            return self._refuse(conn, _invalid(frame, error))
        try:
            match message:
                case Hello():
                    return self._hello(conn, state, message)
                case CommandMessage():
                    return self._command(conn, state, message)
                case Say():
                    return self._say(conn, state, message)
                case KeyExchange():
                    return self._key(conn, state, message)
                case CodeChecked():
                    return self._checked(conn, state, message)
                case Steer():
                    return self._steer(conn, state, message.command)
                case Announce():
                    return self._announce(conn, state, message)
        except Exception as error:  # a bug must cost one reply, never the relay
            log.error("connection %d: internal error (%s)", conn, type(error).__name__)
            return [Send(conn, _error("server", "Something went wrong at the relay. Sorry."))]

    # --- messages ------------------------------------------------------------------------

    def _hello(self, conn: int, state: _Conn, hello: Hello) -> list[Output]:
        if state.room is not None:
            return self._refuse(conn, SEATED)
        if hello.version != PROTOCOL_VERSION:
            return self._refuse(conn, _version_error(hello.version))
        if hello.create is not None:
            return self._create(conn, state, hello.create)
        if self._rate_limited(state.address):
            log.info("connection %d: rate limited", conn)
            return self._refuse(conn, RATE_LIMITED)
        if hello.join is not None:
            return self._join(conn, state, hello.join)
        if hello.facilitate is not None:
            return self._facilitate(conn, state, hello.facilitate)
        assert hello.resume is not None  # a hello carries exactly one part
        return self._resume(conn, state, hello.resume)

    def _create(self, conn: int, state: _Conn, create: CreateRoom) -> list[Output]:
        deck = self._deck(create.deck)
        if deck is None:
            return self._refuse(
                conn, _error("unknown_deck", f"This relay has no deck called {create.deck!r}.")
            )
        try:
            Room.check_first_join(deck, create.name)
        except IllegalMove as error:
            return self._refuse(conn, _error("illegal", str(error)))
        live = self._new_room(deck, checkin=create.checkin, mode="relay")
        if isinstance(live, Error):
            return [Send(conn, live)]
        log.info("room %d: created with deck %s by connection %d", live.number, deck.id, conn)
        return self._seat_first(conn, state, live, create.name)

    def _new_room(self, deck: Deck, *, checkin: bool, mode: str) -> LiveRoom | Error:
        """A new room with a fresh number, recorded; the one place rooms are numbered."""
        number = self._free_number()
        if number is None:
            return _error("server", "This relay is full. Please try again later.")
        now = self.clock()
        try:
            room = Room.create(deck, self.store, checkin=checkin, mode=mode)
            self.store.add_room(room.id, number, now)
        except StoreError as error:
            log.error("room %d: %s", number, error)
            return _error("server", NOT_SAVED)
        live = LiveRoom(number, room, now)
        self.rooms[number] = live
        return live

    def _seat_first(self, conn: int, state: _Conn, live: LiveRoom, name: str) -> list[Output]:
        """Seat A at once: the host who made the room, or a facilitated room's first joiner.
        Nobody is there yet to check the code; this seat's screen checks whoever comes next."""
        try:
            live.room.submit(Seat.A, Join(name=name))
        except IllegalMove as error:
            return self._refuse(conn, _error("illegal", str(error)))
        except StoreError as error:
            log.error("room %d: %s", live.number, error)
            return [Send(conn, _error("server", NOT_SAVED))]
        token = secrets.token_urlsafe(24)
        welcome = Welcome(number=live.number, seat=Seat.A, token=token)
        return self._seat(conn, state, live, Seat.A, token, [Send(conn, welcome)])

    def _join(self, conn: int, state: _Conn, join: JoinRoom) -> list[Output]:
        """Hold a joiner apart, welcomed, while the seated partner's screen checks the code."""
        live = self.rooms.get(join.number)
        if live is None:
            return self._failed(conn, state, NO_SUCH_ROOM)
        if Seat.A not in live.tokens:  # a facilitated room's first joiner
            log.info("room %d: seat a joined (connection %d)", live.number, conn)
            return self._seat_first(conn, state, live, join.name)
        seat = Seat.B
        if seat in live.tokens:
            return self._failed(conn, state, ROOM_FULL)
        outputs: list[Output] = []
        waiting = live.joiner
        if waiting is not None:
            if not self._stalled(waiting) or waiting.address == _counted(state.address):
                return self._refuse(conn, BUSY)  # no fault of this joiner's: not counted
            outputs += self._turn_away(live, waiting, TOO_SLOW)
            log.info("room %d: a joiner took too long to check the code", live.number)
        try:
            live.room.check_join(seat, join.name)
        except IllegalMove as error:
            return self._refuse(conn, _error("illegal", str(error)))
        token = secrets.token_urlsafe(24)
        joiner = Joiner(conn, seat, join.name, token, _counted(state.address))
        live.joiner = joiner
        state.room, state.seat = live, seat
        live.last_active = self.clock()
        log.info("room %d: a joiner waits for the code check (connection %d)", live.number, conn)
        outputs.append(Send(conn, Welcome(number=live.number, seat=seat, token=token)))
        if live.pake is not None:
            joiner.since = self.clock()
            outputs.append(Send(conn, PartnerKey(seat=seat.other, step="pake", payload=live.pake)))
        return outputs

    def _stalled(self, joiner: Joiner) -> bool:
        """A joiner who had the seated side's message long ago and has sent no proof."""
        since = joiner.since
        return joiner.proof is None and since is not None and self.clock() - since >= JOIN_SECONDS

    def _key(self, conn: int, state: _Conn, message: KeyExchange) -> list[Output]:
        """Forward a step of the key exchange to the other side, and keep what a partner who
        connects later needs. A waiting joiner gets one message and one proof, in that order."""
        live, seat = state.room, state.seat
        if live is None:
            return self._refuse(conn, HELLO_FIRST)
        live.last_active = self.clock()
        joiner = live.joiner
        payload = message.payload
        if joiner is not None and joiner.conn == conn:
            if message.step == "pake" and joiner.pake is None and payload not in live.tried:
                joiner.pake = payload
                live.tried.add(payload)
                live.pake = None  # answered: the next joiner waits for a fresh one
            elif message.step == "confirm" and joiner.pake is not None and joiner.proof is None:
                joiner.proof = payload
            else:
                log.info(
                    "room %d: a joiner broke the one-try rule (connection %d)", live.number, conn
                )
                return self._turn_away(live, joiner, ONE_TRY)
        elif message.step == "pake":
            live.pake = payload
            if joiner is not None and joiner.since is None:
                joiner.since = self.clock()
        else:
            return self._refuse(conn, SEATED_PROOF)
        other = self._party(live, seat.other)
        if other is None:
            return []
        return [Send(other, PartnerKey(seat=seat, step=message.step, payload=payload))]

    def _checked(self, conn: int, state: _Conn, message: CodeChecked) -> list[Output]:
        """The seated partner's verdict on the waiting joiner: admit it, or send it away."""
        live = state.room
        joiner = live.joiner if live is not None else None
        if live is None or joiner is None or live.conns.get(joiner.seat.other) != conn:
            return []  # only the seated partner's screen decides, and only while one waits
        if message.pake != joiner.pake:
            return []  # about an exchange with an earlier joiner
        joining = self._conns[joiner.conn]
        if not message.matched:
            log.info("room %d: the code did not match (connection %d)", live.number, joiner.conn)
            return self._turn_away(live, joiner, CODE_MISMATCH)
        live.joiner = None
        try:
            live.room.submit(joiner.seat, Join(name=joiner.name))
        except IllegalMove as error:
            joining.room = None
            return [Send(joiner.conn, _error("illegal", str(error)))]
        except StoreError as error:
            joining.room = None
            log.error("room %d: %s", live.number, error)
            return [Send(joiner.conn, _error("server", NOT_SAVED))]
        live.pake = None
        live.tried.clear()
        log.info("room %d: seat %s joined (connection %d)", live.number, joiner.seat, joiner.conn)
        assert message.proof is not None  # the protocol requires it with a match
        proof = PartnerKey(seat=joiner.seat.other, step="confirm", payload=message.proof)
        return self._seat(
            joiner.conn, joining, live, joiner.seat, joiner.token, [Send(joiner.conn, proof)]
        )

    def _turn_away(self, live: LiveRoom, joiner: Joiner, why: Error | None) -> list[Output]:
        """A joiner leaves unadmitted: its one try at the code counts as a failed join. `why`
        tells it so (`None` for a joiner whose connection has closed)."""
        live.joiner = None
        joining = self._conns.get(joiner.conn)  # gone already if it closed
        if joining is not None:
            joining.room = None
        self._failures.setdefault(joiner.address, deque()).append(self.clock())
        return [Send(joiner.conn, why)] if why is not None else []

    def _seat(
        self,
        conn: int,
        state: _Conn,
        live: LiveRoom,
        seat: Seat,
        token: str,
        outputs: list[Output],
    ) -> list[Output]:
        """Give a player their seat: record the token's hash, then views all round."""
        hashed = token_hash(token)
        try:
            self.store.add_seat(live.room.id, seat, hashed, self.clock())
        except StoreError as error:
            log.error("room %d: %s", live.number, error)
            return [Send(conn, _error("server", NOT_SAVED))]
        live.tokens[seat] = hashed
        self._tokens[hashed] = (live, seat)
        state.room, state.seat = live, seat
        live.conns[seat] = conn
        live.last_active = self.clock()
        return outputs + self._views(live)

    def _resume(self, conn: int, state: _Conn, resume: Resume) -> list[Output]:
        found = self._tokens.get(token_hash(resume.token))
        if found is None:
            return self._failed(conn, state, BAD_TOKEN)
        live, seat = found
        outputs: list[Output] = []
        old = live.conns.get(seat)
        if old is not None:
            self._conns[old].room = None
            outputs.append(Close(old, CLOSE_REPLACED, "this seat was resumed elsewhere"))
        newer = max(0, live.room.seq - resume.last_seq)
        log.info(
            "room %d: seat %s resumed (connection %d, %d event(s) newer)",
            live.number,
            seat,
            conn,
            newer,
        )
        state.room, state.seat = live, seat
        live.conns[seat] = conn
        live.last_active = self.clock()
        welcome = Welcome(number=live.number, seat=seat, token=resume.token)
        outputs += [Send(conn, welcome), *self._views(live)]
        joiner = live.joiner
        if joiner is not None:  # a joiner waits for this screen to check the code
            outputs += [
                Send(conn, PartnerKey(seat=joiner.seat, step=step, payload=payload))
                for step, payload in (("pake", joiner.pake), ("confirm", joiner.proof))
                if payload is not None
            ]
        if live.room.state.phase is Phase.FINISHED:  # back after the end: the record too
            outputs += self._records(live, [conn])
        return outputs

    def _command(self, conn: int, state: _Conn, message: CommandMessage) -> list[Output]:
        live, seat = state.room, state.seat
        if live is None:
            return self._refuse(conn, HELLO_FIRST)
        if live.conns.get(seat) != conn:
            return self._refuse(conn, NOT_ADMITTED)
        live.last_active = self.clock()
        seen = live.commands[seat].get(message.id)
        if seen is not None:
            return [Send(conn, Ack(id=message.id, seq=seen))]
        room = live.room
        before = room.seq
        try:
            with self.store.tagged(seat, message.id):
                events = room.submit(seat, message.command)
        except IllegalMove as error:
            return self._refuse(conn, _error("illegal", str(error), message.id))
        except StoreError as error:
            log.error("room %d: %s", live.number, error)
            if room.seq == before:  # nothing was committed
                return [Send(conn, _error("server", NOT_SAVED, message.id))]
            events = [event for _, event in room.log[before:]]
        live.remember(seat, message.id, room.seq)
        for line in log_lines(events):
            log.info("room %d: %s", live.number, line)
        outputs: list[Output] = [Send(conn, Ack(id=message.id, seq=room.seq)), *self._views(live)]
        if any(isinstance(event, GameFinished) for event in events):
            outputs += self._records(live, live.conns.values())
        return outputs

    def _say(self, conn: int, state: _Conn, say: Say) -> list[Output]:
        live, seat = state.room, state.seat
        if live is None:
            return self._refuse(conn, HELLO_FIRST)
        if live.conns.get(seat) != conn:
            return self._refuse(conn, NOT_ADMITTED)
        live.last_active = self.clock()
        partner = live.conns.get(seat.other)
        if partner is None:
            return []  # the partner's view shows them as away; words are never kept for later
        return [Send(partner, Words(seat=seat, payload=say.payload))]

    # --- the facilitator -----------------------------------------------------------------

    def _facilitate(self, conn: int, state: _Conn, login: FacilitatorLogin) -> list[Output]:
        session = self.session
        if session is None or not hmac.compare_digest(session.token_hash, token_hash(login.token)):
            return self._failed(conn, state, NOT_FACILITATOR)
        state.facilitator = True
        self._dashboards.add(conn)
        log.info("connection %d: the facilitator's dashboard", conn)
        status = SessionStatus(
            deck_id=session.deck.id,
            deck_title=session.deck.title,
            depth=session.deck.depth,
            rooms=tuple(self._status(live) for live in self._session_rooms()),
        )
        return [Send(conn, status)]

    def _steer(self, conn: int, state: _Conn, command: FacilitatorCommand) -> list[Output]:
        """The facilitator's command, for every room of the session that can take it."""
        if not state.facilitator:
            return self._refuse(conn, NOT_FACILITATOR)
        outputs: list[Output] = []
        changed = 0
        for live in self._session_rooms():
            try:
                events = live.room.steer(command)
            except IllegalMove:
                continue  # such as a room whose game has ended
            except StoreError as error:
                log.error("room %d: %s", live.number, error)
                continue
            changed += 1
            for line in log_lines(events):
                log.info("room %d: %s", live.number, line)
            outputs += self._views(live)
            if any(isinstance(event, GameFinished) for event in events):
                outputs += self._records(live, live.conns.values())
        log.info("session: %s in %d room(s)", command.type, changed)
        return outputs

    def _announce(self, conn: int, state: _Conn, announce: Announce) -> list[Output]:
        """The facilitator's line, to every player connected; never kept or logged."""
        if not state.facilitator:
            return self._refuse(conn, NOT_FACILITATOR)
        line = Announcement(text=announce.text)
        outputs: list[Output] = [
            Send(player, line) for live in self._session_rooms() for player in live.conns.values()
        ]
        log.info("session: an announcement to %d player(s)", len(outputs))
        return outputs

    def _session_rooms(self) -> list[LiveRoom]:
        """The session's rooms still held, in the order they were made."""
        session = self.session
        if session is None:
            return []
        found = (self.rooms.get(number) for number in session.numbers)
        return [live for live in found if live is not None and session.holds(live)]

    def _status(self, live: LiveRoom) -> RoomStatus:
        """A room's row on the dashboard: outcomes and counts only."""
        game = live.room.state
        summary = live.room.summary()
        return RoomStatus(
            number=live.number,
            names=(game.a.name, game.b.name),
            state=_room_state(live),
            held=game.held,
            level=game.level,
            open_level=game.open_level,
            turns=summary.turns,
            supported=summary.a.supported + summary.b.supported,
            repairs=summary.repairs,
            unrepaired=summary.unrepaired,
            passes=summary.passes,
            last_active=live.room.last_active,
        )

    # --- helpers -------------------------------------------------------------------------

    def _party(self, live: LiveRoom, seat: Seat) -> int | None:
        """The connection playing a seat, or waiting to: the seated one, or the joiner."""
        if live.joiner is not None and live.joiner.seat == seat:
            return live.joiner.conn
        return live.conns.get(seat)

    def _views(self, live: LiveRoom) -> list[Output]:
        """Each connected seat's own view, showing who is connected; and the room's row for
        the facilitator's dashboards, when it is one of the session's."""
        outputs: list[Output] = [
            Send(conn, self._view(live, seat)) for seat, conn in live.conns.items()
        ]
        if self._dashboards and self.session is not None and self.session.holds(live):
            status = self._status(live)
            outputs += [Send(conn, status) for conn in self._dashboards]
        return outputs

    def _view(self, live: LiveRoom, seat: Seat) -> SeatView:
        """A seat's view of a room, with each partner's `connected` set."""
        view = live.room.view(seat)
        return view.model_copy(
            update={
                "a": view.a.model_copy(update={"connected": Seat.A in live.conns}),
                "b": view.b.model_copy(update={"connected": Seat.B in live.conns}),
            }
        )

    def _records(self, live: LiveRoom, conns: Iterable[int]) -> list[Output]:
        """The finished game's log, as the records keep it, for each player's own history."""
        try:
            stored = self.store.load(live.room.id)
        except StoreError as error:
            log.error("room %d: %s", live.number, error)
            return []
        record = Record(
            deck=stored.deck,
            seed=stored.seed,
            checkin=stored.checkin,
            events=tuple(
                LoggedEvent(seq=seq, at=at, event=event) for seq, at, event in stored.events
            ),
        )
        return [Send(conn, record) for conn in conns]

    def _deck(self, deck_id: str) -> Deck | None:
        if deck_id in self.decks:
            return self.decks[deck_id]
        return self._library().get(deck_id)

    def _library(self) -> dict[str, Deck]:
        """The decks on disk by id (the first of an id wins), read again only when a file changes.

        Rooms with the same deck share one `Deck`, so a room costs no deck of its own.
        """
        files = _deck_files()
        if files != self._library_files:
            library: dict[str, Deck] = {}
            for entry in available_decks():
                if entry.deck is not None:
                    library.setdefault(entry.deck.id, entry.deck)
            self._library_decks, self._library_files = library, files
        return self._library_decks

    def _free_number(self) -> int | None:
        for _ in range(32):
            number = secrets.randbelow(MAX_NUMBER) + 1
            if number not in self.rooms:
                return number
        free = [n for n in range(1, MAX_NUMBER + 1) if n not in self.rooms]
        return secrets.choice(free) if free else None

    def _recent(self, times: deque[float], now: float) -> int:
        """How many of the times fall within the window; older ones are dropped."""
        while times and now - times[0] >= WINDOW:
            times.popleft()
        return len(times)

    def _rate_limited(self, address: str) -> bool:
        times = self._failures.get(_counted(address))
        return times is not None and self._recent(times, self.clock()) >= JOIN_FAILURES

    def _failed(self, conn: int, state: _Conn, error: Error) -> list[Output]:
        """A join or resume that failed: it counts toward the address's limit."""
        self._failures.setdefault(_counted(state.address), deque()).append(self.clock())
        log.info("connection %d: hello refused (%s)", conn, error.code)
        return self._refuse(conn, error)

    def _refuse(self, conn: int, error: Error) -> list[Output]:
        """Reply with an error; a connection with too many in a minute is closed."""
        outputs: list[Output] = [Send(conn, error)]
        state = self._conns[conn]
        now = self.clock()
        state.errors.append(now)
        if self._recent(state.errors, now) >= CONNECTION_ERRORS:
            log.info("connection %d: closed after %d errors in a minute", conn, CONNECTION_ERRORS)
            outputs.append(Close(conn, CLOSE_POLICY, "too many errors"))
        return outputs


def _invalid(frame: str | bytes, error: ValidationError) -> Error:
    """The error for a frame that is not a valid client message; never echoes its content."""
    problems = error.errors(include_input=False, include_url=False)
    if problems and problems[0]["type"] == "json_invalid":
        return BAD_JSON
    try:
        data = json.loads(frame)
    except ValueError:
        return BAD_JSON
    if isinstance(data, dict) and data.get("type") == "hello":
        version = data.get("version")
        if isinstance(version, int) and version != PROTOCOL_VERSION:
            return _version_error(version)
    first = problems[0] if problems else None
    where = ".".join(str(part) for part in first["loc"]) if first else ""
    what = first["msg"] if first else "not a message"
    detail = f"{where}: {what}" if where else what
    return _error("bad_message", f"That message is not valid ({detail[:200]}).")


def _deck_files() -> tuple[tuple[str, int, int], ...]:
    """Each deck file's path, change time and size: what `available_decks` would read."""
    files = []
    for folder in (shipped_decks_dir(), user_decks_dir()):
        for path in sorted(folder.glob("*.toml")):
            with contextlib.suppress(OSError):  # gone since the listing: it is not there
                stat = path.stat()
                files.append((str(path), stat.st_mtime_ns, stat.st_size))
    return tuple(files)


def _room_state(live: LiveRoom) -> RoomState:
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


def _counted(address: str) -> str:
    """What failed joins count against: an IPv4 address (also when mapped into IPv6), or an
    IPv6 address's /64 network."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv4Address):
        return address
    if ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ipaddress.ip_network(f"{address}/64", strict=False))


def _version_error(version: int) -> Error:
    return _error(
        "version",
        f"This relay speaks protocol version {PROTOCOL_VERSION}, not {version}: "
        "please upgrade Reciprocity.",
    )
