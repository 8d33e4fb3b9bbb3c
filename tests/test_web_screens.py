"""The browser's way in on the terminal's screens: the host's code screen shows the link and
its QR code beside the code, within 80x24, and a pair's link opens in a dialog."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest
from conftest import make_deck
from test_relay_process import free_port
from textual.app import App
from textual.messages import ExitApp
from textual.widgets import Footer, Input, OptionList, Static

from reciprocity.cli.facilitate import _settings, facilitation
from reciprocity.cli.parser import build_parser
from reciprocity.net.choices import HostChoice, JoinChoice
from reciprocity.net.codes import join_url
from reciprocity.qr import qr_lines, qr_svg
from reciprocity.tui import messages
from reciprocity.tui.app import ReciprocityApp
from reciprocity.tui.screens.home import HomeScreen
from reciprocity.tui.screens.host import HostScreen
from reciprocity.tui.screens.join import JoinScreen
from reciprocity.tui.screens.new_game import NewGameScreen
from reciprocity.tui.screens.waiting import WaitingScreen
from reciprocity.tui.screens.web_link import WebLinkScreen
from reciprocity.tui.widgets.qr import QRCode
from reciprocity.web.seat import OTHER_RELAY, BrowserApp

#: A long address, as a home network may give: its link needs a version-3 QR code.
WEB = "http://192.168.100.200:8080"
CODE = "4469-toffee-glimmer"
INVITE = f"reciprocity join {CODE} --relay ws://192.168.1.20:8765"


def text_of(screen: object, selector: str) -> str:
    assert isinstance(screen, WaitingScreen | WebLinkScreen | JoinScreen | HostScreen)
    return str(screen.query_one(selector, Static).render())


async def test_the_code_screen_shows_the_link_and_its_qr_code_within_80_by_24() -> None:
    app = ReciprocityApp()  # its stylesheet
    async with app.run_test(size=(80, 24)) as pilot:
        screen = WaitingScreen("Your game is ready.", "Waiting…", code=CODE, invite=INVITE, web=WEB)
        await app.push_screen(screen)
        await pilot.pause()
        assert text_of(screen, "#waiting-url") == join_url(WEB, CODE)
        qr = screen.query_one("#waiting-qr", QRCode)
        assert qr.url == join_url(WEB, CODE)
        assert str(qr.render()).splitlines() == qr_lines(join_url(WEB, CODE), capitals=True)
        for widget in (qr, *screen.query(Static)):
            region = widget.region
            assert region.right <= 80 and region.bottom <= 24, widget
        # The panel, with the banner line above it, clears the footer.
        assert screen.query_one("#waiting").region.bottom + 1 <= screen.query_one(Footer).region.y
        assert qr.region.x >= screen.query_one("#waiting-code").region.right  # beside the code

        # Five wrong codes give new words: the link and its QR code follow.
        new = "4469-amber-harbor"
        screen.show_code(new, INVITE.replace(CODE, new))
        assert text_of(screen, "#waiting-url") == join_url(WEB, new)
        assert qr.url == join_url(WEB, new)


async def test_without_a_web_page_or_a_whole_code_the_screen_offers_no_link() -> None:
    app: App[None] = App()
    async with app.run_test(size=(80, 24)) as pilot:
        for screen in (
            WaitingScreen("Ready.", "Waiting…", code=CODE, invite=INVITE),
            WaitingScreen("Ready.", "Waiting…", code="4469", invite=INVITE, web=WEB),  # resumed
        ):
            await app.push_screen(screen)
            await pilot.pause()
            assert not screen.query("#waiting-url") and not screen.query(QRCode)


async def test_a_pairs_link_opens_in_a_dialog_with_its_qr_code() -> None:
    app: App[None] = App()
    async with app.run_test(size=(80, 24)) as pilot:
        link = join_url(WEB, "57-willow-beacon")
        dialog = WebLinkScreen("Pair 57-willow-beacon", link)
        await app.push_screen(dialog)
        await pilot.pause()
        assert text_of(dialog, "#web-link-url") == link
        assert dialog.query_one(QRCode).region.bottom <= 24
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is not dialog


class InATab(BrowserApp):
    """The browser's app, as textual-serve's web driver runs it (the pilot's is headless)."""

    @property
    def is_web(self) -> bool:
        return True


def menu(app: App[int]) -> list[str | None]:
    return [option.id for option in app.screen.query_one("#menu", OptionList).options]


async def test_in_a_browser_the_home_screen_offers_neither_playing_here_nor_hosting() -> None:
    for app, offered in [
        (InATab(), ["join", "history", "decks", "quit"]),
        (ReciprocityApp(), ["play", "host", "join", "history", "decks", "quit"]),
    ]:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            assert isinstance(app.screen, HomeScreen) and menu(app) == offered
            await pilot.press("enter")  # the first option
            await pilot.pause()
            expected = JoinScreen if offered[0] == "join" else NewGameScreen
            assert isinstance(app.screen, expected)


async def test_a_tab_that_closes_keeps_the_seat_and_ctrl_q_leaves_it() -> None:
    closed = BrowserApp()
    async with closed.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        closed.post_message(ExitApp())  # what textual-serve's "quit" does
        await pilot.pause()
    assert not closed.left
    left = BrowserApp()
    async with left.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+q")
    assert left.left


async def test_facilitate_web_gives_each_pair_its_own_link_on_the_dashboard(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    relay_port, web_port = free_port(), free_port()
    pairs = ["--deck", "fast-friends", "--pairs", "2", "--host", "127.0.0.1"]
    ports = ["--port", str(relay_port), "--web", str(web_port)]
    slips = tmp_path / "slips.html"
    args = build_parser().parse_args(["facilitate", *pairs, *ports, "--handouts", str(slips)])
    async with facilitation(args) as app, app.run_test(size=(80, 24)) as pilot:
        web = f"http://127.0.0.1:{web_port}"
        assert join_url(web) in capsys.readouterr().out  # printed, with its QR code
        board = app.dashboard
        assert board.web == web
        assert join_url(web) in str(board.query_one("#dashboard-web", Static).render())
        cursor = board.table.cursor_coordinate  # the pair the facilitator is on
        first = str(board.table.coordinate_to_cell_key(cursor).row_key.value)
        assert first in board.codes.values()
        await pilot.press("w")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, WebLinkScreen)
        assert text_of(dialog, "#web-link-url") == join_url(web, first)
        async with aiohttp.ClientSession() as client, client.get(join_url(web, first)) as page:
            assert page.status == 200 and first in await page.text()
        # The printed slips' QR codes hold each pair's web link.
        printed = slips.read_text()
        assert all(qr_svg(join_url(web, code)) in printed for code in board.codes.values())
        assert "Or scan to play in a browser" in printed
        await pilot.press("escape")


async def test_a_browser_joins_through_the_pages_relay_and_no_other() -> None:
    here = "ws://127.0.0.1:9"
    app = BrowserApp(network_form=JoinChoice(CODE, "", here, aloud=False))
    app.relay_here = here
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        form = app.screen
        assert isinstance(form, JoinScreen)
        form.query_one("#join-relay", Input).value = "ws://10.0.0.5:22"
        await pilot.press(*"Ben", "ctrl+s")
        await pilot.pause()
        assert text_of(form, "#join-status") == f"{OTHER_RELAY} {here}."
        assert app.network is None


@pytest.mark.parametrize(
    ("hosts", "web_host"),
    [([], "127.0.0.1"), (["--host", "0.0.0.0"], "0.0.0.0"), (["--host", "10.0.0.5"], "10.0.0.5")],
)
def test_facilitate_webs_page_listens_where_host_says_and_locally_without_it(
    hosts: list[str], web_host: str
) -> None:
    # `--host 0.0.0.0` is how a facilitator lets phones in the room reach the page.
    args = build_parser().parse_args(
        ["facilitate", "--deck", "first-steps", "--pairs", "2", "--web", *hosts]
    )
    assert _settings(args)["web_host"] == web_host


async def test_a_browser_starts_no_relay_and_hosts_through_no_other_relay() -> None:
    # The home screen offers no hosting in a tab; were a host form sent all the same, the
    # computer serving the page would neither start a relay nor dial one a browser chose.
    here = "ws://127.0.0.1:9"
    app = BrowserApp(network_form=JoinChoice(CODE, "", here, aloud=False))
    app.relay_here = here
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        for relay in (None, "ws://10.0.0.5:22"):
            form = HostScreen(HostChoice(make_deck(), "Sam", relay, checkin=False, aloud=False))
            await app.push_screen(form)
            await pilot.pause()
            assert form.given is not None
            app.post_message(messages.HostSubmitted(form.given, form))
            await pilot.pause()
            assert text_of(form, "#host-status") == f"{OTHER_RELAY} {here}."
            assert app.network is None
            app.pop_screen()
