"""What every app of this program adds to Textual's: a crash shows no local variables (they
can hold a player's words), and news that arrives while the app has no screen is let be."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any, cast

import pytest
from textual.app import ScreenStackError

from reciprocity.tui.app import ReciprocityApp

#: Words a player typed, held in a local variable where the crash happens.
TYPED = "my brother never called back"

CRASH = """
import sys
from textual.app import App
from reciprocity.tui.app import ReciprocityApp
from reciprocity.tui.facilitator import FacilitatorApp

base = {"game": ReciprocityApp, "dashboard": FacilitatorApp, "textual": App}[sys.argv[1]]

class Crashing(base):
    CSS_PATH = None  # the apps' own is beside their module, not this script

    def __init__(self):
        App.__init__(self)  # all a crash needs (the dashboard's wants a session)

    def on_mount(self):
        typed = sys.argv[2]  # as a player's words: never in the source the traceback shows
        raise ValueError("the screen broke")

Crashing().run(headless=True)
"""


def crash(app: str, folder: Path) -> str:
    """What a crash of `app` prints on the terminal."""
    script = folder / "crash.py"
    script.write_text(CRASH)
    done = subprocess.run(
        [sys.executable, str(script), app, TYPED], capture_output=True, text=True, timeout=60
    )
    return done.stdout + done.stderr


@pytest.mark.parametrize("app", ["game", "dashboard"])
def test_a_crash_shows_no_local_variables(app: str, tmp_path: Path) -> None:
    shown = crash(app, tmp_path)
    assert "ValueError" in shown and "the screen broke" in shown
    assert "Traceback" in shown and TYPED not in shown


def test_textuals_own_crash_output_would_show_them(tmp_path: Path) -> None:
    assert TYPED in crash("textual", tmp_path)  # what the apps above leave out


def test_news_while_there_is_no_screen_is_let_be() -> None:
    app = ReciprocityApp()
    app.network = cast(Any, object())  # a network game, as while one shuts down
    with pytest.raises(ScreenStackError):
        _ = app.screen
    assert app.top_screen is None
    app.watch_banner(None, "Ben is reconnecting…")
    app.watch_banner("Ben is reconnecting…", None)
