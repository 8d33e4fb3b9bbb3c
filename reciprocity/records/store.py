"""The event log: a SQLite database of games and their events (`Store`), and what a room needs
of any event log (`EventLog`).

Only events are kept: who shared which card at which level and how it ended. The words partners
type are never passed to the store, so they can never be written. When a game finishes, the
limits and lines recorded in its log are blanked out, so the record shows only that they
changed.
"""

from __future__ import annotations

import contextlib
import functools
import json
import secrets
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from reciprocity import ReciprocityError
from reciprocity.engine.messages import Event, LimitSet
from reciprocity.engine.state import Seat
from reciprocity.paths import data_dir

if TYPE_CHECKING:
    from pydantic import TypeAdapter

    from reciprocity.deck import Deck


@functools.cache
def event_adapter() -> TypeAdapter[Event]:
    """The JSON codec of events, built on first use to keep start-up quick."""
    from pydantic import TypeAdapter

    return TypeAdapter(Event)


@functools.lru_cache(maxsize=64)
def stored_deck(deck_json: str) -> Deck:
    """A deck as a game stored it, read once for every game that plays the same one: rooms
    brought back after a relay restart share it, as new rooms share theirs."""
    from reciprocity.deck import Deck

    return Deck.model_validate_json(deck_json)


_SCHEMA = """
CREATE TABLE IF NOT EXISTS games (
    id TEXT PRIMARY KEY,
    deck_id TEXT NOT NULL,
    deck_title TEXT NOT NULL,
    deck_json TEXT NOT NULL,
    seed INTEGER NOT NULL,
    checkin INTEGER NOT NULL,
    mode TEXT NOT NULL,
    created_at REAL NOT NULL,
    finished_at REAL
);
CREATE TABLE IF NOT EXISTS events (
    game_id TEXT NOT NULL REFERENCES games(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    at REAL NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (game_id, seq)
);
"""


class StoreError(ReciprocityError):
    """The records cannot be read or written; the message says which file and why."""


@dataclass(frozen=True, slots=True)
class StoredGame:
    """What it takes to bring a game back: its deck, settings and logged events."""

    id: str
    deck: Deck
    seed: int
    checkin: bool
    events: list[tuple[int, float, Event]]


@dataclass(frozen=True, slots=True)
class GameLog:
    """One game as the records list it: what it was, when, and its events as (time, event)."""

    id: str
    deck_id: str
    deck_title: str
    mode: str
    created_at: float
    finished_at: float | None
    events: list[tuple[float, Event]]


#: A limit as a finished game's log keeps it: only that it changed, never the values chosen.
BLANK_LIMIT = LimitSet(seat=Seat.A, limit=0, lines=frozenset())


def _insert_game(
    db: sqlite3.Connection,
    game_id: str,
    deck: Deck,
    seed: int,
    checkin: bool,
    mode: str,
    created_at: float,
    finished_at: float | None = None,
) -> None:
    db.execute(
        "INSERT INTO games (id, deck_id, deck_title, deck_json, seed, checkin, mode, created_at,"
        " finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            game_id,
            deck.id,
            deck.title,
            deck.model_dump_json(),
            seed,
            int(checkin),
            mode,
            created_at,
            finished_at,
        ),
    )


def _blank_limits(db: sqlite3.Connection, game_id: str) -> None:
    """Keep only that a limit or lines changed, never the values chosen. The events are found
    by the type tag of the engine's `LimitSet`, so renaming the event cannot stop this."""
    rows = db.execute(
        "SELECT seq, body FROM events WHERE game_id = ? AND json_extract(body, '$.type') = ?",
        (game_id, BLANK_LIMIT.type),
    ).fetchall()
    for seq, body in rows:
        db.execute(
            "UPDATE events SET body = ? WHERE game_id = ? AND seq = ?",
            (blank_limit(body), game_id, seq),
        )


