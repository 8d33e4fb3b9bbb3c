"""A facilitated session outlives the facilitator's process: the relay keeps it in its records,
and a relay started again on them (as `reciprocity facilitate --resume` does) brings back its
rooms, the token's hash, the open level and the hold."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
from conftest import make_deck
from reciprocity_server.records import RelayStore
from reciprocity_server.serve import start_relay
from reciprocity_server.storage import token_hash
from relay_client import Client
from test_facilitate_dashboard import SIZE, join_pair, supported_turn, until_screen
from test_facilitate_relay import Session, dashboard, hello, join, row
from test_remote import eventually, free_port
from textual.widgets import Static

from reciprocity.cli.facilitate import facilitate_command, facilitation, kept_path
from reciprocity.cli.parser import build_parser
from reciprocity.game.facilitation import FacilitateError
from reciprocity.kept import load_session, save_session
from reciprocity.net.connection import ViewChanged
from reciprocity.seat_view import SeatView
from reciprocity.tui.screens.confirm import ConfirmScreen
from reciprocity.tui.screens.dashboard import DashboardScreen

pytestmark = pytest.mark.timeout(60)


async def test_a_relay_restarted_on_its_records_brings_the_session_back(tmp_path: Path) -> None:
    db = tmp_path / "relay.sqlite3"
    relay = await start_relay(port=0, db=db)
    token, numbers = await relay.start_session(make_deck(), 3)
    first = Session(relay, token, numbers, db)
    facilitator, _ = await dashboard(first)
    number = numbers[0]
    sam = await join(first, number, "Sam", facilitator)
    await row(facilitator, number)
    await join(first, number, "Ben", sam)
    await row(facilitator, number)
    await facilitator.send({"type": "steer", "command": {"type": "open_level", "level": 2}})
    await sam.expect(SeatView)
    await facilitator.send({"type": "steer", "command": {"type": "hold"}})
    held = await sam.expect(SeatView)
    assert held.held and held.open_level == 2
    assert sam.welcome is not None
    await relay.close()  # as the facilitator's process dies

    store = RelayStore(db)
    kept = store.session()
    store.close()
    assert kept is not None and kept.token_hash == token_hash(token)
    assert [kept_number for kept_number, _ in kept.rooms] == numbers
    assert token not in db.read_bytes().decode(errors="replace")

    relay = await start_relay(port=0, db=db, restore=True)
    again = Session(relay, token, numbers, db)
    facilitator, status = await dashboard(again)
    assert [room.number for room in status.rooms] == numbers
    assert {(room.open_level, room.held) for room in status.rooms} == {(2, True)}
    assert status.rooms[0].names == ("Sam", "Ben")
    back = await Client.open(relay.url)
    await back.hello(resume={"token": sam.welcome.token, "last_seq": held.seq})
    assert back.seat_view.seq == held.seq and back.seat_view.held
    await facilitator.send({"type": "steer", "command": {"type": "release"}})
    assert not (await back.expect(SeatView)).held
    await relay.close()


async def test_a_fresh_session_forgets_the_one_kept(tmp_path: Path) -> None:
    db = tmp_path / "relay.sqlite3"
    relay = await start_relay(port=0, db=db)
    token, _ = await relay.start_session(make_deck(), 2)
    await relay.close()

    relay = await start_relay(port=0, db=db, restore=False)
    stranger = await Client.open(relay.url)
    await stranger.send(hello(facilitate={"token": token}))
    await stranger.error("not_facilitator")
    fresh, _ = await relay.start_session(make_deck(), 2)
    await relay.close()
    store = RelayStore(db)
    kept = store.session()
    store.close()
    assert kept is not None and kept.token_hash == token_hash(fresh)


# --- the facilitator's program: `facilitate --resume` ---------------------------------------


def facilitate(*words: str) -> argparse.Namespace:
    return build_parser().parse_args(["facilitate", *words])


def relay_log(db: Path) -> dict[str, list[int]]:
    """Each game's event seqs, as the relay's records hold them."""
    store = RelayStore(db)
    try:
        return {
            room.game_id: [seq for seq, _, _ in store.load(room.game_id).events]
            for room in store.rooms()
        }
    finally:
        store.close()


async def test_resume_brings_back_the_codes_the_dashboard_and_every_pair(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECIPROCITY_DATA_DIR", str(tmp_path))
    codes_out = tmp_path / "codes.txt"
    start = facilitate(
        "--deck",
        "fast-friends",
        "--pairs",
        "2",
        "--host",
        "127.0.0.1",
        "--codes-out",
        str(codes_out),
    )
    start.port, start.pace = free_port(), 15.0
    async with facilitation(start) as app, app.run_test(size=SIZE) as pilot:
        board = app.dashboard
        first = dict(board.codes)
        relay = board.relay
        sam, ben = await join_pair(relay, first[min(first)], ("Sam", "Ben"))
        await supported_turn(sam, ben)
        await pilot.press("ctrl+q")
        await until_screen(pilot, ConfirmScreen)
        question = pilot.app.screen
        assert isinstance(question, ConfirmScreen) and "facilitate --resume" in question.question
        await pilot.press("escape")
        await until_screen(pilot, DashboardScreen)
        await pilot.press("s")  # not every pair is seated: the facilitator starts the clock
        await eventually(lambda: board.timer.state == "running", what="the clock to start")
        await pilot.press("a")  # a room for a late pair: its code is kept, and written out
        await eventually(lambda: len(board.codes) == 3, what="the added room")
        codes = dict(board.codes)
        assert codes_out.read_text().splitlines() == list(codes.values())
        await pilot.press("p")  # everyone paused: the clock stands still
        await sam.until(lambda view: view.held, "the pause")
        await eventually(lambda: board.timer.state == "paused", what="the clock to stand")
        left = board.left()
    # The program is gone without a word, as after a crash: the pairs lose the relay.
    kept = tmp_path / "facilitating.json"
    assert kept.stat().st_mode & 0o777 == 0o600
    assert all(code in kept.read_text() for code in codes.values())
    before = sam.view.seq

    async with facilitation(facilitate("--resume")) as app, app.run_test(size=SIZE) as pilot:
        assert app.dashboard.codes == codes and app.dashboard.relay == relay
        # The relay kept the clock: it stands where it stood, with the seconds it had left.
        remaining = app.dashboard.left()
        assert app.dashboard.held and app.dashboard.timer.state == "paused"
        assert left is not None and remaining is not None and abs(remaining - left) < 1
        await pilot.press("p")
        view = await sam.until(lambda view: not view.held, "everyone to go on")
        assert view.seq > before
        await supported_turn(ben, sam)
        relay_seq = ben.view.seq
        await sam.until(lambda view: view.seq == relay_seq, "the last turn")
        await pilot.press("ctrl+q")
        await until_screen(pilot, ConfirmScreen)
        await pilot.press("y")
    for player in (sam, ben):
        seqs = [u.view.seq for u in player.updates if isinstance(u, ViewChanged)]
        # Each view goes on from the last (the one shown again on reconnecting has its seq).
        assert seqs == sorted(seqs) and seqs[-1] == relay_seq, seqs
        await player.stop()
    logs = relay_log(tmp_path / "facilitate.sqlite3")
    assert max(seqs[-1] for seqs in logs.values()) == relay_seq
    for seqs in logs.values():  # no gap, nothing twice
        assert seqs == list(range(1, len(seqs) + 1))


async def test_resume_with_nothing_kept_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECIPROCITY_DATA_DIR", str(tmp_path))
    with pytest.raises(FacilitateError, match="no facilitated session is kept here"):
        async with facilitation(facilitate("--resume")):
            pass


async def test_resume_of_a_session_an_older_version_kept_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECIPROCITY_DATA_DIR", str(tmp_path))
    old = {"token": "t", "codes": {}, "host": "0.0.0.0", "port": 8765, "pace": 900}
    save_session(kept_path(), old)  # no `started`: kept before the session's clock
    with pytest.raises(FacilitateError, match="kept by an older Reciprocity"):
        async with facilitation(facilitate("--resume")):
            pass


async def test_after_the_end_quitting_does_not_ask_even_after_resume(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECIPROCITY_DATA_DIR", str(tmp_path))
    # `--port 0` is any free port, as for `serve` (never 8765).
    start = facilitate("--deck", "fast-friends", "--pairs", "2", "--host", "127.0.0.1")
    start.port = 0
    async with facilitation(start) as app, app.run_test(size=SIZE) as pilot:
        relay = app.dashboard.relay
        assert not relay.endswith(":8765") and relay.endswith(
            f":{load_session(kept_path())['port']}"
        )
        await pilot.press("e")
        await until_screen(pilot, ConfirmScreen)
        await pilot.press("y")
        await until_screen(pilot, DashboardScreen)
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert app.return_code == 0
    # Brought back, the session is still over: the dashboard says so, and quitting asks nothing.
    async with facilitation(facilitate("--resume")) as app, app.run_test(size=SIZE) as pilot:
        assert app.dashboard.ended
        pacing = str(app.dashboard.query_one("#dashboard-pacing", Static).content)
        assert pacing.startswith("The session has ended")
        await pilot.press("q")
        await pilot.pause()
        assert app.return_code == 0  # it has quit: a question would have kept it open


async def test_resume_when_the_relay_forgot_the_session_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECIPROCITY_DATA_DIR", str(tmp_path))
    start = facilitate("--deck", "fast-friends", "--pairs", "1", "--host", "127.0.0.1")
    start.port = free_port()
    async with facilitation(start):
        pass
    for file in tmp_path.glob("facilitate.sqlite3*"):
        file.unlink()
    with pytest.raises(FacilitateError, match="the relay no longer knows the session kept here"):
        async with facilitation(facilitate("--resume")):
            pass


@pytest.mark.parametrize(
    ("options", "named"),
    [
        (["--pairs", "3"], "leave out --pairs"),
        (["--deck", "fast-friends", "--port", "9000"], "leave out --deck, --port"),
        (["--host", "127.0.0.1", "--pace", "15"], "leave out --host, --pace"),
        (["--totals-out", "t.csv"], "leave out --totals-out"),
        (["--handouts", "s.html", "--aloud"], "leave out --handouts, --aloud"),
        (["--events-out", "e.csv", "--with-names"], "leave out --events-out, --with-names"),
    ],
)
def test_resume_with_settings_of_its_own_is_one_line(options: list[str], named: str) -> None:
    with pytest.raises(FacilitateError, match="--resume brings back the session kept") as raised:
        facilitate_command(facilitate("--resume", *options))
    assert str(raised.value).endswith(named)
