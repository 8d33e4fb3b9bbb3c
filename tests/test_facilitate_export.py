"""What a facilitator prints and takes home: the slips (one per pair, with the join line and a
QR code), the totals and the turn-by-turn events, checked when the session starts, and
matching the games played through a real relay; never words, and names only when asked."""

from __future__ import annotations

import argparse
import csv
import io
import re
from pathlib import Path

import pytest
import segno
from test_facilitate_dashboard import SIZE, join_pair, until_screen
from test_remote import Player, eventually, reciprocity
from textual.widgets import Checkbox, Input, Static

from reciprocity.cli.facilitate import facilitation
from reciprocity.cli.parser import build_parser
from reciprocity.deck_files import find_deck, shipped_decks_dir
from reciprocity.engine import CheckIn, Draw, Felt, MarkSupported, Pass, Phase, Respond, Share
from reciprocity.game.handouts import handouts_html, slips
from reciprocity.game.session_export import EVENTS_FIELDS, events_csv, totals_csv
from reciprocity.protocol import RoomStatus, TurnPlayed
from reciprocity.qr import qr_svg
from reciprocity.tui.screens.confirm import ConfirmScreen
from reciprocity.tui.screens.dashboard import DashboardScreen
from reciprocity.tui.screens.export import ExportScreen

pytestmark = pytest.mark.timeout(90)

RELAY = "ws://192.0.2.7:8765"
CODES = {57: "57-willow-beacon", 3: "3-amber-harbor", 812: "812-quiet-lantern"}
SECRET = "words-only-ben-may-read-5d1e"


def modules(svg: str) -> list[list[bool]]:
    """The dark modules an inline SVG of segno's draws (its one path: runs of `h`, moves
    of `m`), row by row, quiet zone included."""
    view = re.search(r'viewBox="0 0 (\d+) (\d+)"', svg)
    path = re.search(r' d="([^"]+)"', svg)
    assert view is not None and path is not None, svg[:200]
    width = int(view.group(1))
    grid = [[False] * width for _ in range(int(view.group(2)))]
    x = y = 0.0
    for command, numbers in re.findall(r"([Mmh])([-\d. ]+)", path.group(1)):
        values = [float(value) for value in numbers.split()]
        if command == "M":
            x, y = values
        elif command == "m":
            x, y = x + values[0], y + values[1]
        else:
            for column in range(int(x), int(x + values[0])):
                grid[int(y)][column] = True
            x += values[0]
    return grid


def segno_modules(payload: str) -> list[list[bool]]:
    """The modules of segno's own QR code for `payload`, with the same quiet zone."""
    return [[bool(module) for module in row] for row in segno.make_qr(payload).matrix_iter()]


# --- the slips ------------------------------------------------------------------------------


def test_each_pair_has_a_slip_with_its_code_join_line_and_qr_code() -> None:
    page = handouts_html(slips(CODES, RELAY), title="Fast friends & co")
    found = page.split('<section class="slip">')[1:]
    assert len(found) == len(CODES)
    for (number, code), slip in zip(CODES.items(), found, strict=True):
        line = f"reciprocity join {code} --relay {RELAY}"
        assert f"Pair {number} " in slip and f'<p class="code">{code}</p>' in slip
        shown = re.search(r'<p class="join">(.*?)</p>', slip)
        assert shown is not None and re.sub("<[^>]+>", "", shown.group(1)) == line
        assert "--aloud" not in slip
        assert "Keep this slip for your pair" in slip
        svg = re.search(r"<svg.*?</svg>", slip, re.S)
        assert svg is not None and svg.group(0) == qr_svg(line)
        # The QR code is segno's for exactly this pair's line, and no other pair's.
        assert modules(svg.group(0)) == segno_modules(line)
        for other in set(CODES.values()) - {code}:
            assert modules(svg.group(0)) != segno_modules(line.replace(code, other))
    # The deck's title is text on the page, never markup; the cut lines are dashed.
    assert "Fast friends &amp; co" in page and "dashed" in page and "@media print" in page


