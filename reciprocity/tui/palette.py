"""The app's own commands: the palette's entries beyond Textual's (the theme first, kept in
the settings file for next time; then the table's rarer actions), and leaving."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from textual.app import App, SystemCommand
from textual.theme import Theme

from reciprocity import ReciprocityError
from reciprocity.kept import keep_setting, kept_setting

if TYPE_CHECKING:
    from textual.screen import Screen

#: What ctrl+q asks in the middle of a game.
LEAVE = "Leave in the middle of the game?"

#: The two themes the stylesheet is written for.
DARK_THEME = "textual-dark"
LIGHT_THEME = "textual-light"


def theme_command(app: App[Any]) -> SystemCommand:
    """Switch between the light and the dark theme: first in the palette's list."""

    def switch() -> None:
        app.theme = DARK_THEME if app.theme == LIGHT_THEME else LIGHT_THEME

    if app.theme == LIGHT_THEME:
        return SystemCommand("Dark theme", "Light text on a dark background", switch)
    return SystemCommand("Light theme", "Dark text on a light background", switch)


def kept_theme(app: App[Any]) -> str:
    """The theme chosen last time, or the app's own when none was kept (or it is unknown)."""
    theme = kept_setting("theme")
    return theme if theme in app.available_themes else app.theme


def keep_theme(theme: Theme) -> None:
    """Keep the theme now shown for next time; a preference that cannot be written is
    simply not kept."""
    with contextlib.suppress(OSError, ReciprocityError):
        keep_setting("theme", theme.name)


def table_commands(
    screen: Screen[object], aloud: bool, network: bool, toggle: Callable[[], object]
) -> Iterator[SystemCommand]:
    """On the table, its rarer actions: typing only when not `aloud`, and on a `network` game
    the switch between typed answers and talking aloud (`toggle`)."""
    from reciprocity.tui.screens.table import TableScreen  # imported once a table is shown

    if not isinstance(screen, TableScreen):
        return
    yield SystemCommand(
        "Change my limit", "Privately choose how deep you want to go", screen.action_limit
    )
    yield SystemCommand("Pause", "A breathing pause for you both", screen.action_pause)
    if not aloud:
        yield SystemCommand("Type", "Type your words instead of speaking", screen.action_type)
    if network:
        yield SystemCommand(
            "Typed answers" if aloud else "We're talking aloud",
            "Type your answers here" if aloud else "On a call: answer aloud, with no typing line",
            toggle,
        )
    yield SystemCommand("End the game", "No penalty, no questions", screen.action_end)
