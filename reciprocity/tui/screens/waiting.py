"""Waiting for the partner over the network: for them to join, to set up, or to finish.

The host's first screen shows the game's code large and clear, with the exact command the
partner runs to join, and, when the game is offered to browsers too (`--web`), the link that
joins it and its QR code beside.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Center, Horizontal, Middle, Vertical
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Footer, Label, Static

from reciprocity.net.codes import join_url
from reciprocity.tui.widgets.qr import QRCode

if TYPE_CHECKING:
    from reciprocity.net.hosting import NetworkGame
    from reciprocity.seat_view import SeatView


class WaitingScreen(Screen[bool]):
    """A calm screen that closes itself (with False) once `until(view)` holds.

    With `leave` set, Escape closes it with True: the person chose to leave instead. With
    `go_on` set, Enter closes it with False. `code` and `invite` show a game's code, big, and
    the command that joins it; `web`, the address of the page that joins it from a browser. The
    banner at the top says when the connection is struggling.
    The app binds `view` and `banner` down to it.
    """

    view: reactive[SeatView | None] = reactive(None)
    #: A line about the network, such as "Ben is reconnecting…", or None when all is well.
    banner: reactive[str | None] = reactive(None)

    def __init__(
        self,
        title: str,
        body: str,
        *,
        until: Callable[[SeatView], bool] | None = None,
        code: str | None = None,
        invite: str | None = None,
        leave: str | None = None,
        go_on: str | None = None,
        web: str | None = None,
    ) -> None:
        """A waiting screen; `leave` and `go_on` are the footer's words for Escape and Enter."""
        super().__init__()
        self.heading = title
        self.body = body
        self.until = until
        self.code = code
        self.invite = invite
        self.web = web
        if leave is not None:
            self._bindings.bind("escape", "leave", leave)
        if go_on is not None:
            self._bindings.bind("enter", "go_on", go_on)

    @classmethod
    def for_partner_to_join(
        cls, game: NetworkGame, joined: Callable[[SeatView], bool]
    ) -> WaitingScreen:
        """The host's first screen: the game's code, how the partner joins with it, and the
        browser's way in when the game offers one."""
        return cls(
            "Your game is ready. Give your partner this code:",
            "Waiting for your partner to join…",
            until=joined,
            code=game.code,
            invite=game.invite,
            leave="Cancel the game",
            web=game.web,
        )

    def compose(self) -> ComposeResult:
        """The banner, then the message in a panel in the middle."""
        yield Static("", id="banner", markup=False)
        link = self._link(self.code)
        with Middle(), Center(), Vertical(id="waiting", classes="-web" if link else ""):
            yield Label(self.heading, classes="title", markup=False)
            if link is None:
                yield from self._ways(None)
            else:  # the QR code beside the ways in
                with Horizontal(id="waiting-ways"):
                    with Vertical(id="waiting-text"):
                        yield from self._ways(link)
                    yield QRCode(link, id="waiting-qr")
            yield Static(self.body, id="waiting-body", markup=False)
        yield Footer()

    def _ways(self, link: str | None) -> ComposeResult:
        """The code, the command that joins it, and the link that joins it from a browser."""
        if self.code is not None:
            yield Static(self.code, id="waiting-code", markup=False)
        if self.invite is not None:
            yield Static("They type:", classes="muted", markup=False)
            yield Static(self.invite, id="waiting-invite", markup=False)
        if link is not None:
            yield Static("Or open in a browser:", classes="muted", markup=False)
            yield Static(link, id="waiting-url", markup=False)

    def on_mount(self) -> None:
        """Show the banner, and close at once if the wait is over already."""
        self.watch_banner(self.banner)
        self.watch_view(self.view)

    def on_screen_resume(self) -> None:
        """Check again after a dialog on top has closed: the wait may be over."""
        self.watch_view(self.view)

    def watch_view(self, view: SeatView | None) -> None:
        """Close once the wait is over."""
        if view is not None and self.until is not None and self.until(view) and self.is_active:
            self.until = None
            self.dismiss(False)

    def watch_banner(self, text: str | None) -> None:
        """Show the network's line at the top, or nothing when all is well."""
        if not self.is_mounted:
            return
        banner = self.query_one("#banner", Static)
        banner.update(text or "")
        banner.display = bool(text)

    def show_body(self, text: str) -> None:
        """Change the message under the title."""
        self.body = text
        self.query_one("#waiting-body", Static).update(text)

    def show_code(self, code: str, invite: str | None) -> None:
        """Show a game's new code (and the command with it) in place of the old one."""
        self.code = code
        self.query_one("#waiting-code", Static).update(code)
        if self.invite is not None and invite is not None:
            self.invite = invite
            self.query_one("#waiting-invite", Static).update(invite)
        if link := self._link(code):
            self.query_one("#waiting-url", Static).update(link)
            self.query_one("#waiting-qr", QRCode).show(link)

    def _link(self, code: str | None) -> str | None:
        """The web link that joins `code`, when the game offers one and the code is whole (a
        resumed game knows only its number)."""
        if self.web is None or code is None or code.isdigit():
            return None
        return join_url(self.web, code)

    def action_leave(self) -> None:
        """Leave instead of waiting."""
        self.dismiss(True)

    def action_go_on(self) -> None:
        """Go on."""
        self.dismiss(False)
