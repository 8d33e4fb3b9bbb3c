"""What the relay's core holds for each room and each connection.

A `RelayRoom` is one room as the relay routes it: the game (`Room`), the number of its code,
who holds each seat (token hashes) and is connected, the key exchange in progress and a
`Joiner` held apart, and the command ids each seat has used recently.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass, field

from reciprocity.engine import Seat
from reciprocity.game.room import Room

#: How many command ids per seat are remembered, to answer a retry with the same ack.
RECENT_IDS = 256


@dataclass(eq=False, slots=True)
class Joiner:
    """A joiner held apart until the code is checked: by the seated partner's screen, or for
    a session room's first seat, by the facilitator's dashboard.

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
    #: It comes for a seat whose player is away (or was freed): checked by the partner's
    #: screen, it takes the seat with a new token, and the game goes on.
    reclaim: bool = False


@dataclass(eq=False, slots=True)
class RelayRoom:
    """A room as the relay routes it: its game, its seats' token hashes and who is connected.

    `pake` is the seated side's latest SPAKE2 message (no secret), kept in memory for the next
    joiner; the first joiner to answer it uses it up. `tried` holds the hashes of the SPAKE2
    messages joiners have sent (kept in the records too, for after a restart), none of which
    may come again, until a joiner is admitted. `moves` holds
    when each seat's recent commands came, for its rate limit.

    `moved` holds the hashes of tokens whose seat another screen took with the code (or the
    facilitator freed); `freed` the seats the facilitator freed; `moved_to` the SPAKE2 message
    of each seat's latest reclaimer, to tell the partner's screen again after a drop.
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
    moves: dict[Seat, deque[float]] = field(default_factory=lambda: {s: deque() for s in Seat})
    moved: set[str] = field(default_factory=set)
    freed: set[Seat] = field(default_factory=set)
    moved_to: dict[Seat, str] = field(default_factory=dict)

    def remember(self, seat: Seat, command_id: str, seq: int) -> None:
        """Keep a command's id and the seq it was acknowledged with (the recent ones only)."""
        recent = self.commands[seat]
        recent[command_id] = seq
        while len(recent) > RECENT_IDS:
            recent.popitem(last=False)


@dataclass(eq=False, slots=True)
class Peer:
    """One connection as the core knows it: its address, whether it has said a hello, its
    recent errors, and the room and seat it plays (or waits to), or that it is the
    facilitator's dashboard."""

    address: str
    greeted: bool = False
    errors: deque[float] = field(default_factory=deque)
    room: RelayRoom | None = None
    seat: Seat = Seat.A
    facilitator: bool = False
