"""The records keep events and blank a finished game's limits by the event's type, never by
matching text."""

from __future__ import annotations

import json
import sqlite3

from conftest import make_deck

from reciprocity.engine import Joined, LimitSet, Seat
from reciprocity.records.store import BLANK_LIMIT, Store


def test_the_limit_tag_on_disk_is_the_engines() -> None:
    # Records already written carry this tag: were `LimitSet`'s tag renamed, they would no
    # longer load, and their limits would no longer be blanked.
    assert BLANK_LIMIT.type == LimitSet(seat=Seat.A, limit=3, lines=frozenset()).type
    assert BLANK_LIMIT.type == "limit_set"


def test_a_limit_written_under_the_stored_tag_is_blanked_when_the_game_finishes() -> None:
    store = Store()
    store.create_game("g1", make_deck(), 7, False, "local")
    store.append("g1", 1, [Joined(seat=Seat.A, name="limit_set")], 1.0)
    with sqlite3.connect(store.path) as raw:  # as an earlier version wrote it
        body = {"seat": "b", "limit": 2, "lines": ["family"], "type": "limit_set"}
        raw.execute(
            "INSERT INTO events (game_id, seq, at, body) VALUES (?, ?, ?, ?)",
            ("g1", 2, 2.0, json.dumps(body)),
        )
    store.append("g1", 3, [LimitSet(seat=Seat.A, limit=3, lines=frozenset({"work"}))], 3.0)

    store.finish("g1")

    events = [event for _, _, event in store.load("g1").events]
    assert events == [
        Joined(seat=Seat.A, name="limit_set"),  # a name that reads like the tag is kept
        LimitSet(seat=Seat.B, limit=0, lines=frozenset()),
        LimitSet(seat=Seat.A, limit=0, lines=frozenset()),
    ]
