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

from reciprocity.net.connection import ViewChanged

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
