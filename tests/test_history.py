"""`reciprocity history`: the table, trends, exports and deleting games, from real games."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import make_deck

from reciprocity import cli
from reciprocity.engine import (
    CheckIn,
    Draw,
    End,
    Forgive,
    Join,
    LetGo,
    MarkStung,
    MarkSupported,
    NameHurt,
    Pass,
    Repair,
    Respond,
    Seat,
    SetLimit,
    Share,
)
from reciprocity.engine.summary import SeatTotals, Summary
from reciprocity.game.export import CSV_FIELDS
from reciprocity.game.history import (
    GameRecord,
    find_record,
    past_games,
    short_ids,
    table_lines,
)
from reciprocity.game.room import Room
from reciprocity.game.trends import sparkline
from reciprocity.records.store import Store

A, B = Seat.A, Seat.B


def play_game(
    names: tuple[str, str] = ("Sam", "Ben"),
    *,
    limit: int = 3,
    lines: frozenset[str] = frozenset(),
    turns: int = 4,
    stung: dict[int, str] | None = None,
    pass_at: int | None = None,
    change_limit_at: int | None = None,
    checkin: tuple[int, int, int, int] | None = (3, 4, 5, 6),
    end: bool = True,
) -> Room:
    """Play a whole game through a Room on the real store. `stung` maps a turn number to
    "repair" (repaired and forgiven) or "let_go" (unrepaired)."""
    room = Room.create(make_deck(cards=12), Store(), checkin=checkin is not None)
    submit = room.submit
    submit(A, Join(name=names[0]))
    submit(B, Join(name=names[1]))
    submit(A, SetLimit(limit=limit, lines=lines))
    submit(B, SetLimit(limit=3))
    if checkin is not None:
        submit(A, CheckIn(score=checkin[0]))
        submit(B, CheckIn(score=checkin[1]))
    for turn in range(turns):
        sharer = room.state.sharer
        listener = sharer.other
        if turn == change_limit_at:
            submit(B, SetLimit(limit=2))
        submit(sharer, Draw())
        if turn == pass_at:
            submit(sharer, Pass())
            submit(sharer, Draw())
        submit(sharer, Share())
        submit(listener, Respond())
        how = (stung or {}).get(turn)
        if how is None:
            submit(sharer, MarkSupported())
            continue
        submit(sharer, MarkStung())
        submit(sharer, NameHurt())
        if how == "repair":
            submit(listener, Repair())
            submit(sharer, Forgive())
        else:
            submit(listener, LetGo())
    if not end:
        return room
    submit(A, End())
    if checkin is not None:
        submit(A, CheckIn(score=checkin[2]))
        submit(B, CheckIn(score=checkin[3]))
    return room


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run the command line; its exit code, stdout and stderr."""
    code = cli.main(["history", *argv])
    out, err = capsys.readouterr()
    return code, out, err


class FakeTerminal(io.StringIO):
    """Standard input that says it is a terminal, with the answers typed in advance."""

    def isatty(self) -> bool:
        return True


