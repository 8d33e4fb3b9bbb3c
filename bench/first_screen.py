"""Time to the first screen of `reciprocity play`, against a bare Textual app with one label.

Each run is a fresh process that starts the app headless, says the time once the first screen
is up, and exits; the figure runs from starting the process to then, so it includes start-up
and imports, as a person would feel it. The decks are
read in a worker once the screen is up; a second figure says when the deck list is filled.
Prints figures; this is a benchmark, not a test.

    uv run python bench/first_screen.py [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

BARE = """
import time

from textual.app import App
from textual.widgets import Label

class Bare(App[None]):
    def compose(self):
        yield Label("hello")

async def first_screen(pilot):
    await pilot.pause()
    print(time.time(), flush=True)
    pilot.app.exit()

Bare().run(headless=True, auto_pilot=first_screen)
"""

PLAY = """
import time

import reciprocity.cli.play  # all that `reciprocity play` imports
from reciprocity.cli.parser import build_parser
from reciprocity.tui.app import ReciprocityApp
from reciprocity.tui.screens.new_game import NewGameScreen

args = build_parser().parse_args(["play"])

async def first_screen(pilot):
    while not isinstance(pilot.app.screen, NewGameScreen){until}:
        await pilot.pause()
    await pilot.pause()
    print(time.time(), flush=True)
    pilot.app.exit()

ReciprocityApp(play=True).run(headless=True, auto_pilot=first_screen)
"""

#: `reciprocity play` until its first screen is up (the decks are still being read).
RECIPROCITY = PLAY.format(until="")
#: `reciprocity play` until the deck list is filled in and the preview shows.
DECKS_LISTED = PLAY.format(until=" or not pilot.app.screen.decks")


def measure(code: str, runs: int, env: dict[str, str]) -> list[float]:
    """Seconds from starting each fresh process to its first screen being up, as the process
    itself tells the time then (what comes after, such as a worker still reading the decks
    while the app exits, is not the person's wait)."""
    times = []
    for _ in range(runs):
        start = time.time()
        done = subprocess.run(
            [sys.executable, "-c", code], check=True, env=env, capture_output=True, text=True
        )
        times.append(float(done.stdout.split()[-1]) - start)
    return times


def main() -> None:
    """Measure all three, one warm-up run each first, the runs interleaved; print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data:
        env = os.environ | {"RECIPROCITY_DATA_DIR": data}
        for code in (BARE, RECIPROCITY, DECKS_LISTED):
            measure(code, 1, env)
        bare, ours, listed = [], [], []
        for _ in range(args.runs):  # interleaved, so that a busy moment falls on all three
            bare += measure(BARE, 1, env)
            ours += measure(RECIPROCITY, 1, env)
            listed += measure(DECKS_LISTED, 1, env)
    rows = (
        ("bare Textual app", bare),
        ("reciprocity play", ours),
        ("  …decks listed", listed),
    )
    for name, times in rows:
        print(
            f"{name:18} median {statistics.median(times) * 1000:7.1f} ms"
            f"   min {min(times) * 1000:7.1f} ms   max {max(times) * 1000:7.1f} ms"
        )
    for name, times in rows[1:]:
        ratio = statistics.median(times) / statistics.median(bare)
        print(f"ratio {name.strip():13} {ratio:.2f}x   target for the first screen: at most 1.30x")


if __name__ == "__main__":
    main()
