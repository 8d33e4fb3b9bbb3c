"""The room, the store and the local connection: commit before apply, privacy, resume."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from reciprocity.deck import Deck
from reciprocity.engine import (
    CheckIn,
    Draw,
    End,
    IllegalMove,
    Join,
    MarkSupported,
    Pause,
    Phase,
    Respond,
    Seat,
    SetLimit,
    Share,
)
from reciprocity.game.history import past_games
from reciprocity.game.room import Room
from reciprocity.net.connection import Rejected, Update, ViewChanged, WordsArrived
from reciprocity.net.local import LocalConnection
from reciprocity.records.store import Store


def started_room(deck: Deck, store: Store | None) -> Room:
    """A room with both partners set up: Sam (limit 3, no lines), Ben (limit 2, family)."""
    room = Room.create(deck, store, seed=11)
    room.submit(Seat.A, Join(name="Sam"))
    room.submit(Seat.B, Join(name="Ben"))
    room.submit(Seat.A, SetLimit(limit=3))
    room.submit(Seat.B, SetLimit(limit=2, lines=frozenset({"family"})))
    room.submit(Seat.A, CheckIn(score=3))
    room.submit(Seat.B, CheckIn(score=4))
    return room


def play_supported_turn(room: Room) -> None:
    """One whole turn that lands well."""
    sharer = room.state.sharer
    room.submit(sharer, Draw())
    room.submit(sharer, Share())
    room.submit(sharer.other, Respond())
    room.submit(sharer, MarkSupported())


def test_views_never_show_the_partners_limit_or_lines(deck: Deck) -> None:
    room = started_room(deck, None)
    sam, ben = room.view(Seat.A), room.view(Seat.B)
    assert sam.me.limit == 3 and sam.me.lines == ()
    assert ben.me.limit == 2 and ben.me.lines == ("family",)
    assert "family" not in sam.model_dump_json(exclude={"tags"})  # tags: the whole deck's
    assert sam.ceiling == 2
    assert sam.ceiling_text == "you are playing up to level 2"
    assert "Ben" not in sam.ceiling_text and "Sam" not in sam.ceiling_text


def test_equal_limits_are_named_as_both(deck: Deck) -> None:
    room = started_room(deck, None)
    room.submit(Seat.A, SetLimit(limit=2))
    assert room.view(Seat.A).ceiling_text == "you both chose level 2"


def test_events_are_committed_and_a_room_resumes_to_the_same_state(deck: Deck) -> None:
    store = Store()
    room = started_room(deck, store)
    play_supported_turn(room)
    play_supported_turn(room)
    resumed = Room.resume(store, room.id)
    assert resumed.state == room.state
    assert resumed.seq == room.seq == len(store.events(room.id))
    assert [seq for seq, _, _ in store.events(room.id)] == list(range(1, room.seq + 1))


def test_an_illegal_command_stores_nothing(deck: Deck) -> None:
    store = Store()
    room = started_room(deck, store)
    before = (room.state, room.seq)
    with pytest.raises(IllegalMove):
        room.submit(Seat.B, Draw())
    assert (room.state, room.seq) == before
    assert len(store.events(room.id)) == room.seq


def test_a_finished_game_keeps_no_limit_values(deck: Deck) -> None:
    store = Store()
    room = started_room(deck, store)
    play_supported_turn(room)
    room.submit(Seat.A, End())
    room.submit(Seat.A, CheckIn(score=5))
    room.submit(Seat.B, CheckIn(score=6))
    assert room.state.phase is Phase.FINISHED
    with sqlite3.connect(store.path) as db:
        bodies = [body for (body,) in db.execute("SELECT body FROM events")]
    limit_rows = [body for body in bodies if '"limit_set"' in body]
    assert len(limit_rows) == 2
    assert all('"limit": 0' in body and "family" not in body for body in limit_rows)
    record = past_games(store)[0]
    assert record.summary.limit_changes == 0
    assert record.summary.a.ios_after == 5 and record.summary.b.ios_before == 4


def limit_bodies(store: Store, game_id: str) -> list[str]:
    """The stored `limit_set` events of a game, as JSON."""
    with sqlite3.connect(store.path) as db:
        rows = db.execute("SELECT body FROM events WHERE game_id = ?", (game_id,))
        return [body for (body,) in rows if '"limit_set"' in body]


def test_a_game_left_half_way_keeps_no_limit_values_once_the_store_is_opened_again(
    deck: Deck,
) -> None:
    store = Store()
    left = started_room(deck, store)  # the window closed mid-game: it never finishes
    play_supported_turn(left)
    assert any('"family"' in body for body in limit_bodies(store, left.id))
    from reciprocity.tui.app import ReciprocityApp

    assert ReciprocityApp().store.path == store.path  # opening its records, the app blanks
    assert all(
        '"limit": 0' in body and "family" not in body for body in limit_bodies(store, left.id)
    )
    [record] = past_games(store)
    assert record.finished_at is None  # still shown as a game left half-way


def test_the_summary_counts_what_happened(deck: Deck) -> None:
    room = started_room(deck, None)
    for _ in range(3):
        play_supported_turn(room)
    assert room.summary().deepest_level == 1
    play_supported_turn(room)
    summary = room.summary()
    assert summary.turns == 4
    assert summary.a.supported == 2 and summary.b.supported == 2
    assert summary.a.depth_sum == 2 and summary.support_rate == 1.0
    assert summary.deepest_level == 2
    assert [point.level for point in summary.timeline] == [1, 1, 1, 1]


async def test_local_connection_delivers_views_words_and_refusals(deck: Deck) -> None:
    store = Store()
    room = started_room(deck, store)
    connection = LocalConnection(room)
    updates: list[Update] = []
    task = asyncio.create_task(connection.run(updates.append))
    await asyncio.sleep(0)
    assert {u.view.seat for u in updates if isinstance(u, ViewChanged)} == {Seat.A, Seat.B}
    connection.send(Seat.B, Draw())
    assert isinstance(updates[-1], Rejected) and "Sam" in updates[-1].message
    marker = "words-only-on-screen-4f1c"
    connection.say(Seat.A, f"  {marker}  ")
    assert updates[-1] == WordsArrived(Seat.A, marker)
    connection.send(Seat.A, Draw())
    assert isinstance(updates[-1], ViewChanged) and updates[-1].view.phase is Phase.SHARE
    connection.close()
    await asyncio.wait_for(task, 1)
    store.close()
    stored = b"".join(path.read_bytes() for path in Path(store.path).parent.glob("*sqlite3*"))
    assert marker.encode() not in stored
    assert b"Sam" in stored


def test_a_join_is_checked_without_changing_the_room(deck: Deck) -> None:
    with pytest.raises(IllegalMove, match="Please enter a name"):
        Room.check_first_join(deck, "   ")
    Room.check_first_join(deck, "Sam")
    room = Room.create(deck, None)
    room.submit(Seat.A, Join(name="Sam"))
    with pytest.raises(IllegalMove, match="different from your partner's"):
        room.check_join(Seat.B, "sam")
    room.check_join(Seat.B, "Ben")
    assert room.seq == 1 and room.state.b.name is None


def test_each_view_carries_what_that_seat_may_do_now(deck: Deck) -> None:
    room = started_room(deck, None)
    assert room.view(Seat.A).legal == ("draw", "end", "pause", "set_limit")
    assert room.view(Seat.B).legal == ("end", "pause", "set_limit")
    room.submit(Seat.A, Draw())
    room.submit(Seat.A, Share())
    assert room.view(Seat.B).legal == ("end", "pause", "respond", "set_limit")
    room.submit(Seat.B, Pause())
    assert room.view(Seat.A).legal == ("end", "ready", "set_limit")
    room.submit(Seat.A, End())
    # In the closing, `end` only closes it without a partner who has gone away.
    assert room.view(Seat.A).legal == ("check_in", "end")


def test_the_pairs_own_play_is_what_counts_as_activity_not_the_facilitators(deck: Deck) -> None:
    from reciprocity.engine import Hold, OpenLevel

    now = [100.0]
    room = started_room(deck, None)
    room.clock = lambda: now[0]
    room.submit(Seat.A, Draw())
    played = room.last_played
    now[0] = 200.0
    room.steer(Hold())
    room.steer(OpenLevel(level=2))
    assert room.last_active == 200.0 and room.last_played == played