def walk(node: Any) -> Iterator[tuple[str, Any]]:
    """Every (key, value) in a JSON document, however deep."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield key, value
            yield from walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk(item)


# --- the table and trends --------------------------------------------------------------


def test_no_games_says_how_to_start_one(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys)
    assert code == 0
    assert out.strip() == "No games yet. Start one with: reciprocity play"
    assert err == ""


def test_table_lists_games_newest_first_with_their_totals(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    first = play_game(("Sam", "Ben"), turns=4, pass_at=1)
    second = play_game(("Ana", "Jo"), turns=4, stung={2: "repair"}, checkin=None)
    code, out, err = run(capsys)
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == "2 past games, newest first"
    header = next(line for line in lines if line.startswith("ID"))
    for name in ("WHEN", "DECK", "PARTNERS", "MIN", "TURNS", "MET", "DEEP", "REP", "PASS"):
        assert name in header
    rows = [line for line in lines if line[:4] in (first.id[:4], second.id[:4])]
    assert [row[:4] for row in rows] == [second.id[:4], first.id[:4]]
    newest, oldest = rows
    assert "Ana & Jo" in newest and "Test deck" in newest
    assert "Sam & Ben" in oldest
    # Sam & Ben: 4 turns all supported, level 2 reached, no repair, one pass, closer by 2 each.
    assert oldest.split()[-7:] == ["4", "100%", "2", "0", "1", "3→5", "4→6"]
    assert "100%" in newest and newest.endswith("\u2013")  # no check-in: a dash for closeness
    assert datetime.now().strftime("%b") in oldest


def test_trends_show_support_depth_and_repairs_over_games(
    capsys: pytest.CaptureFixture[str],
) -> None:
    play_game(turns=4)
    play_game(turns=4, stung={0: "let_go", 2: "repair"})
    code, out, _ = run(capsys)
    assert code == 0
    trends = out[out.index("Trends") :].splitlines()
    support = next(line for line in trends if "Support rate" in line)
    levels = next(line for line in trends if "Deepest level" in line)
    # Oldest first: 100% then 3 of 4 (75%) on a 0-100% scale.
    assert "█▆" in support
    assert "last game 75% · overall 88%" in support
    assert "last game" in levels and "deepest 2" in levels
    assert any("2 games · 1 repair" in line for line in trends)


def test_table_fits_80_columns_with_long_names(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    play_game(("Alexandra-Marie", "Benjamin-Christopher"))
    play_game(("Sam", "Ben"))
    _, out, _ = run(capsys)
    table = [line for line in out.splitlines() if "&" in line or line.startswith("ID")]
    assert len(table) == 3
    assert all(len(line) <= 80 for line in table), table
    # Both names are shortened, so each still shows.
    # (How much of each shows depends on how wide today's date is.)
    assert any(re.search(r"\bAl[a-z]*… & Be[a-z]*…", line) for line in table), table
    assert any("Sam & Ben" in line for line in table)


# --- exports ---------------------------------------------------------------------------


def test_json_export_has_full_records_and_never_limits_lines_or_words(
    capsys: pytest.CaptureFixture[str],
) -> None:
    room = play_game(
        limit=2,
        lines=frozenset({"family"}),
        turns=5,
        stung={1: "repair", 3: "let_go"},
        pass_at=2,
        change_limit_at=4,
    )
    code, out, err = run(capsys, "--json")
    assert code == 0 and err == ""
    document = json.loads(out)
    assert document["format"] == "reciprocity-history" and document["version"] == 1
    [game] = document["games"]
    assert game["id"] == room.id
    assert game["deck_id"] == "test-deck" and game["deck_title"] == "Test deck"
    assert datetime.fromisoformat(game["created_at"]).tzinfo is not None
    assert datetime.fromisoformat(game["finished_at"]) >= datetime.fromisoformat(game["created_at"])
    assert game["ended"] is True
    assert game["turns"] == 5
    assert game["repairs"] == 1
    assert game["passes"] == 1
    assert game["limit_changes"] == 1
    assert game["support_rate"] == 0.8
    assert game["outcomes"] == {
        "supported": 3,
        "repaired": 1,
        "not_yet": 0,
        "unrepaired": 1,
        "passed": 1,
    }
    sam, ben = game["partners"]
    assert (sam["seat"], sam["name"], sam["ios_before"], sam["ios_after"]) == ("a", "Sam", 3, 5)
    assert (ben["seat"], ben["name"], ben["ios_before"], ben["ios_after"]) == ("b", "Ben", 4, 6)
    assert sam["shares"] + ben["shares"] == 5
    assert sam["supported"] + ben["supported"] == 4
    assert len(game["timeline"]) == 6  # five turns and a pass
    assert {point["outcome"] for point in game["timeline"]} == {
        "supported",
        "repaired",
        "unrepaired",
        "passed",
    }
    assert all(set(p) == {"minute", "sharer", "level", "card", "outcome"} for p in game["timeline"])
    # Each turn keeps which card it was, by id (GAME.md: sharer, card, level, outcome, time).
    assert all(p["card"] == f"l{p['level']}-{p['card'].split('-')[1]}" for p in game["timeline"])
    # Private choices and words are never exported: only how many times a limit changed.
    assert "family" not in out
    assert "Card " not in out  # card texts
    keys = {key for key, _ in walk(document)}
    assert {key for key in keys if "limit" in key} == {"limit_changes"}
    assert "lines" not in keys and "text" not in keys


def test_json_export_of_no_games_is_an_empty_list(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--json")
    assert code == 0
    assert json.loads(out)["games"] == []


def test_csv_export_has_one_row_per_game(capsys: pytest.CaptureFixture[str]) -> None:
    first = play_game(("Sam", "Ben"), limit=2, lines=frozenset({"family"}), pass_at=0)
    second = play_game(("Ana", "Jo"), stung={1: "repair"}, checkin=None)
    code, out, err = run(capsys, "--csv")
    assert code == 0 and err == ""
    reader = csv.DictReader(io.StringIO(out))
    assert tuple(reader.fieldnames or ()) == CSV_FIELDS
    rows = list(reader)
    assert [row["id"] for row in rows] == [second.id, first.id]
    newest, oldest = rows
    assert (oldest["a_name"], oldest["b_name"]) == ("Sam", "Ben")
    assert (oldest["a_ios_before"], oldest["a_ios_after"]) == ("3", "5")
    assert (oldest["b_ios_before"], oldest["b_ios_after"]) == ("4", "6")
    assert oldest["turns"] == "4" and oldest["outcome_passed"] == "1"
    assert oldest["support_rate"] == "1.0"
    assert newest["repairs"] == "1" and newest["outcome_repaired"] == "1"
    assert newest["a_ios_before"] == ""  # no check-in: an empty cell
    datetime.fromisoformat(oldest["created_at"])
    assert "family" not in out
    assert not any("limit" in field and field != "limit_changes" for field in CSV_FIELDS)


def test_json_and_csv_cannot_be_asked_together(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main(["history", "--json", "--csv"])
    assert exit_.value.code == 2
    assert "not allowed with" in capsys.readouterr().err


# --- deleting --------------------------------------------------------------------------


def test_delete_by_id_prefix_with_yes(capsys: pytest.CaptureFixture[str]) -> None:
    keep = play_game(("Ana", "Jo"))
    gone = play_game(("Sam", "Ben"))
    prefix = short_ids([keep.id, gone.id])[gone.id]
    code, out, err = run(capsys, "delete", prefix.upper(), "--yes")
    assert code == 0 and err == ""
    assert out.startswith("Deleted the game from ") and "with Sam & Ben" in out
    assert [record.id for record in past_games(Store())] == [keep.id]


def test_delete_all_with_yes(capsys: pytest.CaptureFixture[str]) -> None:
    play_game()
    play_game()
    code, out, _ = run(capsys, "delete", "--all", "--yes")
    assert code == 0
    assert out.strip() == "Deleted 2 games."
    assert past_games(Store()) == []
    code, out, _ = run(capsys, "delete", "--all", "--yes")
    assert code == 0 and out.strip() == "No games to delete."


def test_delete_refuses_without_yes_when_input_is_not_a_terminal(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    room = play_game()
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))
    for argv in (("delete", room.id), ("delete", "--all")):
        code, out, err = run(capsys, *argv)
        assert code == 1 and out == ""
        assert err.count("\n") == 1 and err.startswith("reciprocity: ")
        assert "add --yes" in err and "Traceback" not in err
    assert len(past_games(Store())) == 1


def test_delete_asks_on_a_terminal_and_respects_no(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    room = play_game(("Sam", "Ben"))
    monkeypatch.setattr("sys.stdin", FakeTerminal("n\n"))
    code, out, _ = run(capsys, "delete", room.id[:5])
    assert code == 0
    day = datetime.now()
    assert f"Delete the game from {day.day} {day:%b} with Sam & Ben? [y/N]" in out
    assert "Nothing deleted." in out
    assert len(past_games(Store())) == 1

    monkeypatch.setattr("sys.stdin", FakeTerminal("y\n"))
    code, out, _ = run(capsys, "delete", room.id[:5])
    assert code == 0 and "Deleted the game from" in out
    assert past_games(Store()) == []


def test_delete_all_asks_on_a_terminal(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    play_game()
    monkeypatch.setattr("sys.stdin", FakeTerminal(""))  # end of input counts as no
    code, out, _ = run(capsys, "delete", "--all")
    assert (
        code == 0
        and "Delete the 1 game? This cannot be undone. [y/N]" in out
        and "Nothing deleted." in out
    )
    assert len(past_games(Store())) == 1


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("delete", "zzzz", "--yes"), "no game has the id 'zzzz'"),
        (("delete", "--yes"), "say which game to delete"),
        (("delete", "abc", "--all", "--yes"), "not both"),
    ],
)
def test_delete_mistakes_are_one_clear_line(
    capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], message: str
) -> None:
    play_game()
    code, out, err = run(capsys, *argv)
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and err.startswith("reciprocity: ")
    assert message in err and "Traceback" not in err
    assert len(past_games(Store())) == 1


def test_unreadable_records_are_one_clear_line(
    capsys: pytest.CaptureFixture[str], data_dir: Path
) -> None:
    (data_dir / "reciprocity.sqlite3").mkdir(parents=True)
    code, out, err = run(capsys)
    assert code == 1 and out == ""
    assert err.count("\n") == 1
    assert err.startswith("reciprocity: cannot open the records at ")


# --- the helpers the history screen shares ---------------------------------------------


def record(game_id: str, a: str = "Sam", b: str = "Ben") -> GameRecord:
    """A history record with nothing played, for the helpers."""
    summary = Summary(a=SeatTotals(name=a), b=SeatTotals(name=b))
    return GameRecord(game_id, "d", "Deck", "local", 0.0, None, summary)


def test_find_record_by_prefix_names_ambiguity_and_absence() -> None:
    records = [record("ab12cd34"), record("ab99ef00"), record("ff000000")]
    assert find_record(records, "FF").id == "ff000000"
    assert find_record(records, "ab1").id == "ab12cd34"
    with pytest.raises(LookupError, match="could be any of 2 games"):
        find_record(records, "ab")
    with pytest.raises(LookupError, match="no game has the id"):
        find_record(records, "42")


def test_short_ids_are_unique_and_at_least_four_long() -> None:
    assert short_ids(["ab12cd34", "ff000000"]) == {"ab12cd34": "ab12", "ff000000": "ff00"}
    assert short_ids(["ab12cd34", "ab12ef00"]) == {"ab12cd34": "ab12c", "ab12ef00": "ab12e"}


def test_sparkline_uses_a_fixed_scale() -> None:
    assert sparkline([]) == ""
    assert sparkline([0.0, 0.5, 1.0], 0.0, 1.0) == "▁▅█"
    assert sparkline([1.0, 1.0], 0.0, 1.0) == "██"
    assert sparkline([1, 2, 4]) == "▃▅█"


def test_table_lines_align_numbers_right() -> None:
    lines = table_lines([record("ab12cd34"), record("ff000000")], 80)
    header, *rows = lines
    end = header.index("TURNS") + len("TURNS") - 1
    assert all(row[end] == "0" for row in rows)


def test_a_game_from_elsewhere_is_kept_with_its_own_times_and_no_limits() -> None:
    # A game played on another store (as a relay would), with its limits not yet blanked.
    room = Room.create(make_deck(cards=12), None, checkin=False)
    at = iter(range(1_700_000_000, 1_700_000_100))
    room.clock = lambda: float(next(at))
    for seat, command in [
        (A, Join(name="Sam")),
        (B, Join(name="Ben")),
        (A, SetLimit(limit=3, lines=frozenset({"family"}))),
        (B, SetLimit(limit=2)),
        (A, Draw()),
        (A, Share()),
        (B, Respond()),
        (A, MarkSupported()),
        (B, End()),
    ]:
        room.submit(seat, command)
    events = [(seq, at, event) for seq, (at, event) in enumerate(room.log, start=1)]

    store = Store()
    game_id = store.import_game(make_deck(cards=12), 7, False, "network", events)
    [record] = past_games(store)
    assert (record.id, record.mode, record.summary.turns) == (game_id, "network", 1)
    assert (record.created_at, record.finished_at) == (events[0][1], events[-1][1])
    kept = store.load(game_id)
    assert [event for _, _, event in kept.events][:2] == [event for _, _, event in events][:2]
    limits = [event for _, _, event in kept.events if event.type == "limit_set"]
    assert [(event.limit, event.lines) for event in limits] == [(0, frozenset())] * 2


@pytest.mark.parametrize("argv", [["history"], ["play"], ["serve"], ["join", "7-amber-harbor"]])
def test_a_data_folder_that_cannot_be_made_is_one_line(
    argv: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("RECIPROCITY_DATA_DIR", str(blocker / "data"))
    assert cli.main(argv) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    assert err.startswith(f"reciprocity: cannot use the data folder {blocker / 'data'}")
    assert "(RECIPROCITY_DATA_DIR): not a directory" in err


def test_a_game_left_before_its_end_is_marked_unfinished(
    capsys: pytest.CaptureFixture[str],
) -> None:
    play_game(("Sam", "Ben"))
    play_game(("Ana", "Jo"), turns=2, end=False)
    code, out, _ = run(capsys)
    assert code == 0
    ana = next(line for line in out.splitlines() if "Ana" in line)
    sam = next(line for line in out.splitlines() if "Sam" in line)
    assert re.search(r"\d\d:\d\d\*", ana) and not re.search(r"\d\d:\d\d\*", sam)
    assert "* after the date: unfinished, left before the end" in out
    code, out, _ = run(capsys, "--json")
    ended = {game["partners"][0]["name"]: game["ended"] for game in json.loads(out)["games"]}
    assert ended == {"Sam": True, "Ana": False}