def blank_limit(body: str) -> str:
    """A logged `LimitSet` (as JSON) with its limit and lines taken out."""
    event = event_adapter().validate_json(body)
    assert isinstance(event, LimitSet)
    blanked = replace(event, limit=BLANK_LIMIT.limit, lines=BLANK_LIMIT.lines)
    return json.dumps(event_adapter().dump_python(blanked, mode="json"))


class EventLog(Protocol):
    """What a `Room` needs of the records: a game's log, written and read back. `Store` is
    one; the relay's records (SQLite or PostgreSQL) are others."""

    def create_game(self, game_id: str, deck: Deck, seed: int, checkin: bool, mode: str) -> None:
        """Start a game's log."""

    def append(self, game_id: str, first_seq: int, events: Sequence[Event], at: float) -> None:
        """Commit events numbered from `first_seq`. Returns only once they are committed."""

    def finish(self, game_id: str) -> None:
        """Mark a game finished and blank the private values its log held."""

    def load(self, game_id: str) -> StoredGame:
        """A game's deck, settings and events; KeyError if there is no such game."""


def default_path() -> Path:
    """The history database in the data folder."""
    return data_dir() / "reciprocity.sqlite3"


class Store:
    """The event log. An event is acknowledged only after it is committed."""

    #: The games nothing will resume: here, every unfinished one (local games never resume).
    _ABANDONED = "SELECT id FROM games WHERE finished_at IS NULL"

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_path()
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
        except sqlite3.Error as error:
            raise StoreError(f"cannot open the records at {self.path}: {error}") from None
        self._grouped = self._began = self._failed = False

    def close(self) -> None:
        """Close the database."""
        self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write: its own transaction, or within a `group` a savepoint in the group's."""
        if self._grouped:
            yield from self._savepoint()
            return
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        except sqlite3.Error as error:
            raise StoreError(f"cannot write the records at {self.path}: {error}") from None

    def _savepoint(self) -> Iterator[sqlite3.Connection]:
        try:
            if not self._began:  # the group's first write begins it
                self._db.execute("BEGIN IMMEDIATE")
                self._began = True
            self._db.execute("SAVEPOINT write")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK TO write")
                self._db.execute("RELEASE write")
                raise
            self._db.execute("RELEASE write")
        except sqlite3.Error as error:
            self._failed = True  # as in PostgreSQL, a failed statement fails the group
            raise StoreError(f"cannot write the records at {self.path}: {error}") from None

    @contextmanager
    def group(self) -> Iterator[None]:
        """Group commit: every write in this block goes into one transaction, committed when
        the block ends. A write refused by a check (it raises `StoreError` itself) is undone
        alone; if a statement fails in the database or the commit does, nothing written in
        the block is kept, and `StoreError` is raised when the block ends."""
        if self._grouped:
            yield
            return
        self._grouped, self._began, self._failed = True, False, False
        try:
            yield
            if self._failed:
                raise StoreError(f"cannot write the records at {self.path}: a write failed")
        except BaseException:
            self._roll_back()
            raise
        finally:
            self._grouped = False
        if not self._began:
            return  # nothing was written
        try:
            self._db.execute("COMMIT")  # fails too if SQLite had to roll the group back
        except sqlite3.Error as error:
            self._roll_back()
            raise StoreError(f"cannot write the records at {self.path}: {error}") from None

    def _roll_back(self) -> None:
        """Undo the group's transaction, if SQLite has not already (a rollback that fails,
        as when the process is out of descriptors, leaves SQLite to undo it)."""
        if self._db.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("ROLLBACK")

    def create_game(self, game_id: str, deck: Deck, seed: int, checkin: bool, mode: str) -> None:
        """Start a game's log."""
        with self._transaction() as db:
            _insert_game(db, game_id, deck, seed, checkin, mode, time.time())

    def append(self, game_id: str, first_seq: int, events: Sequence[Event], at: float) -> None:
        """Commit events numbered from `first_seq`. Returns only once they are on disk."""
        rows = [
            (game_id, first_seq + i, at, event_adapter().dump_json(event).decode())
            for i, event in enumerate(events)
        ]
        with self._transaction() as db:
            db.executemany("INSERT INTO events (game_id, seq, at, body) VALUES (?, ?, ?, ?)", rows)
            self._commit_with(db, game_id, first_seq + len(events) - 1, at)

    def _commit_with(self, db: sqlite3.Connection, game_id: str, last_seq: int, at: float) -> None:
        """For subclasses: what else to write in the same transaction as a game's events."""

    def finish(self, game_id: str) -> None:
        """Mark a game finished and blank the private values its log held."""
        with self._transaction() as db:
            db.execute("UPDATE games SET finished_at = ? WHERE id = ?", (time.time(), game_id))
            _blank_limits(db, game_id)

    def blank_abandoned(self, game_id: str | None = None) -> None:
        """Blank the limits and lines of every unfinished game that nothing will resume (or
        of `game_id` only, if it is one), as if it had finished: a game left half-way keeps
        no private values either."""
        with self._transaction() as db:
            if game_id is None:
                games = db.execute(self._ABANDONED).fetchall()
            else:
                games = db.execute(f"{self._ABANDONED} AND id = ?", (game_id,)).fetchall()
            for (found,) in games:
                _blank_limits(db, found)

    def import_game(
        self,
        deck: Deck,
        seed: int,
        checkin: bool,
        mode: str,
        events: Sequence[tuple[int, float, Event]],
    ) -> str:
        """Keep a game finished elsewhere (over the network) in this history; returns its id.

        Its times are the events' own, and its limits and lines are blanked as in any finished
        game, whatever the sender did.
        """
        game_id = secrets.token_hex(4)
        started = events[0][1] if events else time.time()
        finished = events[-1][1] if events else started
        rows = [
            (game_id, seq, at, event_adapter().dump_json(event).decode())
            for seq, at, event in events
        ]
        with self._transaction() as db:
            _insert_game(db, game_id, deck, seed, checkin, mode, started, finished)
            db.executemany("INSERT INTO events (game_id, seq, at, body) VALUES (?, ?, ?, ?)", rows)
            _blank_limits(db, game_id)
        return game_id

    def load(self, game_id: str) -> StoredGame:
        """A game's deck, settings and events; KeyError if there is no such game."""
        row = self._db.execute(
            "SELECT deck_json, seed, checkin FROM games WHERE id = ?", (game_id,)
        ).fetchone()
        if row is None:
            raise KeyError(game_id)
        return StoredGame(game_id, stored_deck(row[0]), row[1], bool(row[2]), self.events(game_id))

    def events(self, game_id: str, after: int = 0) -> list[tuple[int, float, Event]]:
        """A game's events after a sequence number, oldest first, as (seq, time, event)."""
        rows = self._db.execute(
            "SELECT seq, at, body FROM events WHERE game_id = ? AND seq > ? ORDER BY seq",
            (game_id, after),
        ).fetchall()
        return [(seq, at, event_adapter().validate_json(body)) for seq, at, body in rows]

    def logs(self) -> list[GameLog]:
        """Every game with its events, newest first."""
        games = self._db.execute(
            "SELECT id, deck_id, deck_title, mode, created_at, finished_at FROM games"
            " ORDER BY created_at DESC"
        ).fetchall()
        return [
            GameLog(
                game_id,
                deck_id,
                title,
                mode,
                created,
                finished,
                [(at, event) for _, at, event in self.events(game_id)],
            )
            for game_id, deck_id, title, mode, created, finished in games
        ]

    def delete(self, game_id: str) -> bool:
        """Delete one game and its events; False if there was no such game."""
        with self._transaction() as db:
            return db.execute("DELETE FROM games WHERE id = ?", (game_id,)).rowcount > 0

    def delete_all(self) -> int:
        """Delete every game; returns how many there were."""
        with self._transaction() as db:
            return db.execute("DELETE FROM games").rowcount
