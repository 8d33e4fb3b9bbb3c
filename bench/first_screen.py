"""Time to the first screen of `reciprocity play`, against a bare Textual app with one label.

Each run is a fresh process that starts the app headless, says the time once the first screen
is up, and exits; the figure runs from starting the process to then, so it includes start-up
and imports, as a person would feel it. The decks are
read in a worker once the screen is up; a second figure says when the deck list is filled.
The process's CPU time to then is printed too: on a shared machine it moves less than the
wall-clock time, which also waits for a free core. Prints figures; this is a benchmark, not a test.

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

#: Both kinds of run end alike: once the screen on top has been painted (Textual calls back
#: after its next refresh), they print the time and the process's CPU time, and exit. Not
#: after `pilot.pause()`, which waits for the whole process to go idle: it counted the worker
#: still reading the decks after the screen was up.
PAINTED = """
import asyncio
import time

async def painted(pilot):
    done = asyncio.Event()
    pilot.app.screen.call_after_refresh(done.set)
    await done.wait()
    print(time.time(), time.process_time(), flush=True)
    pilot.app.exit()
"""

BARE = (
    PAINTED
    + """
from textual.app import App
from textual.widgets import Label

class Bare(App[None]):
    def compose(self):
        yield Label("hello")

Bare().run(headless=True, auto_pilot=painted)
"""
)

PLAY = (
    PAINTED
    + """
import reciprocity.cli.play  # all that `reciprocity play` imports
from reciprocity.cli.parser import build_parser
from reciprocity.tui.app import ReciprocityApp
from reciprocity.tui.screens.new_game import NewGameScreen

args = build_parser().parse_args(["play"])

async def first_screen(pilot):
    while not isinstance(pilot.app.screen, NewGameScreen){until}:
        await pilot.pause()
    await painted(pilot)

ReciprocityApp(play=True).run(headless=True, auto_pilot=first_screen)
"""
)

#: `reciprocity play` until its first screen is up (the decks are still being read).
RECIPROCITY = PLAY.format(until="")
#: `reciprocity play` until the deck list is filled in and the preview shows.
DECKS_LISTED = PLAY.format(until=" or not pilot.app.screen.decks")


def measure(code: str, runs: int, env: dict[str, str]) -> list[tuple[float, float]]:
    """Seconds from starting each fresh process to its first screen being up, as the process
    itself tells the time then (what comes after, such as a worker still reading the decks
    while the app exits, is not the person's wait); and the process's CPU seconds to then."""
    times = []
    for _ in range(runs):
        start = time.time()
        done = subprocess.run(
            [sys.executable, "-c", code], check=True, env=env, capture_output=True, text=True
        )
        wall, cpu = done.stdout.split()[-2:]
        times.append((float(wall) - start, float(cpu)))
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
    for title, pick in (("Time to the first screen", 0), ("CPU time to the first screen", 1)):
        print(f"{title}:")
        for name, runs in rows:
            times = [run[pick] for run in runs]
            print(
                f"  {name:18} median {statistics.median(times) * 1000:7.1f} ms"
                f"   min {min(times) * 1000:7.1f} ms   max {max(times) * 1000:7.1f} ms"
            )
        base = statistics.median(run[pick] for run in bare)
        for name, runs in rows[1:]:
            ratio = statistics.median(run[pick] for run in runs) / base
            print(f"  ratio {name.strip():13} {ratio:.2f}x   (target for the first screen: 1.30x)")
    print("load average at the end:", " ".join(f"{n:.2f}" for n in os.getloadavg()))


if __name__ == "__main__":
    main()
