"""One browser tab's player: the program the web server runs for each tab, in a data folder
of that browser's own (`RECIPROCITY_DATA_DIR`), with textual-serve's web driver.

It comes back to the seat kept in that folder if there is one, as `join --resume` does;
otherwise it opens the join screen, with the link's code filled in. Closing the tab keeps
the seat for next time; leaving on purpose (ctrl+q, or quitting from the palette) leaves it,
as in a terminal.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from textual import on

from reciprocity import ReciprocityError
from reciprocity.net.choices import JoinChoice
from reciprocity.net.hosting import resume_game
from reciprocity.paths import data_dir
from reciprocity.tui import app as app_module
from reciprocity.tui import messages
from reciprocity.tui.app import ReciprocityApp
from reciprocity.web import SEAT_CODE

#: What the join screen says when a browser names another relay.
OTHER_RELAY = "From a browser, games go through this page's relay:"


class BrowserApp(ReciprocityApp):
    """The same app; it only notes whether the person left on purpose, since a tab that
    closes ends it too (textual-serve asks the driver to quit, which never calls `exit`)."""

    #: The app's own stylesheet: Textual looks for it beside this module otherwise.
    CSS_PATH = str(Path(app_module.__file__).with_name(ReciprocityApp.CSS_PATH))
    left = False

    def exit(self, *args: Any, **kwargs: Any) -> None:
        """Leave on purpose."""
        self.left = True
        super().exit(*args, **kwargs)

    #: The relay this page's games go through; None before it is known.
    relay_here: str | None = None

    @on(messages.HostSubmitted)
    @on(messages.JoinSubmitted)
    def _only_this_relay(self, message: messages.HostSubmitted | messages.JoinSubmitted) -> None:
        """A tab hosts or joins through the relay the page was started for, and no other:
        the computer serving it opens no connection a browser chose, and starts no relay
        (the home screen offers no hosting in a tab; this holds whatever screen asks)."""
        if self.relay_here is not None and message.choice.relay != self.relay_here:
            message.prevent_default()
            message.form.show_status(f"{OTHER_RELAY} {self.relay_here}.", error=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one tab's player: `--relay URL`, with the code from the tab's link, if any, in
    the environment (`SEAT_CODE`)."""
    parser = argparse.ArgumentParser(prog="reciprocity.web.seat")
    parser.add_argument("--relay", required=True)
    args = parser.parse_args(argv)
    return asyncio.run(_seat(args.relay, os.environ.get(SEAT_CODE)))


async def _seat(relay: str, code: str | None) -> int:
    app: BrowserApp | None = None
    if any((data_dir() / "sessions").glob("*.json")):
        try:
            app = BrowserApp(network=await resume_game())
        except ReciprocityError:
            app = None  # the kept seat cannot come back: join afresh
    if app is None:
        app = BrowserApp(network_form=JoinChoice(code or "", "", relay, aloud=False))
    app.relay_here = relay
    crashed = True
    try:
        await app.run_async()
        crashed = bool(app.return_code) or not app.left
    finally:
        await app.leave_network(crashed=crashed)
    return app.return_code or 0


if __name__ == "__main__":
    raise SystemExit(main())
