"""`reciprocity facilitate` as a real process, on a pseudo-terminal: killed with SIGKILL while
three pairs play, and brought back with `--resume`; every pair goes on, nothing lost or twice."""

from __future__ import annotations

import asyncio
import json
import os
import pty
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest
from test_facilitate_dashboard import join_pair, supported_turn
from test_facilitate_resume import relay_log
from test_remote import ROOT, Player, eventually, free_port

from reciprocity.engine import CheckIn, Phase, SetLimit
from reciprocity.net.client import JoinCode
from reciprocity.net.connection import ViewChanged
from reciprocity.net.driver import WebSocketConnection

pytestmark = pytest.mark.timeout(120)


@contextmanager
def facilitating(data: Path, *words: str) -> Iterator[subprocess.Popen[bytes]]:
    """`reciprocity facilitate WORDS` on a pseudo-terminal of its own, its screen read and
    dropped; killed with SIGKILL when the block ends, as a crash would."""
    main, side = pty.openpty()
    os.set_blocking(main, False)
    env = {**os.environ, "RECIPROCITY_DATA_DIR": str(data), "TERM": "xterm-256color"}
    env.pop("TEXTUAL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "reciprocity", "facilitate", *words],
        stdin=side,
        stdout=side,
        stderr=side,
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    os.close(side)
    loop = asyncio.get_running_loop()
    loop.add_reader(main, _drain, main)
    try:
        yield process
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(10)
        loop.remove_reader(main)
        os.close(main)


def _drain(fd: int) -> None:
    with suppress(OSError):  # the terminal closed with its process
        os.read(fd, 65536)


async def test_three_pairs_play_on_across_a_sigkill_and_resume(tmp_path: Path) -> None:
    kept = tmp_path / "facilitating.json"
    port = free_port()
    pairs: list[tuple[Player, Player]] = []
    start = ("--deck", "fast-friends", "--pairs", "3", "--host", "127.0.0.1", "--port", str(port))
    with facilitating(tmp_path, *start) as first:
        await eventually(kept.exists, timeout=30, what="the session to be kept")
        codes = sorted(json.loads(kept.read_text())["codes"].values())
        url = f"ws://127.0.0.1:{port}"
        for index, code in enumerate(codes):
            names = (f"Sam{index}", f"Ben{index}")
            pairs.append(await join_pair(url, code, names))
        for sam, ben in pairs:
            await supported_turn(sam, ben)
        assert first.poll() is None
    # SIGKILL: the pairs lose the relay, and keep what they were doing.
    with facilitating(tmp_path, "--resume"):
        for sam, ben in pairs:
            await supported_turn(ben, sam)
            await supported_turn(sam, ben)
        for sam, ben in pairs:
            await ben.until(lambda view, seq=sam.view.seq: view.seq == seq, "both screens level")
        last = sorted(sam.view.seq for sam, _ in pairs)
    for pair in pairs:
        for player in pair:
            seqs = [u.view.seq for u in player.updates if isinstance(u, ViewChanged)]
            assert seqs == sorted(seqs), seqs
            await player.stop()
    logs = relay_log(tmp_path / "facilitate.sqlite3")
    assert sorted(len(seqs) for seqs in logs.values()) == last
    for seqs in logs.values():  # the relay's log: every event once, no gap
        assert seqs == list(range(1, len(seqs) + 1))


async def join_with_limits(
    url: str, code: str, names: tuple[str, str], limits: tuple[int, int]
) -> tuple[Player, Player]:
    """Two partners join a code and set up with their own limits; the game starts."""
    first = await Player(WebSocketConnection(url, JoinCode(code=code, name=names[0]))).start()
    second = await Player(WebSocketConnection(url, JoinCode(code=code, name=names[1]))).start()
    for player, limit in zip((first, second), limits, strict=True):
        player.connection.send(player.connection.seat, SetLimit(limit=limit))
        player.connection.send(player.connection.seat, CheckIn(score=4))
    await first.until(lambda view: view.phase is Phase.DRAW, "the game to start")
    return first, second


async def test_fast_friends_moves_on_the_clock_within_each_limit_and_ends_by_itself(
    tmp_path: Path,
) -> None:
    """Three pairs, a few seconds a set: the clock starts once every pair is seated, moves
    each pair to sets 2 and 3 as far as its own lower limit allows, goes on through a crash
    of the facilitator's program and its `--resume`, and ends the session after set 3."""
    kept = tmp_path / "facilitating.json"
    port = free_port()
    url = f"ws://127.0.0.1:{port}"
    start = ("--deck", "fast-friends", "--pairs", "3", "--host", "127.0.0.1", "--port", str(port))
    limits = ((3, 3), (2, 3), (3, 1))
    with facilitating(tmp_path, *start, "--pace-seconds", "6"):
        await eventually(kept.exists, timeout=30, what="the session to be kept")
        codes = list(json.loads(kept.read_text())["codes"].values())
        pairs = [
            await join_with_limits(url, code, (f"Sam{i}", f"Ben{i}"), limit)
            for i, (code, limit) in enumerate(zip(codes, limits, strict=True))
        ]
        first, _ = pairs[0]
        # Every pair is seated: the clock starts, and every player sees the time left.
        view = await first.until(lambda view: view.clock is not None, "the clock to start")
        assert view.clock is not None and view.clock.running and not view.clock.last
        assert view.level == 1
        await first.until(lambda view: view.level == 2, "set 2 on the clock")
    # The facilitator's program dies; the relay's records keep the clock.
    with facilitating(tmp_path, "--resume"):
        await first.until(lambda view: view.level == 3, "set 3 on the clock")
        for (sam, ben), (low, high) in zip(pairs, limits, strict=True):
            ended = await sam.until(lambda view: view.phase is Phase.CLOSING, "the end")
            assert ended.level == min(3, low, high)  # never past the pair's lower limit
            assert ended.ended_by is None and ended.clock is None
            await ben.until(lambda view: view.phase is Phase.CLOSING, "the end")
        # The pair whose lower limit is 2 went there on the clock, with no turn played.
        assert pairs[1][0].view.turns == 0 and pairs[1][0].view.level == 2
    for pair in pairs:
        for player in pair:
            await player.stop()