def test_aloud_slips_say_so_and_a_browser_address_is_what_the_qr_code_holds() -> None:
    urls = {57: "http://192.0.2.7:8766/#57-willow-beacon"}
    page = handouts_html(slips(CODES, RELAY, aloud=True, urls=urls), title="Friends", aloud=True)
    first, second = page.split('<section class="slip">')[1:3]
    assert "<span>--relay</span> <span>ws://192.0.2.7:8765</span> <span>--aloud</span>" in first
    assert "answer each other aloud" in first
    assert qr_svg(urls[57]) in first and "play in a browser" in first
    line = f"reciprocity join 3-amber-harbor --relay {RELAY} --aloud"
    assert qr_svg(line) in second and "play in a browser" not in second


# --- the files are checked when the session starts ------------------------------------------


@pytest.mark.parametrize(
    ("option", "what"),
    [("--handouts", "the slips"), ("--events-out", "the events"), ("--totals-out", "the totals")],
)
def test_a_file_that_cannot_be_written_is_one_line_at_the_start(
    option: str, what: str, tmp_path: Path
) -> None:
    start = ["facilitate", "--deck", "fast-friends", "--pairs", "2", "--host", "127.0.0.1"]
    missing = tmp_path / "no" / "such" / "file"
    result = reciprocity(*start, option, str(missing))
    assert result.returncode == 1
    assert result.stderr == f"reciprocity: cannot write {what} to {missing}: no such folder\n"
    result = reciprocity(*start, option, str(tmp_path))
    assert result.stderr == f"reciprocity: cannot write {what} to {tmp_path}: it is a folder\n"


# --- the totals and the events, from rows and turns -----------------------------------------


def turn(number: int, index: int, at: float, **changes: object) -> TurnPlayed:
    fields: dict[str, object] = {"number": number, "index": index, "seat": "a", "level": 1}
    fields |= {"card": f"c{index}", "outcome": "supported", "at": at}
    return TurnPlayed.model_validate(fields | changes)


def test_the_events_are_one_row_per_turn_in_time_order_with_names_only_when_asked() -> None:
    rows = [
        RoomStatus.model_validate(
            {"number": n, "names": ("Sam", "Ben"), "state": "playing", "held": False}
            | {"level": 1, "open_level": 1, "turns": 1, "supported": 1, "repairs": 0}
            | {"unrepaired": 0, "passes": 0, "last_active": 1000.0 + 30 * n}
        )
        for n in (4, 9)
    ]
    turns = [
        turn(9, 1, 1030.0, felt=["understood", "cared_for"]),
        turn(4, 1, 1010.0, outcome="passed", seat="b"),
    ]
    plain = list(csv.DictReader(io.StringIO(events_csv(turns, rows, started=1000.0))))
    assert tuple(plain[0]) == EVENTS_FIELDS
    assert [(r["pair"], r["seat"], r["outcome"], r["passed"], r["seconds"]) for r in plain] == [
        ("4", "B", "passed", "1", "10.0"),
        ("9", "A", "supported", "0", "30.0"),
    ]
    assert plain[1]["felt"] == "understood cared_for"
    named = events_csv(turns, rows, started=1000.0, include_names=True)
    assert [row["name"] for row in csv.DictReader(io.StringIO(named))] == ["Ben", "Sam"]
    totals = list(csv.DictReader(io.StringIO(totals_csv(rows, depth=2, started=1000.0))))
    assert totals[0]["session_minutes"] == "4.5"  # to the last thing a pair did: 1270
    assert {"turns_level_1", "turns_level_2"} <= set(totals[0]) and "turns_level_3" not in totals[0]


# --- a session played through a real relay --------------------------------------------------


def facilitate(*words: str) -> argparse.Namespace:
    return build_parser().parse_args(["facilitate", *words])


