"""Take the browser screenshots the docs show (docs/browser-*.png) again, after the pages or
the join screen change. A tool, not a test.

It runs `reciprocity host --web` in tmux at 80x24 (on free loopback ports, in a data folder
of its own that it removes), reads the game's code from the host's screen, and opens the
code's link in Debian's headless Chromium with Playwright, as tests/test_web_browser.py does:

- `browser-welcome-phone.png`: the first page on a phone (390x844);
- `browser-join-phone.png`: the join screen on that phone, after "I understand";
- `browser-join-laptop.png`: the join screen in a laptop's browser (1280x800), a name typed.

Run it from the repository's root, with tmux and /usr/bin/chromium installed:

    uv run python docs/screenshots.py            # writes docs/browser-*.png
    uv run python docs/screenshots.py --out /tmp  # somewhere else, to compare first
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from playwright.async_api import Browser, Page, async_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
CODE = re.compile(r"\b(\d{1,4}-[a-z]{2,12}-[a-z]{2,12})\b")
#: A terminal's control sequences, between the characters a browser's game draws.
ESCAPES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
WAIT = 90.0
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 800}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def host_code(session: str) -> str:
    """The code the host's screen shows, once its web link is up."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        screen = subprocess.run(
            ["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True
        ).stdout
        found = CODE.search(screen) if "Or open in a browser" in screen else None
        if found:
            return found.group(1)
        time.sleep(0.3)
    raise SystemExit(f"the host's screen never showed its web link; it shows:\n{screen}")


async def join_screen(browser: Browser, link: str, viewport: dict[str, int]) -> Page:
    """A new browser (cookies of its own) at `link`; it waits on the first page."""
    context = await browser.new_context(viewport=viewport)  # type: ignore[arg-type]
    page = await context.new_page()
    drawn: list[str] = []

    def watch(ws: object) -> None:
        def received(frame: str | bytes) -> None:
            drawn.append(frame.decode("utf-8", "replace") if isinstance(frame, bytes) else frame)

        ws.on("framereceived", received)  # type: ignore[attr-defined]

    page.on("websocket", watch)
    await page.goto(link)
    page.drawn = drawn  # type: ignore[attr-defined]
    return page


async def until_drawn(page: Page, text: str) -> None:
    deadline = time.monotonic() + WAIT
    while text not in ESCAPES.sub("", "".join(page.drawn)):  # type: ignore[attr-defined]
        if time.monotonic() > deadline:
            raise SystemExit(f"the browser's game never drew {text!r}")
        await asyncio.sleep(0.3)
    await asyncio.sleep(1.0)  # the terminal's last frame, painted


async def shoot(out: Path) -> None:
    relay_port, web_port = free_port(), free_port()
    data = Path(tempfile.mkdtemp(prefix="reciprocity-screenshots-"))
    session = f"screenshots-{uuid.uuid4().hex[:8]}"
    command = (
        f"RECIPROCITY_DATA_DIR={data} {sys.executable} -m reciprocity host --name Sam "
        f"--port {relay_port} --web {web_port} --no-checkin"
    )
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "80", "-y", "24", command])
    try:
        link = f"http://127.0.0.1:{web_port}/join/{host_code(session)}"
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
            )
            phone = await join_screen(browser, link, PHONE)
            await phone.screenshot(path=str(out / "browser-welcome-phone.png"))
            await phone.click("#open")
            await until_drawn(phone, "Your name")
            await phone.screenshot(path=str(out / "browser-join-phone.png"))
            laptop = await join_screen(browser, link, LAPTOP)
            await laptop.click("#open")
            await until_drawn(laptop, "Your name")
            await laptop.click("#terminal")
            await laptop.keyboard.type("Ben")
            await asyncio.sleep(1.0)
            await laptop.screenshot(path=str(out / "browser-join-laptop.png"))
            await browser.close()
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], check=False)
        shutil.rmtree(data, ignore_errors=True)
    print(
        f"wrote browser-welcome-phone.png, browser-join-phone.png, browser-join-laptop.png in {out}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="Take the docs' browser screenshots again.")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent, help="folder")
    asyncio.run(shoot(parser.parse_args().out))


if __name__ == "__main__":
    main()
