"""What travels between a room and a player's screen: per-seat views, and the wire messages.

Each seat sees the table and its own private choices, never the partner's limit or lines.
Models are frozen and forbid unknown fields. There is one discriminated union per direction
(`ClientMessage`, `ServerMessage`), each with one module-level `TypeAdapter`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, TypeAdapter, model_validator

from reciprocity.deck import Deck
from reciprocity.engine import Command, Event, FacilitatorCommand, Felt, Outcome, Seat
from reciprocity.engine.names import MAX_NAME
from reciprocity.pacing_wire import AddRooms, ClockStatus, Pace, WireModel
from reciprocity.seat_view import SeatView

# --- The wire: what clients and the relay send each other ------------------------------

#: Bumped whenever a message changes shape or meaning. The hello carries it. Version 2 added
#: the finished game's record; version 3: the words of a code never reach the relay, and typed
#: words travel sealed (end-to-end encryption); version 4: facilitated sessions; version 5:
#: the joiner proves the code first, once per join, and the keys are bound to the version;
#: version 6: a sealed message is words or a receipt for words opened, so that typed words
#: arrive exactly once; version 7: a view carries only what changed, and the ack rides in
#: the sender's; a facilitated session's clock runs at the relay, rooms can be added to a
#: session, and an away seat can be taken back with the code.
PROTOCOL_VERSION = 7
#: No frame may be larger than this, in bytes.
MAX_FRAME = 16 * 1024
#: The longest sealed payload, in characters. It is opaque to the relay.
MAX_PAYLOAD = 12_000
#: The longest key-exchange payload, in characters.
MAX_KEY_PAYLOAD = 200
#: The longest line a facilitator may send to every player's screen.
MAX_ANNOUNCEMENT = 200
#: The close code of a connection whose seat was resumed on another connection. It is final:
#: two screens playing one seat would take turns taking it from each other.
CLOSE_REPLACED = 4001
#: The close code of a connection whose seat was taken by another screen with the code. It
#: is final too: this screen's keys no longer hold.
CLOSE_MOVED = 4002
#: The close code of a connection whose seat the facilitator freed, for another screen to
#: take with the code. Final, as `CLOSE_MOVED`.
CLOSE_FREED = 4003

#: A room's number: the part of a code the relay sees. It routes, and is no secret.
Number = Annotated[int, Field(ge=1, le=9999)]
Name = Annotated[str, Field(min_length=1, max_length=MAX_NAME)]
KeyStep = Literal["pake", "confirm"]


class CreateRoom(WireModel):
    """Host a new game with a deck the relay knows (by id), and take seat A."""

    deck: str = Field(max_length=64)
    name: Name
    checkin: bool = True


class JoinRoom(WireModel):
    """Ask for the free seat of the game a room number names.

    The seat is held for this connection until the seated partner's screen has checked,
    through the key exchange, that both typed the same code (`code_checked`).
    """

    number: Number
    name: Name


class Resume(WireModel):
    """Come back to a seat after a drop, with the token from the welcome."""

    token: str = Field(min_length=16, max_length=128)
    last_seq: int = Field(ge=0)


class FacilitatorLogin(WireModel):
    """Open the facilitator's dashboard, with the secret token made when the session started."""

    token: str = Field(min_length=16, max_length=128)


class Hello(WireModel):
    """The first message on every connection: exactly one of create, join, resume or
    facilitate."""

    type: Literal["hello"] = "hello"
    version: int
    create: CreateRoom | None = None
    join: JoinRoom | None = None
    resume: Resume | None = None
    facilitate: FacilitatorLogin | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Hello:
        parts = (self.create, self.join, self.resume, self.facilitate)
        if sum(part is not None for part in parts) != 1:
            raise ValueError("a hello carries exactly one of create, join, resume or facilitate")
        return self


class CommandMessage(WireModel):
    """A seat's command. Sending the same `id` again has the effect of sending it once."""

    type: Literal["command"] = "command"
    id: str = Field(min_length=1, max_length=64)
    command: Annotated[Command, Field(discriminator="type")]


class Say(WireModel):
    """Sealed words for the partner's screen. The relay forwards the payload, never keeps it."""

    type: Literal["say"] = "say"
    payload: str = Field(min_length=1, max_length=MAX_PAYLOAD)


