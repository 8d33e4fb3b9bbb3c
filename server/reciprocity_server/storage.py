"""What the relay keeps, as one interface with two homes: a SQLite file (`records.py`) for one
machine, PostgreSQL (`records_postgres.py`) for several relays sharing one log.

The relay's core calls only `RelayRecords`; the shell picks the implementation from `--db`
(`open_records`, in `serve.py`). Both keep the same things:

- the games and their events, an event committed before it is acknowledged;
- each live room's number and last activity, and the numbers hosts have reserved (so that
  numbers are unique across every relay sharing the records);
- a SHA-256 hash of each seat's resume token (never the token itself);
- the command ids each seat has used, with the `seq` they were acknowledged with, written in
  the same transaction as the events they caused, so a retried command has no second effect,
  even after a restart;
- the hashes of the SPAKE2 messages joiners tried in each room, and of the tokens whose seat
  another screen took (so their old screen is told the seat moved);
- the facilitated session, if any: its token's hash and its rooms;
- on shared records, when each relay was last seen alive, so that any relay may expire the
  idle rooms of one that died (`expire_orphans`).

`group()` lets the shell commit every write of the frames that arrived together in one
transaction (group commit), and send nothing they caused before that commit.

The words partners type never reach this interface. Nothing here imports a database.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import Protocol

from reciprocity.engine.messages import Event
from reciprocity.engine.state import Seat
from reciprocity.records.store import EventLog, StoreError

#: Room numbers run from 1 to this: short enough to read out, as the first part of a code.
MAX_NUMBER = 9999
#: A number a host asked for and has not made a room with is free again after this long.
RESERVED_SECONDS = 600.0
#: How many random numbers `reserve_number` tries before it looks for the free ones.
RANDOM_TRIES = 32
#: On shared records, a relay not seen this long (it says it is alive each time it asks which
#: rooms it holds, every second) is taken for dead: any relay's sweep may expire its rooms.
SILENT_SECONDS = 60.0


def token_hash(token: str) -> str:
    """What the relay keeps of a resume token: its SHA-256, in hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def pake_hash(message: str) -> str:
    """What the relay keeps of a joiner's SPAKE2 message, so it never takes a seat twice:
    its SHA-256, in hex."""
    return hashlib.sha256(message.encode()).hexdigest()


def number_candidates(taken: Callable[[], set[int]]) -> Iterator[int]:
    """Room numbers to try, in order: a few at random, then (should they all be taken) every
    number `taken` does not list, shuffled."""
    for _ in range(RANDOM_TRIES):
        yield secrets.randbelow(MAX_NUMBER) + 1
    free = sorted(set(range(1, MAX_NUMBER + 1)) - taken())
    secrets.SystemRandom().shuffle(free)
    yield from free


@dataclass(frozen=True, slots=True)
class StoredRoom:
    """A live room as the records hold it, to bring it back after a restart."""

    game_id: str
    number: int
    last_active: float
    tokens: dict[Seat, str] = field(default_factory=dict)
    commands: dict[Seat, list[tuple[str, int]]] = field(default_factory=dict)
    #: The hashes of the SPAKE2 messages joiners have tried since the room last seated one.
    tried: set[str] = field(default_factory=set)


@dataclass(frozen=True, slots=True)
class StoredSession:
    """A facilitated session as the records hold it: its token's hash, and its rooms' numbers
    with their games, in the order they were made."""

    token_hash: str
    rooms: tuple[tuple[int, str], ...]