async def shared(sharer: Player, listener: Player, *, passing: bool = False) -> None:
    """One supported turn (the sharer ticks two feelings), after a pass if `passing`."""
    me = sharer.connection.seat
    turns = sharer.view.turns
    if passing:
        sharer.connection.send(me, Draw())
        await sharer.until(lambda view: view.phase is Phase.SHARE, "a card")
        sharer.connection.send(me, Pass())
        await sharer.until(lambda view: view.phase is Phase.DRAW, "the pass")
    sharer.connection.send(me, Draw())
    sharer.connection.send(me, Share())
    await listener.until(lambda view: view.phase is Phase.RESPOND)
    listener.connection.send(listener.connection.seat, Respond())
    await sharer.until(lambda view: view.phase is Phase.LAND)
    sharer.connection.send(me, MarkSupported(felt=frozenset({Felt.UNDERSTOOD, Felt.CARED_FOR})))
    await sharer.until(lambda view: view.turns == turns + 1)


def read(path: Path) -> list[dict[str, str]]:
    assert path.stat().st_mode & 0o777 == 0o600, path
    return list(csv.DictReader(io.StringIO(path.read_text())))


async def test_slips_totals_and_events_match_the_games_played(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECIPROCITY_DATA_DIR", str(tmp_path / "data"))
    slips_file, totals_file, events_file = (tmp_path / n for n in ("s.html", "t.csv", "e.csv"))
    # fast-friends, with levels that only open (they do not move on the clock), so that each
    # pair goes deeper by its own turns, as the counts below say.
    shipped = find_deck("fast-friends").model_copy(update={"move_on_clock": False})
    opening = tmp_path / "opening.toml"
    opening.write_text(
        (shipped_decks_dir() / "fast-friends.toml")
        .read_text()
        .replace("move_on_clock = true\n", "")
    )
    assert find_deck(str(opening)) == shipped
    start = facilitate(
        *("--deck", str(opening), "--pairs", "3", "--host", "127.0.0.1", "--aloud"),
        *("--handouts", str(slips_file), "--totals-out", str(totals_file)),
        *("--events-out", str(events_file)),
    )
    start.port = 0
    async with facilitation(start) as app, app.run_test(size=SIZE) as pilot:
        board = app.dashboard
        codes, relay = dict(board.codes), board.relay
        # The slips are written as the session starts, owner-only, with the dashboard's line.
        assert slips_file.stat().st_mode & 0o777 == 0o600
        page = slips_file.read_text()
        shown = str(board.query_one("#dashboard-join", Static).content)
        assert shown.endswith(f"reciprocity join CODE --relay {relay} --aloud")
        for code in codes.values():
            assert shown.split("  ")[-1].replace("CODE", code) in re.sub("<[^>]+>", "", page)
        first, second, _ = sorted(codes)
        sam, ben = await join_pair(relay, codes[first], ("Sam", "Ben"))
        kit, ada = await join_pair(relay, codes[second], ("Kit", "Ada"))
        await pilot.press("n")  # level 2 opens to everyone
        ben.connection.say(ben.connection.seat, SECRET)
        await eventually(lambda: any(SECRET in line for line in sam.words()), what="the words")
        for _ in range(2):  # both met with support twice: Sam and Ben go to level 2
            await shared(sam, ben)
            await shared(ben, sam)
        await sam.until(lambda view: view.level == 2, "level 2")
        await shared(sam, ben, passing=True)
        await shared(kit, ada)
        await pilot.press("e")
        await until_screen(pilot, ConfirmScreen)
        await pilot.press("y")
        for player, score in ((sam, 6), (ben, 5), (kit, 7), (ada, 4)):
            await player.until(lambda view: view.phase is Phase.CLOSING, "the end")
            player.connection.send(player.connection.seat, CheckIn(score=score))
        await eventually(lambda: board.rows[second].ios_after == (7, 4), what="the check-ins")
        await eventually(lambda: board.rows[first].ios_after == (6, 5), what="the check-ins")
        # The facilitator's export, names ticked: the totals where asked, the turns alongside.
        named_file = tmp_path / "named.csv"
        await until_screen(pilot, DashboardScreen)
        await pilot.press("x")
        await until_screen(pilot, ExportScreen)
        pilot.app.screen.query_one("#export-path", Input).value = str(named_file)
        pilot.app.screen.query_one("#export-names", Checkbox).value = True
        await pilot.press("ctrl+s")
        await eventually(named_file.exists, what="the export")
        await eventually(events_file.exists, what="the events")
        named_totals, named_events = read(named_file), read(events_file)
        # What `facilitate` writes on quitting, by the files it was given (no names).
        app.dashboard.export.at_quit(app.rows, app.connection.core.played.values())
        await pilot.press("q")
    for player in (sam, ben, kit, ada):
        await player.stop()

    totals, events = read(totals_file), read(events_file)
    by_pair = {row["pair"]: row for row in totals}
    assert list(by_pair) == [*map(str, codes), "total"]
    one, two, empty = by_pair[str(first)], by_pair[str(second)], by_pair[str(sorted(codes)[2])]
    assert (one["turns"], one["turns_level_1"], one["turns_level_2"]) == ("5", "4", "1")
    assert (one["deepest_level"], one["passes"], one["supported"]) == ("2", "1", "5")
    assert (two["turns"], two["deepest_level"], empty["turns"], empty["deepest_level"]) == (
        *("1", "1"),
        *("0", "1"),
    )
    closeness = ("a_closeness_before", "a_closeness_after", "b_closeness_before")
    assert [one[name] for name in (*closeness, "b_closeness_after")] == ["4", "6", "4", "5"]
    assert [two[name] for name in (*closeness, "b_closeness_after")] == ["4", "7", "4", "4"]
    assert empty["a_closeness_before"] == "" and by_pair["total"]["a_closeness_after"] == "6.50"
    # A room nobody joined is not a game that ended.
    assert (one["state"], two["state"], empty["state"]) == ("ended", "ended", "unused")
    assert by_pair["total"]["turns"] == "6" and by_pair["total"]["turns_level_1"] == "5"
    assert len({row["session_date"] + row["session_start"] for row in totals}) == 1
    # One row per turn, passes included: as many as each pair played, at their levels.
    per_pair = {number: [row for row in events if row["pair"] == str(number)] for number in codes}
    assert [len(per_pair[number]) for number in sorted(codes)] == [6, 1, 0]
    sam_ben = per_pair[first]
    assert [row["level"] for row in sam_ben] == ["1", "1", "1", "1", "2", "2"]
    assert [row["seat"] for row in sam_ben] == ["A", "B", "A", "B", "A", "A"]
    assert [row["passed"] for row in sam_ben] == ["0", "0", "0", "0", "1", "0"]
    assert sam_ben[4]["outcome"] == "passed" and sam_ben[4]["felt"] == ""
    assert {row["felt"] for row in events if row["passed"] == "0"} == {"cared_for understood"}
    deck = find_deck("fast-friends")
    for row in events:  # each card is the deck's, at the row's level
        assert row["card"] in {card.id for card in deck.levels[int(row["level"]) - 1].cards}
    seconds = [float(row["seconds"]) for row in events]
    assert seconds == sorted(seconds) and seconds[0] >= 0 and seconds[-1] < 90
    assert tuple(events[0]) == EVENTS_FIELDS
    # Names only when asked; never words, anywhere.
    named_pair = next(row for row in named_totals if row["pair"] == str(first))
    assert (named_pair["partner_a"], named_pair["partner_b"]) == ("Sam", "Ben")
    assert {row["name"] for row in named_events} == {"Sam", "Ben", "Kit"}
    for path in (slips_file, totals_file, events_file, named_file, tmp_path / "data"):
        files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
        for file in files:
            assert SECRET.encode() not in file.read_bytes(), file
    for path in (totals_file, events_file):
        assert "Sam" not in path.read_text() and "Ben" not in path.read_text()