class KeyExchange(WireModel):
    """A step of the key exchange (a SPAKE2 message, or a key confirmation) for the partner.

    The relay forwards it to the other seat. A waiting joiner sends one `pake`, then one
    `confirm`; anything more turns it away. The seated side sends only `pake`s: its proof
    goes in `code_checked`, once the joiner's proof matched. The relay keeps the seated
    side's latest `pake`, and the joiner's two steps, in memory while a joiner waits, for a
    partner who connects later.

    From the facilitator's dashboard, `number` names the session's room whose first joiner
    it checks (the dashboard plays the seated side for seat A); from a player, it is unset.
    """

    type: Literal["key"] = "key"
    step: KeyStep
    payload: str = Field(min_length=1, max_length=MAX_KEY_PAYLOAD)
    number: Number | None = None


class CodeChecked(WireModel):
    """The seated partner's screen checked the joiner's key confirmation.

    `pake` is the joiner's SPAKE2 message the check was about, so a verdict meant for a
    joiner who has since left never applies to the next. `matched` admits the waiting joiner
    to the seat, and `proof` (the seated screen's own key confirmation, required then) goes
    to that joiner alone as its admission's first message; otherwise the relay sends the
    joiner away and counts a failed join against its address. From anyone else, or about
    another exchange, it changes nothing. From the facilitator's dashboard, `number` names the
    session's room whose waiting first joiner (for seat A) the verdict is about.
    """

    type: Literal["code_checked"] = "code_checked"
    matched: bool
    pake: str = Field(min_length=1, max_length=MAX_KEY_PAYLOAD)
    proof: str | None = Field(default=None, min_length=1, max_length=MAX_KEY_PAYLOAD)
    number: Number | None = None

    @model_validator(mode="after")
    def _proof_when_matched(self) -> CodeChecked:
        if self.matched and self.proof is None:
            raise ValueError("a matched code needs the seated screen's proof")
        return self


class Steer(WireModel):
    """The facilitator's command, for every room of the session at once."""

    type: Literal["steer"] = "steer"
    command: Annotated[FacilitatorCommand, Field(discriminator="type")]


class Announce(WireModel):
    """The facilitator's one line for every player's screen. Shown, never stored."""

    type: Literal["announce"] = "announce"
    text: str = Field(min_length=1, max_length=MAX_ANNOUNCEMENT)


class ViewPlease(WireModel):
    """Ask for this seat's whole view again: a client sends it when a `delta` does not follow
    on from the view it has."""

    type: Literal["view_please"] = "view_please"


class FreeSeat(WireModel):
    """The facilitator frees a seat of a session's room whose player is gone: another screen
    may take it with the pair's code, checked by the partner's screen."""

    type: Literal["free_seat"] = "free_seat"
    number: Number
    seat: Seat


#: What only the facilitator's dashboard sends.
DashboardMessage = Steer | Announce | FreeSeat | Pace | AddRooms
ClientMessage = Annotated[
    Hello | CommandMessage | Say | KeyExchange | CodeChecked | ViewPlease | DashboardMessage,
    Field(discriminator="type"),
]


class Welcome(WireModel):
    """The relay's answer to a good hello: the seat, its resume token and the room's number.

    A joiner's welcome comes before it is admitted: its first view follows once the seated
    partner's screen has checked the code.
    """

    type: Literal["welcome"] = "welcome"
    version: int = PROTOCOL_VERSION
    number: int
    seat: Seat
    token: str


class Words(WireModel):
    """Words from the partner's seat, to show and forget."""

    type: Literal["words"] = "words"
    seat: Seat
    payload: str


class PartnerKey(WireModel):
    """A step of the partner's key exchange, forwarded untouched.

    To the facilitator's dashboard, a step of a session room's waiting first joiner, with the
    room's `number` (and `seat` a); from the dashboard to that joiner, `seat` is b."""

    type: Literal["partner_key"] = "partner_key"
    seat: Seat
    step: KeyStep
    payload: str
    number: int | None = None


class SeatMoved(WireModel):
    """To the screen that checked a joiner for its partner's seat: that joiner (whose SPAKE2
    message was `pake`) now holds the seat, so the keys agreed with it replace the old ones."""

    type: Literal["seat_moved"] = "seat_moved"
    seat: Seat
    pake: str


class Ack(WireModel):
    """A command sent again whose id was committed already (ids are idempotent), with the
    `seq` it was committed at. A fresh command's ack rides in its sender's `ViewDelta`."""

    type: Literal["ack"] = "ack"
    id: str
    seq: int


class ViewDelta(WireModel):
    """What changed in a seat's view since the last view or delta sent on this connection.

    `since` is the `seq` of that earlier one; `changes` holds each top-level field of the view
    that changed, whole, with its new value. `ack` is the id of the sender's command that
    these changes commit (a command costs its sender this one frame, not an ack and a view).
    """

    type: Literal["delta"] = "delta"
    seq: int
    since: int
    ack: str | None = None
    changes: dict[str, Any]


