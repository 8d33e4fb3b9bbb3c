"""The SQL of the relay's PostgreSQL records (`records_postgres.py`): the schema, the
statements long enough to want a name, and the small helpers around them."""

from __future__ import annotations

import urllib.parse

import psycopg
from psycopg.rows import TupleRow

from reciprocity.records.store import BLANK_LIMIT, blank_limit

#: Taken while the schema is made, so relays starting together do not race to make it.
SCHEMA_LOCK = 0x5265_6369
SCHEMA = """
CREATE TABLE IF NOT EXISTS games (
    id TEXT PRIMARY KEY,
    deck_id TEXT NOT NULL,
    deck_title TEXT NOT NULL,
    deck_json TEXT NOT NULL,
    seed BIGINT NOT NULL,
    checkin BOOLEAN NOT NULL,
    mode TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL,
    finished_at DOUBLE PRECISION
);
CREATE TABLE IF NOT EXISTS events (
    game_id TEXT NOT NULL REFERENCES games(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    at DOUBLE PRECISION NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (game_id, seq)
);
CREATE TABLE IF NOT EXISTS relay_rooms (
    game_id TEXT PRIMARY KEY REFERENCES games(id) ON DELETE CASCADE,
    number INTEGER NOT NULL,
    created_at DOUBLE PRECISION NOT NULL,
    last_active DOUBLE PRECISION NOT NULL,
    owner TEXT NOT NULL,
    epoch BIGINT NOT NULL
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
    reserved_at DOUBLE PRECISION NOT NULL,
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
CREATE TABLE IF NOT EXISTS relay_owners (
    owner TEXT PRIMARY KEY,
    seen_at DOUBLE PRECISION NOT NULL
);
CREATE TABLE IF NOT EXISTS relay_clock (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    clock TEXT NOT NULL
);
"""

#: A command's events, its id and the room's activity, in one statement, written only if
#: the relay still holds the room's lease at its epoch (else no row is written).
APPEND = """
WITH fence AS (
    UPDATE relay_rooms SET last_active = %(at)s
    WHERE game_id = %(game)s AND owner = %(owner)s AND epoch = %(epoch)s
    RETURNING game_id
), command AS (
    INSERT INTO relay_commands (game_id, seat, command_id, seq)
    SELECT game_id, %(seat)s::text, %(command)s::text, %(last)s FROM fence
    WHERE %(command)s::text IS NOT NULL
)
INSERT INTO events (game_id, seq, at, body)
SELECT fence.game_id, event.seq, %(at)s, event.body
FROM fence, unnest(%(seqs)s::integer[], %(bodies)s::text[]) AS event (seq, body)
"""

#: The rooms of relays gone silent, idle past their limit, forgotten (their seats, command
#: ids, tried messages and number go with them): any relay's sweep runs it.
ORPHANED = """
DELETE FROM relay_rooms AS room
WHERE room.owner <> %(owner)s
AND NOT EXISTS (
    SELECT 1 FROM relay_owners AS alive
    WHERE alive.owner = room.owner AND alive.seen_at >= %(silent_since)s
)
AND room.last_active < CASE
    WHEN EXISTS (
        SELECT 1 FROM relay_seats AS seat
        WHERE seat.game_id = room.game_id AND seat.seat = %(second)s
    ) THEN %(idle_before)s
    ELSE %(unjoined_before)s
END
RETURNING room.game_id, room.number
"""

#: Unfinished games whose room is gone (expired or forgotten) can never resume.
ABANDONED = (
    "SELECT id FROM games WHERE finished_at IS NULL AND id NOT IN (SELECT game_id FROM relay_rooms)"
)


def shown(url: str) -> str:
    """A database URL fit for a log line: without its password, in its user part or in its
    query (`?password=…`)."""
    parts = urllib.parse.urlsplit(url)
    if parts.password is not None:
        host = parts.netloc.rsplit("@", 1)[1]
        parts = parts._replace(netloc=f"{parts.username}@{host}")
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    kept = [(key, value) for key, value in query if key != "password"]
    if len(kept) != len(query):
        parts = parts._replace(query=urllib.parse.urlencode(kept))
    return urllib.parse.urlunsplit(parts)


def reason(error: psycopg.Error) -> str:
    """A database error in one line."""
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


def blank_limits(db: psycopg.Connection[TupleRow], game_id: str) -> None:
    """Blank a game's limits and lines, as the SQLite records do: found by the `LimitSet` type
    tag, never by text."""
    rows = db.execute(
        "SELECT seq, body FROM events WHERE game_id = %s AND body::jsonb ->> 'type' = %s",
        (game_id, BLANK_LIMIT.type),
    ).fetchall()
    with db.cursor() as cursor:
        cursor.executemany(
            "UPDATE events SET body = %s WHERE game_id = %s AND seq = %s",
            [(blank_limit(body), game_id, seq) for seq, body in rows],
        )


def taken_numbers(db: psycopg.Connection[TupleRow]) -> set[int]:
    """Every number a room has or a host holds."""
    rows = db.execute("SELECT number FROM relay_numbers UNION SELECT number FROM relay_rooms")
    return {number for (number,) in rows}
