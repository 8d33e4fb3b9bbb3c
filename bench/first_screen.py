"""Time to the first screen of `reciprocity play`, against a bare Textual app with one label.

Each run is a fresh process that starts the app headless and exits once the first screen is
up, so the figure includes start-up and imports, as a person would feel it. Prints figures;
this is a benchmark, not a test.

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
from textual.app import App
from textual.widgets import Label

class Bare(App[None]):
    def compose(self):
        yield Label("hello")

async def first_screen(pilot):
    await pilot.pause()
    pilot.app.exit()

Bare().run(headless=True, auto_pilot=first_screen)
"""

RECIPROCITY = """
from reciprocity.library import find_deck
from reciprocity.tui.app import ReciprocityApp
from reciprocity.tui.screens.new_game import NewGameScreen

async def first_screen(pilot):
    while not isinstance(pilot.app.screen, NewGameScreen):
        await pilot.pause()
    await pilot.pause()
    pilot.app.exit()

ReciprocityApp(deck=find_deck("first-steps")).run(headless=True, auto_pilot=first_screen)
"""


def measure(code: str, runs: int, env: dict[str, str]) -> list[float]:
    """Wall-clock seconds for each fresh process to reach its first screen and exit."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, env=env)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    """Measure both, interleaved warm-up first, and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data:
        env = os.environ | {"RECIPROCITY_DATA_DIR": data}
        measure(BARE, 1, env)
        measure(RECIPROCITY, 1, env)
        bare = measure(BARE, args.runs, env)
        ours = measure(RECIPROCITY, args.runs, env)
    for name, times in (("bare Textual app", bare), ("reciprocity play", ours)):
        print(
            f"{name:18} median {statistics.median(times) * 1000:7.1f} ms"
            f"   min {min(times) * 1000:7.1f} ms   max {max(times) * 1000:7.1f} ms"
        )
    ratio = statistics.median(ours) / statistics.median(bare)
    print(f"ratio (median)     {ratio:.2f}x   target: at most 1.30x")


if __name__ == "__main__":
    main()
