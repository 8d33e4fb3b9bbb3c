"""A real browser joins a hosted game: `reciprocity host --web` in a terminal (tmux), and
Debian's headless Chromium, driven by Playwright, at the link the host's screen shows.

These tests carry the `browser` marker: the default run leaves them out, and `.ci/run`
installs Chromium and runs them as a step of their own (`uv run pytest -m browser`).
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.async_api import BrowserContext, Page, WebSocket, async_playwright
from test_relay_process import free_port

pytestmark = [pytest.mark.browser, pytest.mark.timeout(420)]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: Generous, for a loaded machine: a browser's game process starts Textual from cold.
WAIT = 90.0
CODE = re.compile(r"\b(\d{1,4}-[a-z]{2,12}-[a-z]{2,12})\b")
#: A terminal's control sequences, between the characters a browser's game draws.
ESCAPES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
#: Where a failed wait leaves a screenshot of the page.
FAILED = Path("/tmp/reciprocity-browser-failed.png")


@dataclass
class Terminal:
    """A program in its own tmux window, 80x24, read as a person would read it."""

    session: str

    def screen(self) -> str:
        return subprocess.run(
            ["tmux", "capture-pane", "-p", "-t", self.session],
            capture_output=True,
            text=True,
            check=False,
        ).stdout

    def keys(self, *keys: str) -> None:
        subprocess.run(["tmux", "send-keys", "-t", self.session, *keys], check=True)

    def type(self, text: str) -> None:
        subprocess.run(["tmux", "send-keys", "-t", self.session, "-l", text], check=True)

    async def shows(self, pattern: str, timeout: float = WAIT) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if re.search(pattern, screen):
                return screen
            await asyncio.sleep(0.3)
        raise AssertionError(f"the terminal never showed {pattern!r}; it shows:\n{self.screen()}")


@pytest.fixture
def host(tmp_path: Path) -> Iterator[tuple[Terminal, int]]:
    """`reciprocity host --web` on loopback, in tmux; its web page's port."""
    relay_port, web_port = free_port(), free_port()
    session = f"web-host-{uuid.uuid4().hex[:8]}"
    command = (
        f"RECIPROCITY_DATA_DIR={tmp_path / 'host'} {sys.executable} -m reciprocity host "
        f"--name Sam --port {relay_port} --web {web_port} --no-checkin"
    )
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", session, "-x", "80", "-y", "24", command],
        check=True,
    )
    try:
        yield Terminal(session), web_port
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], check=False)


@dataclass
class Browser:
    """Headless Chromium's page (one at a time), and everything its game's websocket drew."""

    context: BrowserContext
    page: Page | None = None
    drawn: list[str] = field(default_factory=list)

    async def open(self) -> Page:
        """A new tab in the same browser (its cookies kept), which becomes `page`."""
        self.page = await self.context.new_page()
        self.page.on("websocket", self.watch)
        return self.page

    def watch(self, socket: WebSocket) -> None:
        def received(frame: str | bytes) -> None:
            text = frame.decode("utf-8", "replace") if isinstance(frame, bytes) else frame
            self.drawn.append(text)

        socket.on("framereceived", received)

    def mark(self) -> int:
        """Where the drawing stands now, for `shows(…, since=)`."""
        return len(self.drawn)

    async def shows(self, text: str, timeout: float = WAIT, since: int = 0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in ESCAPES.sub("", "".join(self.drawn[since:])):
                return
            await asyncio.sleep(0.3)
        if self.page is not None and not self.page.is_closed():
            await self.page.screenshot(path=str(FAILED))
        raise AssertionError(f"the browser's game never drew {text!r} (see {FAILED})")

    async def keys(self, *keys: str) -> None:
        assert self.page is not None
        for key in keys:
            await self.page.keyboard.press(key)

    async def type(self, text: str) -> None:
        assert self.page is not None
        await self.page.keyboard.type(text)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            context = await chromium.new_context(viewport={"width": 1280, "height": 800})
            yield Browser(context)
        finally:
            await chromium.close()


async def test_a_browser_joins_a_hosted_game_by_its_link_and_plays_a_turn(
    host: tuple[Terminal, int], browser: Browser
) -> None:
    sam, web_port = host
    screen = await sam.shows(r"Or open in a browser")
    match = CODE.search(screen)
    assert match is not None
    code = match.group(1)
    assert f"http://127.0.0.1:{web_port}/join/" in screen  # the link, beside its QR code

    # The first page says what playing here means for privacy, before anything is typed.
    page = await browser.open()
    await page.goto(f"http://127.0.0.1:{web_port}/join/{code}")
    note = await page.inner_text("#privacy")
    assert "sealed" in note and "could read them" in note and "relay" in note
    assert code in await page.inner_text("main")
    await page.click("#open")

    # The join screen has the code filled in: Ben types only his name.
    await browser.shows("Your name")
    await browser.shows(code)
    await page.click("#terminal")
    await browser.type("Ben")
    await browser.keys("Enter")

    # Each chooses a limit, privately, on their own screen.
    await browser.shows("Ben, this is just for you.")
    await sam.shows("Sam, this is just for you.")
    await browser.keys("Control+s")
    sam.keys("C-s")

    # Sam shares in words typed in the terminal; they arrive in the browser.
    await sam.shows("Draw a card")
    sam.keys("d")
    await sam.shows("I've shared")
    sam.keys("t")
    await sam.shows("Enter sends")
    sam.type("lanternfish-from-sam")
    sam.keys("Enter")
    await sam.shows("Sam: lanternfish-from-sam")
    await browser.shows("lanternfish-from-sam")
    sam.keys("s")

    # Ben responds in words typed in the browser; they arrive in the terminal.
    await browser.shows("I've responded")
    typing = browser.mark()
    await browser.keys("t")
    await browser.shows("Enter sends", since=typing)
    await browser.type("kestrel-from-ben")
    await browser.keys("Enter")
    await sam.shows("kestrel-from-ben")
    await browser.keys("r")

    # Sam felt supported: the turn ends on both screens, and Ben shares next.
    await sam.shows("I felt supported")
    turn_ended = browser.mark()
    sam.keys("y")
    await browser.shows("Draw a card", since=turn_ended)
    screen = await sam.shows("Waiting for Ben to draw a card")
    assert "Sam felt supported." in screen

    # Ben closes the tab, and opens the link again in the same browser: he is back in his
    # seat, at the table, as `join --resume` would bring him back.
    await page.close()
    await sam.shows("Ben is reconnecting")
    again = await browser.open()
    await again.goto(f"http://127.0.0.1:{web_port}/join/{code}")
    await again.click("#open")
    resumed = browser.mark()
    await browser.shows("Ben, press d to draw a card", since=resumed)
    await sam.shows(r"Waiting for Ben to draw a card(?![\s\S]*reconnecting)")
    await again.click("#terminal")
    await browser.shows("Draw a card", since=resumed)  # the footer's keys
    await browser.keys("d")
    await sam.shows("Ben has drawn|Ben is sharing|Ben shares")