class RelayRecords(EventLog, Protocol):
    """The event log with the relay's rooms, token hashes and command ids beside it.

    Every method commits before it returns, and raises `StoreError` with one line if it
    cannot. Use it from one thread at a time: the relay makes all its calls on its event loop.
    """

    #: Where the records are, for log lines: a file's path, or a database without its password.
    where: str
    #: True where several relays may share the records (PostgreSQL): each holds the rooms
    #: whose lease it took (`take_room`, `held`), and a write to a room it no longer holds
    #: raises `LeaseLost`. False for a file one relay uses alone, which holds every room.
    shared: bool

    def close(self) -> None:
        """Let go of the database."""

    def append(self, game_id: str, first_seq: int, events: Sequence[Event], at: float) -> None:
        """Commit events numbered from `first_seq`, with the command id `tagged` gives."""

    def group(self) -> AbstractContextManager[None]:
        """Group commit: every write in this block goes into one transaction, committed when
        the block ends. A write refused by a check of the records' own (a number not
        reserved) writes nothing and raises `StoreError` alone; if a statement fails in the
        database or the commit does, nothing written in the block is kept and `StoreError`
        is raised when it ends (the shell then closes every connection with 1011 and rebuilds
        its rooms from the records). On shared records a write's lease check may be read only
        when the block ends (`LeaseLost` then, and nothing kept), so the caller sends nothing
        the block returned until it has ended."""

    def tagged(self, seat: Seat, command_id: str) -> AbstractContextManager[None]:
        """Within this block, events appended are recorded as caused by this seat's command."""

    def blank_abandoned(self, game_id: str | None = None) -> None:
        """Blank the limits and lines of every unfinished game whose room is gone (or of
        `game_id` only, if it is one), as if it had finished."""

    def reserve_number(self, at: float) -> int | None:
        """A room number from 1 to `MAX_NUMBER` that no room has and no other host holds,
        held for this one for `RESERVED_SECONDS` (across every relay on these records);
        None if every number is taken."""

    def add_room(self, game_id: str, number: int, at: float) -> None:
        """Record a new room's number for a game already created: a number reserved with
        `reserve_number` that no room has yet, else `StoreError`."""

    def add_seat(self, game_id: str, seat: Seat, token_hash: str, at: float) -> None:
        """Record the hash of a seat's resume token."""

    def forget_rooms(self) -> None:
        """Forget every room's number, token hashes and command ids, and the session. Their
        event logs stay (`blank_abandoned` then blanks their limits and lines)."""

    def remove_room(self, game_id: str) -> None:
        """Forget a room's number, token hashes and command ids. Its event log stays, with its
        limits and lines blanked unless the game had finished (then they were already)."""

    def rooms(self) -> list[StoredRoom]:
        """Every live room, oldest first."""

    def take_room(
        self, *, number: int | None = None, token_hash: str | None = None
    ) -> StoredRoom | None:
        """On shared records: take the lease of the room with this number (or this seat's
        token hash), raising its fencing epoch, and return it to be rebuilt; None if there is
        no such room. The relay that held it can no longer write to it."""

    def held(self) -> set[str]:
        """The games of the rooms this relay holds the lease of. On shared records, asking is
        also this relay's sign of life to the others (`expire_orphans`)."""

    def expire_orphans(self, at: float, idle: float, unjoined: float) -> list[int]:
        """On shared records: forget, as `remove_room` does, the rooms of relays not seen for
        `SILENT_SECONDS`, idle (no write) for `idle` seconds, or `unjoined` seconds if nobody
        took their second seat; returns their numbers. Their relay, should it come back, can
        no longer write to them (the lease is gone with the room). [] on a file one relay
        uses alone: its own sweep expires every room."""

    def keep_tried(self, game_id: str, hashed: str | None) -> None:
        """Record the hash of a SPAKE2 message a joiner tried in a room; with None, forget the
        room's (a joiner took the seat, so the seated side's next message is a fresh one)."""

    def move_seat(self, game_id: str, seat: Seat, new_hash: str, old_hash: str) -> None:
        """Give a seat a new token's hash (another screen took it with the code, or the
        facilitator freed it), and remember the old one as moved."""

    def moved_tokens(self) -> list[tuple[str, Seat, str]]:
        """Every live room's moved tokens, as (game id, seat, token hash)."""

    def keep_session(self, token_hash: str, rooms: list[tuple[int, str]]) -> None:
        """Record the facilitated session (there is one at most): its token's hash, and each
        room's number with its game."""

    def session(self) -> StoredSession | None:
        """The facilitated session recorded, if any."""

    def keep_clock(self, clock: str) -> None:
        """Record the session's clock (`clock.SessionClock` as JSON), in place of the one
        before."""

    def kept_clock(self) -> str | None:
        """The session's clock as recorded (JSON), if any."""


class LeaseLost(StoreError):
    """Another relay has taken the room's lease (a higher epoch): this one may not write."""


class Tagging:
    """`RelayRecords.tagged`, as both implementations keep it: the command being committed."""

    _tag: tuple[Seat, str] | None = None

    @contextmanager
    def tagged(self, seat: Seat, command_id: str) -> Iterator[None]:
        """Within this block, events appended are recorded as caused by this seat's command."""
        self._tag = (seat, command_id)
        try:
            yield
        finally:
            self._tag = None
