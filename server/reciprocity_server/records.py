"""The relay's records in one SQLite file, for a relay on one machine (`storage.RelayRecords`).

`RelayStore` is the project's `Store` with more tables in the same SQLite file:

- `relay_rooms`: each live room's number and last activity (the `code` column holds the
  number too: since protocol 2 the relay never learns a code's words);
- `relay_seats`: a SHA-256 hash of each seat's resume token (never the token itself);
- `relay_commands`: the command ids each seat has used, with the `seq` they were acknowledged
  with, so that a retried command has no second effect, even after a restart;
- `relay_numbers`: the numbers hosts have reserved and rooms hold, so no two rooms share one;
- `relay_moved`: the hashes of tokens whose seat another screen took with the code (or the
  facilitator freed), so that their old screen is told the seat moved, even after a restart;
- `relay_session`: the facilitated session, if any: the hash of its token and its rooms, so
  that `reciprocity facilitate --resume` finds it again (its open level and hold are in the
  rooms' own event logs);
- `relay_clock`: the session's clock (`clock.SessionClock`, as JSON): while it runs, the
  wall-clock time of its next step, so a restart neither stops nor shifts it.

A command's id is written in the same transaction as the events it caused: either both are
on disk or neither is. The words partners type never reach this module.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from reciprocity.engine.state import Seat
from reciprocity.records.store import Store, StoreError
from reciprocity_server.storage import (
    RESERVED_SECONDS,
    StoredRoom,
    StoredSession,
    Tagging,
    number_candidates,
)

_RELAY_SCHEMA = """
CREATE TABLE IF NOT EXISTS relay_rooms (
    game_id TEXT PRIMARY KEY REFERENCES games(id) ON DELETE CASCADE,
    code TEXT NOT NULL,
    number INTEGER NOT NULL,
    created_at REAL NOT NULL,
    last_active REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS relay_seats (
    game_id TEXT NOT NULL REFERENCES relay_rooms(game_id) ON DELETE CASCADE,
    seat TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    PRIMARY KEY (game_id, seat)
);
CREATE TABLE IF NOT EXISTS relay_commands (
    game_id TEXT NOT NULL REFERENCES relay_rooms(game_id) ON DELETE CASCADE,
    seat TEXT NOT NULL,
    command_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (game_id, seat, command_id)
);
CREATE TABLE IF NOT EXISTS relay_tried (
    game_id TEXT NOT NULL REFERENCES relay_rooms(game_id) ON DELETE CASCADE,
    pake_hash TEXT NOT NULL,
    PRIMARY KEY (game_id, pake_hash)
);
CREATE TABLE IF NOT EXISTS relay_numbers (
    number INTEGER PRIMARY KEY,
    reserved_at REAL NOT NULL,
    game_id TEXT UNIQUE REFERENCES relay_rooms(game_id) ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS relay_moved (
    game_id TEXT NOT NULL REFERENCES relay_rooms(game_id) ON DELETE CASCADE,
    seat TEXT NOT NULL,
    token_hash TEXT PRIMARY KEY
);
CREATE TABLE IF NOT EXISTS relay_session (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    token_hash TEXT NOT NULL,
    rooms TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS relay_clock (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    clock TEXT NOT NULL
);
"""


class RelayStore(Tagging, Store):
    """The event log with the relay's rooms, token hashes and command ids beside it.

    Use it from one thread at a time: the relay makes all its calls on its event loop.
    """

    #: Unfinished games whose room is gone (expired or forgotten) can never resume.
    _ABANDONED = (
        "SELECT id FROM games WHERE finished_at IS NULL"
        " AND id NOT IN (SELECT game_id FROM relay_rooms)"
    )

    def __init__(self, path: Path | None = None) -> None:
        super().__init__(path)
        self.where = str(self.path)
        self.shared = False
        try:
            self._db.executescript(_RELAY_SCHEMA)
        except sqlite3.Error as error:
            raise StoreError(f"cannot open the records at {self.path}: {error}") from None

    def _commit_with(self, db: sqlite3.Connection, game_id: str, last_seq: int, at: float) -> None:
        """With the events: the command id that caused them (if tagged) and the room's activity."""
        if self._tag is not None:
            seat, command_id = self._tag
            db.execute(
                "INSERT INTO relay_commands (game_id, seat, command_id, seq) VALUES (?, ?, ?, ?)",
                (game_id, seat.value, command_id, last_seq),
            )
        db.execute("UPDATE relay_rooms SET last_active = ? WHERE game_id = ?", (at, game_id))

    def reserve_number(self, at: float) -> int | None:
        """A room number no room has and no other host holds, held for this one."""
        with self._transaction() as db:
            db.execute(
                "DELETE FROM relay_numbers WHERE game_id IS NULL AND reserved_at < ?",
                (at - RESERVED_SECONDS,),
            )
            for number in number_candidates(lambda: _taken(db)):
                held = db.execute(
                    "INSERT INTO relay_numbers (number, reserved_at) SELECT ?, ?"
                    " WHERE ? NOT IN (SELECT number FROM relay_rooms) ON CONFLICT DO NOTHING",
                    (number, at, number),
                )
                if held.rowcount == 1:
                    return number
        return None

    def add_room(self, game_id: str, number: int, at: float) -> None:
        """Record a new room's number, reserved already, for a game already created."""
        with self._transaction() as db:
            db.execute(
                "INSERT INTO relay_rooms (game_id, code, number, created_at, last_active)"
                " VALUES (?, ?, ?, ?, ?)",
                (game_id, str(number), number, at, at),
            )
            held = db.execute(
                "UPDATE relay_numbers SET game_id = ? WHERE number = ? AND game_id IS NULL",
                (game_id, number),
            )
            if held.rowcount != 1:
                raise StoreError(f"room {number} was not reserved, or is taken")

    def add_seat(self, game_id: str, seat: Seat, token_hash: str, at: float) -> None:
        """Record the hash of a seat's resume token."""
        with self._transaction() as db:
            db.execute(
                "INSERT INTO relay_seats (game_id, seat, token_hash) VALUES (?, ?, ?)",
                (game_id, seat.value, token_hash),
            )
            db.execute("UPDATE relay_rooms SET last_active = ? WHERE game_id = ?", (at, game_id))

    def forget_rooms(self) -> None:
        """Forget every room's code, token hashes and command ids. Their event logs stay
        (`blank_abandoned` then blanks their limits and lines)."""
        with self._transaction() as db:
            db.execute("DELETE FROM relay_rooms")
            db.execute("DELETE FROM relay_numbers")
            db.execute("DELETE FROM relay_session")
            db.execute("DELETE FROM relay_clock")

    def remove_room(self, game_id: str) -> None:
        """Forget a room's code, token hashes and command ids. Its event log stays, with its
        limits and lines blanked unless the game had finished (then they were already)."""
        with self._transaction() as db:
            db.execute("DELETE FROM relay_rooms WHERE game_id = ?", (game_id,))
        self.blank_abandoned(game_id)

    def rooms(self) -> list[StoredRoom]:
        """Every live room, oldest first."""
        try:
            rooms = [
                StoredRoom(game_id, number, last_active)
                for game_id, number, last_active in self._db.execute(
                    "SELECT game_id, number, last_active FROM relay_rooms ORDER BY created_at"
                )
            ]
            by_id = {room.game_id: room for room in rooms}
            for game_id, seat, hashed in self._db.execute(
                "SELECT game_id, seat, token_hash FROM relay_seats"
            ):
                by_id[game_id].tokens[Seat(seat)] = hashed
            for game_id, seat, command_id, seq in self._db.execute(
                "SELECT game_id, seat, command_id, seq FROM relay_commands ORDER BY seq"
            ):
                by_id[game_id].commands.setdefault(Seat(seat), []).append((command_id, seq))
            for game_id, hashed in self._db.execute("SELECT game_id, pake_hash FROM relay_tried"):
                by_id[game_id].tried.add(hashed)
        except sqlite3.Error as error:
            raise StoreError(f"cannot read the records at {self.path}: {error}") from None
        return rooms

    def take_room(
        self, *, number: int | None = None, token_hash: str | None = None
    ) -> StoredRoom | None:
        """One relay uses the file alone and holds every room: there is none to take."""
        return None

    def held(self) -> set[str]:
        """Every live room's game: one relay uses the file alone."""
        return {game_id for (game_id,) in self._db.execute("SELECT game_id FROM relay_rooms")}

    def expire_orphans(self, at: float, idle: float, unjoined: float) -> list[int]:
        """One relay uses the file alone: its own sweep expires every room."""
        return []

    def keep_tried(self, game_id: str, hashed: str | None) -> None:
        """Record the hash of a SPAKE2 message a joiner tried in a room; with None, forget the
        room's (a joiner took the seat, so the seated side's next message is a fresh one)."""
        with self._transaction() as db:
            if hashed is None:
                db.execute("DELETE FROM relay_tried WHERE game_id = ?", (game_id,))
            else:
                db.execute(
                    "INSERT OR IGNORE INTO relay_tried (game_id, pake_hash) VALUES (?, ?)",
                    (game_id, hashed),
                )

    def move_seat(self, game_id: str, seat: Seat, new_hash: str, old_hash: str) -> None:
        """Give a seat a new token's hash, and remember the old one as moved."""
        with self._transaction() as db:
            db.execute(
                "UPDATE relay_seats SET token_hash = ? WHERE game_id = ? AND seat = ?",
                (new_hash, game_id, seat.value),
            )
            db.execute(
                "INSERT OR IGNORE INTO relay_moved (game_id, seat, token_hash) VALUES (?, ?, ?)",
                (game_id, seat.value, old_hash),
            )

    def moved_tokens(self) -> list[tuple[str, Seat, str]]:
        """Every live room's moved tokens, as (game id, seat, token hash)."""
        try:
            rows = self._db.execute("SELECT game_id, seat, token_hash FROM relay_moved")
            return [(game_id, Seat(seat), hashed) for game_id, seat, hashed in rows]
        except sqlite3.Error as error:
            raise StoreError(f"cannot read the records at {self.path}: {error}") from None

    def keep_session(self, token_hash: str, rooms: list[tuple[int, str]]) -> None:
        """Record the facilitated session (there is one at most): its token's hash, and each
        room's number with its game."""
        with self._transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO relay_session (id, token_hash, rooms) VALUES (1, ?, ?)",
                (token_hash, json.dumps(rooms)),
            )

    def session(self) -> StoredSession | None:
        """The facilitated session recorded, if any."""
        try:
            row = self._db.execute("SELECT token_hash, rooms FROM relay_session").fetchone()
        except sqlite3.Error as error:
            raise StoreError(f"cannot read the records at {self.path}: {error}") from None
        if row is None:
            return None
        hashed, rooms = row
        return StoredSession(hashed, tuple((number, game) for number, game in json.loads(rooms)))

    def keep_clock(self, clock: str) -> None:
        """Record the session's clock (JSON), in place of the one before."""
        with self._transaction() as db:
            db.execute("INSERT OR REPLACE INTO relay_clock (id, clock) VALUES (1, ?)", (clock,))

    def kept_clock(self) -> str | None:
        """The session's clock as recorded (JSON), if any."""
        try:
            row = self._db.execute("SELECT clock FROM relay_clock").fetchone()
        except sqlite3.Error as error:
            raise StoreError(f"cannot read the records at {self.path}: {error}") from None
        return None if row is None else str(row[0])


def _taken(db: sqlite3.Connection) -> set[int]:
    """Every number a room has or a host holds."""
    rows = db.execute("SELECT number FROM relay_numbers UNION SELECT number FROM relay_rooms")
    return {number for (number,) in rows}
