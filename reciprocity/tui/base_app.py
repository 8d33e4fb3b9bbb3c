"""What this program's apps (the game's and the facilitator's) add to Textual's App: a crash
shows its traceback without local variables, and the screen on top can be asked for while
the app shuts down."""

from __future__ import annotations

from typing import Any

from textual.app import App
from textual.screen import Screen


class BaseApp(App[int]):
    """Textual's App, as every app of this program needs it."""

    def _fatal_error(self) -> None:
        """Textual's crash output without the local variables it shows by default: they can
        hold words a player typed, which must not reach a terminal or a browser tab."""
        import rich  # only on a crash: `rich.traceback` costs the first screen about 100 ms
        from rich.traceback import Traceback

        self.bell()
        self.panic(Traceback(show_locals=False, width=None, suppress=[rich]))

    @property
    def top_screen(self) -> Screen[Any] | None:
        """The screen shown, or None when there is none (`screen` raises then), as while the
        app shuts down."""
        stack = self.screen_stack
        return stack[-1] if stack else None