class LoggedEvent(WireModel):
    """One event of a finished game, with its number and time."""

    seq: int
    at: float
    event: Annotated[Event, Field(discriminator="type")]


class Record(WireModel):
    """A finished game's log, for each player's own history.

    It holds the deck, the settings and the events: outcomes and times, with the limits and
    lines blanked as in every finished record. Never a typed word.
    """

    type: Literal["record"] = "record"
    deck: Deck
    seed: int
    checkin: bool
    events: tuple[LoggedEvent, ...]


ErrorCode = Literal[
    "bad_json",
    "bad_message",
    "too_large",
    "version",
    "hello_first",
    "no_such_room",
    "room_full",
    "code_mismatch",
    "bad_token",
    "unknown_deck",
    "rate_limited",
    "illegal",
    "server",
    "not_facilitator",
    "join_again",
    "seat_moved",
]


class Error(WireModel):
    """Something the relay could not do. The connection stays open unless it says otherwise."""

    type: Literal["error"] = "error"
    code: ErrorCode
    message: str
    id: str | None = None


RoomState = Literal["waiting", "playing", "paused", "reconnecting", "ended", "unused"]


class RoomStatus(WireModel):
    """One room of a facilitated session: outcomes and counts, as the dashboard shows them,
    and the closeness check-ins, for the facilitator's export (the dashboard never shows them).

    It carries no words, no limits and no lines: nothing a pair keeps to themselves."""

    type: Literal["room"] = "room"
    #: The room's number. The words of its code are the facilitator's screen's, never sent.
    number: Number
    names: tuple[str | None, str | None]
    state: RoomState
    held: bool
    level: int
    open_level: int | None
    turns: int
    supported: int
    repairs: int
    unrepaired: int
    passes: int
    #: When the pair last did something themselves (not the facilitator), in seconds since
    #: the epoch by the relay's clock.
    last_active: float | None
    #: The deepest level the pair has reached.
    deepest_level: int = 1
    #: Completed shares (passes apart) at each level, level 1 first.
    turns_by_level: tuple[int, ...] = ()
    #: Each seat's closeness check-in (1 to 7) before and after play, seat A first.
    ios_before: tuple[int | None, int | None] = (None, None)
    ios_after: tuple[int | None, int | None] = (None, None)

    @property
    def support_rate(self) -> float:
        """The share of turns met with support or repaired (0 when none)."""
        return self.supported / self.turns if self.turns else 0.0


class SessionStatus(WireModel):
    """The answer to the facilitator's hello: every room of the session, in the order made,
    and the clock.

    After it, each change in a room comes as that room's `RoomStatus`, and each change of the
    clock as a `ClockStatus`."""

    type: Literal["session"] = "session"
    deck_id: str
    deck_title: str
    depth: int
    rooms: tuple[RoomStatus, ...]
    clock: ClockStatus


class RoomsAdded(WireModel):
    """The rooms made for the dashboard's `add_rooms`, each as its first row."""

    type: Literal["rooms_added"] = "rooms_added"
    rooms: tuple[RoomStatus, ...]


class TurnPlayed(WireModel):
    """One turn of a session's room, for the facilitator's research export: who shared at
    which level, the card's id, how it ended and what the sharer ticked. Never words.

    Sent to each dashboard when a turn ends, and every turn of every room after `session`."""

    type: Literal["turn_played"] = "turn_played"
    number: Number
    #: The turn's place in its room's game, from 1; a pass is a turn of its own.
    index: int = Field(ge=1)
    seat: Seat
    level: int
    card: str
    outcome: Outcome
    felt: tuple[Felt, ...] = ()
    #: When it ended, in seconds since the epoch by the relay's clock.
    at: float


class Announcement(WireModel):
    """The facilitator's line, for a player's screen."""

    type: Literal["announcement"] = "announcement"
    text: str


ServerMessage = Annotated[
    Welcome
    | SeatView
    | ViewDelta
    | Words
    | PartnerKey
    | Ack
    | Error
    | Record
    | RoomStatus
    | SessionStatus
    | ClockStatus
    | RoomsAdded
    | TurnPlayed
    | Announcement
    | SeatMoved,
    Field(discriminator="type"),
]

#: Client to relay: `CLIENT.validate_json(frame)`, `CLIENT.dump_json(message)`.
CLIENT: TypeAdapter[ClientMessage] = TypeAdapter(ClientMessage)
#: Relay to client.
SERVER: TypeAdapter[ServerMessage] = TypeAdapter(ServerMessage)
