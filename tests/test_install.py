"""Install once: the built wheel, installed into a fresh virtual environment, runs from any
folder with its decks, stylesheet and relay. Everything comes from this machine: the wheel is
built here, and the locked dependencies come from uv's cache (`--offline`)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: A headless start of `reciprocity play`: the new-game form, with the shipped decks.
HEADLESS_PLAY = """
import asyncio
from textual.widgets import OptionList
from reciprocity.tui.app import ReciprocityApp
from reciprocity.tui.screens.new_game import NewGameScreen

async def main():
    app = ReciprocityApp(play=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, NewGameScreen), app.screen
        decks = app.screen.query_one(OptionList)
        print("decks shown:", decks.option_count)

asyncio.run(main())
"""


def run(*command: str | Path, cwd: Path, env: dict[str, str]) -> str:
    result = subprocess.run(
        [str(part) for part in command], cwd=cwd, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.timeout(120)
def test_the_wheel_installs_into_a_fresh_environment_and_runs_from_anywhere(
    tmp_path: Path, data_dir: Path
) -> None:
    uv = shutil.which("uv")
    assert uv is not None, "uv runs this suite, so it is on PATH"
    env = {**os.environ, "UV_OFFLINE": "1", "RECIPROCITY_DATA_DIR": str(data_dir)}
    env.pop("VIRTUAL_ENV", None)
    dist, venv, home = tmp_path / "dist", tmp_path / "venv", tmp_path / "home"
    home.mkdir()
    run(sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", dist, cwd=ROOT, env=env)
    [wheel] = dist.glob("reciprocity-*.whl")
    locked = {**env, "UV_PROJECT_ENVIRONMENT": str(venv)}
    run(uv, "sync", "--locked", "--no-dev", "--no-install-project", "-q", cwd=ROOT, env=locked)
    run(
        uv,
        "pip",
        "install",
        "-q",
        "--no-deps",
        "--python",
        venv / "bin" / "python",
        wheel,
        cwd=home,
        env=env,
    )

    installed = venv / "bin" / "reciprocity"
    assert run(installed, "--version", cwd=home, env=env).startswith("reciprocity ")
    decks = run(installed, "deck", "list", cwd=home, env=env)
    for shipped in ("first-steps", "the-paradox", "after-betrayal", "friends", "fast-friends"):
        assert shipped in decks
    shown = run(venv / "bin" / "python", "-c", HEADLESS_PLAY, cwd=home, env=env)
    assert "decks shown: 5" in shown
    python = run(
        venv / "bin" / "python",
        "-c",
        "import reciprocity; print(reciprocity.__file__)",
        cwd=home,
        env=env,
    )
    assert str(ROOT) not in python  # the installed copy, not the checkout
