"""The relay's records in PostgreSQL (`storage.RelayRecords`), through psycopg 3.

The same tables as the SQLite file (`records.py`), so both keep the same things and pass the
same tests: `games` and `events` (the log), `relay_rooms` (with each room's lease: its
relay and epoch), `relay_seats`, `relay_commands`, `relay_tried`, `relay_numbers`,
`relay_moved`, `relay_session` and `relay_clock`; and `relay_owners`, when each relay was
last seen alive. Every call is one transaction (or part of
a `group`'s), committed before it returns or the group ends; a command's events, its id and
its lease check are one statement (`postgres_sql.py` holds the SQL). A lost connection
costs one `StoreError` (the call that met it), and the next call connects again.

A `group` sends its statements in psycopg's pipeline mode: none waits for the one before
it, and their lease checks are read once the group's last statement is sent, before the
commit. So a group of any size costs the relay two round trips to the database (its
statements, then the commit), not one a statement.

The words partners type never reach this module.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager

import psycopg
from psycopg import Cursor, Pipeline
from psycopg.rows import TupleRow

from reciprocity.deck import Deck
from reciprocity.engine.messages import Event
from reciprocity.engine.state import Seat
from reciprocity.records.store import (
    StoredGame,
    StoreError,
    event_adapter,
    stored_deck,
)
from reciprocity_server.postgres_sql import (
    ABANDONED,
    APPEND,
    ORPHANED,
    SCHEMA,
    SCHEMA_LOCK,
    blank_limits,
    reason,
    shown,
    taken_numbers,
)
from reciprocity_server.storage import (
    RESERVED_SECONDS,
    SILENT_SECONDS,
    LeaseLost,
    StoredRoom,
    StoredSession,
    Tagging,
    number_candidates,
)

log = logging.getLogger("reciprocity_server")


#: Seconds a new connection may take, and seconds after a failed one before the next try: the
#: relay calls its records on its event loop, which serves nobody while it waits.
CONNECT_SECONDS, RETRY_SECONDS = 3, 5


class PostgresRelayStore(Tagging):
    """The relay's records in a PostgreSQL database, named by a `postgresql://` URL."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.where = shown(url)
        self._db: psycopg.Connection[TupleRow] | None = None
        self._retry_at = 0.0  # no new connection before then (`_connection`)
        self._group: ExitStack | None = None
        self._began = self._failed = False
        #: Within a begun group: its pipeline, and the lease checks (a write's cursor, the rows
        #: it must have written, its game) read before the group commits.
        self._pipeline: Pipeline | None = None
        self._fences: list[tuple[Cursor[TupleRow], int, str]] = []
        self.shared = True
        #: This relay's name in the leases, and the epoch of each room's lease it holds.
        self.owner = secrets.token_hex(8)
        self._epochs: dict[str, int] = {}
        log.info("relay %s (process %d) on the records at %s", self.owner, os.getpid(), self.where)
        try:
            with self._transaction() as db:
                db.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
                for statement in SCHEMA.split(";"):
                    if statement.strip():
                        db.execute(statement)
                self._seen(db)
        except StoreError as error:
            raise StoreError(str(error).replace("write", "open", 1)) from None

    def close(self) -> None:
        """Close the connection."""
        if self._db is not None:
            self._db.close()
            self._db = None

    def _connection(self) -> psycopg.Connection[TupleRow]:
        """The connection, made again if the last one was lost; after a failed try, none
        for `RETRY_SECONDS` (the relay waits on its event loop while it connects)."""
        if self._db is None or self._db.closed or self._db.broken:
            if time.monotonic() < self._retry_at:
                raise psycopg.OperationalError("the database did not answer a moment ago")
            try:
                self._db = psycopg.connect(
                    self.url, autocommit=True, connect_timeout=CONNECT_SECONDS
                )
            except psycopg.Error:
                self._retry_at = time.monotonic() + RETRY_SECONDS
                raise
        return self._db

    @contextmanager
    def _transaction(self) -> Iterator[psycopg.Connection[TupleRow]]:
        """One write: its own transaction, or within a `group` part of the group's.

        A write checks what may refuse it (a lease, a reservation) before it writes, so a
        refusal leaves nothing to undo; without savepoints, a write costs the group no more
        round trips than its statements. A database error fails the whole group (`group`).
        """
        try:
            if self._group is None:
                db = self._connection()
                with db.transaction():
                    yield db
                return
            # Within a begun group, never a new connection: it would commit on its own.
            db = self._db if self._began and self._db is not None else self._connection()
            if not self._began:  # the group's first write begins its pipeline and transaction
                self._pipeline = self._group.enter_context(db.pipeline())
                self._group.enter_context(db.transaction())
                self._began = True
            yield db
        except psycopg.Error as error:
            self._failed = self._group is not None
            raise StoreError(f"cannot write the records at {self.where}: {reason(error)}") from None

    @contextmanager
    def group(self) -> Iterator[None]:
        """Group commit: every write in this block goes into one transaction, committed when
        the block ends. A write refused (a number not reserved) writes nothing; if a
        statement fails or the commit does, nothing written in the block is kept, and
        `StoreError` is raised when it ends.

        Its statements go in one pipeline, so a write's lease check is read when the block
        ends: if one found the lease gone, nothing written in the block is kept and
        `LeaseLost` is raised then (the shell sends nothing the block returned)."""
        if self._group is not None:
            yield
            return
        self._group, self._began, self._failed = ExitStack(), False, False
        try:
            with self._group:  # commits the transaction the first write began, if any
                yield
                if self._failed:  # a statement failed: the transaction cannot commit
                    raise StoreError(f"cannot write the records at {self.where}: a write failed")
                if self._pipeline is not None:
                    self._pipeline.sync()  # every statement's result, before the commit
                for cursor, rows, game_id in self._fences:
                    if cursor.rowcount != rows:
                        raise LeaseLost(f"another relay holds the room of game {game_id} now")
        except psycopg.Error as error:
            raise StoreError(f"cannot write the records at {self.where}: {reason(error)}") from None
        finally:
            self._group, self._began, self._pipeline, self._fences = None, False, None, []

    def _fenced(self, cursor: Cursor[TupleRow], rows: int, game_id: str) -> None:
        """A fenced write (`APPEND`, `_fence`) must have written `rows` rows, else this relay
        no longer holds the room's lease: `LeaseLost`, now or, in a group, when it ends."""
        if self._pipeline is not None:
            self._fences.append((cursor, rows, game_id))
        elif cursor.rowcount != rows:
            raise LeaseLost(f"another relay holds the room of game {game_id} now")

    def _counted(self, cursor: Cursor[TupleRow]) -> int:
        """How many rows a write wrote; in a group's pipeline, once its result is back."""
        if self._pipeline is not None:
            self._pipeline.sync()
        return cursor.rowcount

    def _rows(self, query: str, params: Sequence[object] = ()) -> list[TupleRow]:
        try:
            return self._connection().execute(query, params).fetchall()
        except psycopg.Error as error:
            raise StoreError(f"cannot read the records at {self.where}: {reason(error)}") from None

    # --- the event log -------------------------------------------------------------------

    def create_game(self, game_id: str, deck: Deck, seed: int, checkin: bool, mode: str) -> None:
        """Start a game's log."""
        with self._transaction() as db:
            db.execute(
                "INSERT INTO games (id, deck_id, deck_title, deck_json, seed, checkin, mode,"
                " created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                (
                    game_id,
                    deck.id,
                    deck.title,
                    deck.model_dump_json(),
                    seed,
                    checkin,
                    mode,
                    time.time(),
                ),
            )

    def append(self, game_id: str, first_seq: int, events: Sequence[Event], at: float) -> None:
        """Commit events numbered from `first_seq`, with the command that caused them: one
        statement (one round trip), which writes nothing unless this relay holds the room's
        lease at its epoch (`_fence`)."""
        if not events:
            with self._transaction() as db:
                self._fence(db, game_id, at)
            return
        seat, command_id = self._tag if self._tag is not None else (None, None)
        params = {
            "at": at,
            "game": game_id,
            "owner": self.owner,
            "epoch": self._epochs.get(game_id),
            "seat": seat.value if seat is not None else None,
            "command": command_id,
            "last": first_seq + len(events) - 1,
            "seqs": [first_seq + i for i in range(len(events))],
            "bodies": [event_adapter().dump_json(event).decode() for event in events],
        }
        with self._transaction() as db:
            self._fenced(db.execute(APPEND, params), len(events), game_id)

    def finish(self, game_id: str) -> None:
        """Mark a game finished and blank the private values its log held."""
        with self._transaction() as db:
            self._fence(db, game_id, None)
            db.execute("UPDATE games SET finished_at = %s WHERE id = %s", (time.time(), game_id))
            blank_limits(db, game_id)

    def blank_abandoned(self, game_id: str | None = None) -> None:
        """Blank the limits and lines of every unfinished game whose room is gone (or of
        `game_id` only, if it is one), as if it had finished."""
        with self._transaction() as db:
            if game_id is None:
                games = db.execute(ABANDONED).fetchall()
            else:
                games = db.execute(f"{ABANDONED} AND id = %s", (game_id,)).fetchall()
            for (found,) in games:
                blank_limits(db, found)

    def load(self, game_id: str) -> StoredGame:
        """A game's deck, settings and events; KeyError if there is no such game."""
        found = self._rows("SELECT deck_json, seed, checkin FROM games WHERE id = %s", (game_id,))
        if not found:
            raise KeyError(game_id)
        deck_json, seed, checkin = found[0]
        events = self._rows(
            "SELECT seq, at, body FROM events WHERE game_id = %s ORDER BY seq", (game_id,)
        )
        return StoredGame(
            game_id,
            stored_deck(deck_json),
            seed,
            checkin,
            [(seq, at, event_adapter().validate_json(body)) for seq, at, body in events],
        )

    # --- rooms ---------------------------------------------------------------------------

    def reserve_number(self, at: float) -> int | None:
        """A room number no room has and no host holds, across every relay on the database."""
        with self._transaction() as db:
            db.execute(
                "DELETE FROM relay_numbers WHERE game_id IS NULL AND reserved_at < %s",
                (at - RESERVED_SECONDS,),
            )
            for number in number_candidates(lambda: taken_numbers(db)):
                held = db.execute(
                    "INSERT INTO relay_numbers (number, reserved_at) SELECT %s, %s"
                    " WHERE %s NOT IN (SELECT number FROM relay_rooms) ON CONFLICT DO NOTHING",
                    (number, at, number),
                )
                if self._counted(held) == 1:
                    return number
        return None

    def add_room(self, game_id: str, number: int, at: float) -> None:
        """Record a new room's number, reserved already, for a game already created."""
        with self._transaction() as db:
            reserved = db.execute(
                "SELECT 1 FROM relay_numbers WHERE number = %s AND game_id IS NULL FOR UPDATE",
                (number,),
            ).fetchone()
            if reserved is None:
                raise StoreError(f"room {number} was not reserved, or is taken")
            db.execute(
                "INSERT INTO relay_rooms (game_id, number, created_at, last_active, owner, epoch)"
                " VALUES (%s, %s, %s, %s, %s, 1)",
                (game_id, number, at, at, self.owner),
            )
            db.execute("UPDATE relay_numbers SET game_id = %s WHERE number = %s", (game_id, number))
        self._epochs[game_id] = 1

    def add_seat(self, game_id: str, seat: Seat, token_hash: str, at: float) -> None:
        """Record the hash of a seat's resume token."""
        with self._transaction() as db:
            self._fence(db, game_id, at)
            db.execute(
                "INSERT INTO relay_seats (game_id, seat, token_hash) VALUES (%s, %s, %s)",
                (game_id, seat.value, token_hash),
            )

    def forget_rooms(self) -> None:
        """Forget every room's number, token hashes and command ids, and the session."""
        with self._transaction() as db:
            db.execute("DELETE FROM relay_rooms")
            db.execute("DELETE FROM relay_numbers")
            db.execute("DELETE FROM relay_session")
            db.execute("DELETE FROM relay_clock")

    def remove_room(self, game_id: str) -> None:
        """Forget a room's number, token hashes and command ids; blank its log if unfinished."""
        with self._transaction() as db:
            gone = self._counted(
                db.execute(
                    "DELETE FROM relay_rooms WHERE game_id = %s AND owner = %s AND epoch = %s",
                    (game_id, self.owner, self._epochs.pop(game_id, None)),
                )
            )
        if gone:  # else another relay holds it now, and keeps it
            self.blank_abandoned(game_id)

    def rooms(self) -> list[StoredRoom]:
        """Every live room, oldest first."""
        return self._rooms("", ())

    def _rooms(self, where: str, params: Sequence[object]) -> list[StoredRoom]:
        """The live rooms whose game `where` picks (an `AND game_id …` clause), oldest first."""
        rooms = [
            StoredRoom(game_id, number, last_active)
            for game_id, number, last_active in self._rows(
                f"SELECT game_id, number, last_active FROM relay_rooms WHERE TRUE {where}"
                " ORDER BY created_at",
                params,
            )
        ]
        by_id = {room.game_id: room for room in rooms}
        for game_id, seat, hashed in self._rows(
            f"SELECT game_id, seat, token_hash FROM relay_seats WHERE TRUE {where}", params
        ):
            by_id[game_id].tokens[Seat(seat)] = hashed
        for game_id, seat, command_id, seq in self._rows(
            "SELECT game_id, seat, command_id, seq FROM relay_commands"
            f" WHERE TRUE {where} ORDER BY seq",
            params,
        ):
            by_id[game_id].commands.setdefault(Seat(seat), []).append((command_id, seq))
        for game_id, hashed in self._rows(
            f"SELECT game_id, pake_hash FROM relay_tried WHERE TRUE {where}", params
        ):
            by_id[game_id].tried.add(hashed)
        return rooms

    # --- leases --------------------------------------------------------------------------

    def take_room(
        self, *, number: int | None = None, token_hash: str | None = None
    ) -> StoredRoom | None:
        """Take the lease of the room with this number (or this seat's token hash), raising
        its epoch, and return it; None if there is no such room."""
        which = "game_id = (SELECT game_id FROM relay_seats WHERE token_hash = %s)"
        key: int | str | None = token_hash
        if number is not None:
            which, key = "number = %s", number
        with self._transaction() as db:  # asked for is active: not an orphan to expire
            row = db.execute(
                "UPDATE relay_rooms SET owner = %s, epoch = epoch + 1,"
                f" last_active = GREATEST(last_active, %s) WHERE {which}"
                " RETURNING game_id, epoch",
                (self.owner, time.time(), key),
            ).fetchone()
        if row is None:
            return None
        game_id, self._epochs[row[0]] = row
        found = self._rooms("AND game_id = %s", (game_id,))
        return found[0] if found else None

    def held(self) -> set[str]:
        """The games of the rooms whose lease this relay holds; asking says it is alive."""
        with self._transaction() as db:
            self._seen(db)
        rows = self._rows("SELECT game_id, epoch FROM relay_rooms WHERE owner = %s", (self.owner,))
        held = {game_id for game_id, epoch in rows if self._epochs.get(game_id) == epoch}
        self._epochs = {game_id: self._epochs[game_id] for game_id in held}
        return held

    def _seen(self, db: psycopg.Connection[TupleRow]) -> None:
        """This relay is alive now, for the other relays' sweeps (`expire_orphans`)."""
        db.execute(
            "INSERT INTO relay_owners (owner, seen_at) VALUES (%s, %s)"
            " ON CONFLICT (owner) DO UPDATE SET seen_at = EXCLUDED.seen_at",
            (self.owner, time.time()),
        )

    def expire_orphans(self, at: float, idle: float, unjoined: float) -> list[int]:
        """Forget the idle rooms of relays not seen for `SILENT_SECONDS` (`ORPHANED`), and
        blank their unfinished logs; their numbers."""
        params = {
            "owner": self.owner,
            "silent_since": at - SILENT_SECONDS,
            "second": Seat.B.value,
            "idle_before": at - idle,
            "unjoined_before": at - unjoined,
        }
        with self._transaction() as db:
            gone = db.execute(ORPHANED, params).fetchall()
            db.execute(  # relays long gone, that hold nothing now
                "DELETE FROM relay_owners WHERE seen_at < %s"
                " AND owner NOT IN (SELECT owner FROM relay_rooms)",
                (at - SILENT_SECONDS,),
            )
        for game_id, _ in gone:
            self.blank_abandoned(game_id)
        return [number for _, number in gone]

    def _fence(self, db: psycopg.Connection[TupleRow], game_id: str, at: float | None) -> None:
        """Before a write to a room: check this relay still holds its lease, at the epoch it
        took, and lock the room's row till the write commits (so a relay taking the lease
        waits for it, then rebuilds the room with it); raise `LeaseLost` if not (`_fenced`)."""
        epoch = self._epochs.get(game_id)
        fenced = db.execute(
            "UPDATE relay_rooms SET last_active = COALESCE(%s, last_active)"
            " WHERE game_id = %s AND owner = %s AND epoch = %s",
            (at, game_id, self.owner, epoch),
        )
        self._fenced(fenced, 1, game_id)

    def keep_tried(self, game_id: str, hashed: str | None) -> None:
        """Record the hash of a SPAKE2 message a joiner tried; with None, forget the room's."""
        with self._transaction() as db:
            self._fence(db, game_id, None)
            if hashed is None:
                db.execute("DELETE FROM relay_tried WHERE game_id = %s", (game_id,))
            else:
                db.execute(
                    "INSERT INTO relay_tried (game_id, pake_hash) VALUES (%s, %s)"
                    " ON CONFLICT DO NOTHING",
                    (game_id, hashed),
                )

    def move_seat(self, game_id: str, seat: Seat, new_hash: str, old_hash: str) -> None:
        """Give a seat a new token's hash, and remember the old one as moved."""
        with self._transaction() as db:
            self._fence(db, game_id, None)
            db.execute(
                "UPDATE relay_seats SET token_hash = %s WHERE game_id = %s AND seat = %s",
                (new_hash, game_id, seat.value),
            )
            db.execute(
                "INSERT INTO relay_moved (game_id, seat, token_hash) VALUES (%s, %s, %s)"
                " ON CONFLICT DO NOTHING",
                (game_id, seat.value, old_hash),
            )

    def moved_tokens(self) -> list[tuple[str, Seat, str]]:
        """Every live room's moved tokens, as (game id, seat, token hash)."""
        rows = self._rows("SELECT game_id, seat, token_hash FROM relay_moved")
        return [(game_id, Seat(seat), hashed) for game_id, seat, hashed in rows]

    def keep_session(self, token_hash: str, rooms: list[tuple[int, str]]) -> None:
        """Record the facilitated session (there is one at most)."""
        with self._transaction() as db:
            db.execute(
                "INSERT INTO relay_session (id, token_hash, rooms) VALUES (1, %s, %s)"
                " ON CONFLICT (id) DO UPDATE SET token_hash = EXCLUDED.token_hash,"
                " rooms = EXCLUDED.rooms",
                (token_hash, json.dumps(rooms)),
            )

    def session(self) -> StoredSession | None:
        """The facilitated session recorded, if any."""
        found = self._rows("SELECT token_hash, rooms FROM relay_session")
        if not found:
            return None
        hashed, rooms = found[0]
        kept = json.loads(rooms)
        return StoredSession(hashed, tuple((number, game) for number, game in kept))

    def keep_clock(self, clock: str) -> None:
        """Record the session's clock (JSON), in place of the one before."""
        with self._transaction() as db:
            db.execute(
                "INSERT INTO relay_clock (id, clock) VALUES (1, %s)"
                " ON CONFLICT (id) DO UPDATE SET clock = EXCLUDED.clock",
                (clock,),
            )

    def kept_clock(self) -> str | None:
        """The session's clock as recorded (JSON), if any."""
        found = self._rows("SELECT clock FROM relay_clock")
        return str(found[0][0]) if found else None
