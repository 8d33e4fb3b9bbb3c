"""The browser way in: a small web server that runs the same Textual client for each browser
tab, with Textualize's textual-serve, and relays the tab's keys and screen.

- `/` and `/join/CODE` are the first pages: the privacy note, then the way in;
  `/play` and `/join/CODE/play` hold the terminal; `/ws` and `/join/CODE/ws` are its websocket.
  A code is a hosted game's or a facilitated pair's own (`codes.join_url`).
- Each tab's websocket starts one `reciprocity.web.seat` process (textual-serve's
  `AppService`), with a data folder of its own on this machine: the browser's id comes from a
  cookie this server sets, and a browser's folders for one link are `<n>` = 0, 1, … (the first
  not in use). So a tab closed and opened again finds its seat kept there, as `join --resume`
  does. Folders are owner-only, and hold what a player's program keeps (never words).
- At most `players` tabs at once; past that, a page says so. Whatever a browser sends gets a
  plain page or is ignored: nothing it sends stops the server, and no traceback is shown.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import re
import secrets
import shlex
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import textual_serve
from aiohttp import WSMsgType, web
from textual_serve.app_service import AppService

from reciprocity import ReciprocityError
from reciprocity.kept import private_folder
from reciprocity.net.codes import BadCode, check_code
from reciprocity.net.dialing import FORWARDED_FOR
from reciprocity.net.hosting import lan_address
from reciprocity.web import DEFAULT_PLAYERS, SEAT_CODE
from reciprocity.web.pages import full_page, play_page, problem_page, welcome_page

log = logging.getLogger("reciprocity.web")

#: The cookie that tells one browser from another; its value is random and means nothing else.
COOKIE = "reciprocity_browser"
_BROWSER_ID = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
#: Brackets a browser's message may hold; textual.js sends `["resize", {...}]` at most.
_NESTING = 8
#: A JSON string, escapes and all.
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
#: The terminal's size a browser may ask for, in cells.
_COLUMNS, _ROWS = (20, 400), (10, 200)


class WebError(ReciprocityError):
    """The web page cannot be served (its port is taken, say); the message says why."""


class _Seat(AppService):
    """One tab's game process: textual-serve's, in the tab's own data folder, knowing its
    browser's address (which it forwards to the relay: `reciprocity.net.dialing`)."""

    def __init__(
        self, command: str, folder: Path, browser: str | None, code: str | None, **options: Any
    ) -> None:
        super().__init__(command, **options)
        self.folder = folder
        self.browser = browser
        self.code = code

    def _build_environment(self, width: int = 80, height: int = 24) -> dict[str, str]:
        environment = super()._build_environment(width, height)
        environment["RECIPROCITY_DATA_DIR"] = str(self.folder)
        for name, value in ((FORWARDED_FOR, self.browser), (SEAT_CODE, self.code)):
            environment.pop(name, None)
            if value:
                environment[name] = value
        return environment


class WebServer:
    """The web pages and the browsers' game processes, in this program's event loop."""

    def __init__(self, relay: str, folder: Path, players: int) -> None:
        """Serve the game for browsers whose processes reach the relay at `relay` (as this
        machine reaches it), keeping each browser's folders under `folder`."""
        self.relay = relay
        self.folder = folder
        self.players = players
        #: The data folders of the tabs playing now.
        self.busy: set[Path] = set()
        #: Those whose tab has closed, while their game's process keeps its seat; each is set
        #: once the folder is free again.
        self._leaving: dict[Path, asyncio.Event] = {}
        self._sockets: set[web.WebSocketResponse] = set()
        self._runner: web.AppRunner | None = None
        self.host = "127.0.0.1"
        self.port = 0

    @classmethod
    async def start(
        cls, host: str, port: int, relay: str, folder: Path, *, players: int = DEFAULT_PLAYERS
    ) -> WebServer:
        """Listen on `host`:`port` (0 for any free port); raises `WebError` with one line."""
        _quiet_logs()
        server = cls(relay, folder, players)
        app = web.Application(middlewares=[_plain_pages], client_max_size=16 * 1024)
        static = Path(textual_serve.__file__).parent / "static"  # its terminal's script
        app.add_routes(
            [
                web.get("/", server._welcome),
                web.get("/join/{code}", server._welcome),
                web.get("/play", server._play),
                web.get("/join/{code}/play", server._play),
                web.get("/ws", server._websocket),
                web.get("/join/{code}/ws", server._websocket),
                web.static("/static", static, show_index=False, follow_symlinks=False),
            ]
        )
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        try:
            await site.start()
        except OSError as error:
            await runner.cleanup()
            reason = (error.strerror or str(error)).lower()
            raise WebError(f"cannot serve the web page on {host}:{port}: {reason}") from None
        server._runner = runner
        server.host = host
        server.port = int(runner.addresses[0][1])  # the port asked for, or the one given
        return server

    @property
    def url(self) -> str:
        """The page's address as a person reaches it: this machine's address on its network
        when it listens on every address."""
        host = lan_address() if self.host in ("0.0.0.0", "", "::") else self.host
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.port}"

    async def close(self) -> None:
        """Close every tab's connection (their processes stop, their seats kept) and stop."""
        for socket in list(self._sockets):
            await socket.close()
        deadline = asyncio.get_running_loop().time() + 10
        while self.busy and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.05)  # each tab's process keeps its seat as it stops
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # --- the pages -------------------------------------------------------------------------

    async def _welcome(self, request: web.Request) -> web.Response:
        code = _code(request)
        if len(self.busy) >= self.players:
            return _html(full_page(self.players), request, status=503)
        play = f"/join/{code}/play" if code else "/play"
        return _html(welcome_page(code, play), request)

    async def _play(self, request: web.Request) -> web.Response:
        code = _code(request)
        if len(self.busy) >= self.players:
            return _html(full_page(self.players), request, status=503)
        return _html(play_page(f"/join/{code}/ws" if code else "/ws"), request)

    # --- a tab's game ----------------------------------------------------------------------

    async def _websocket(self, request: web.Request) -> web.StreamResponse:
        code = _code(request)
        browser = request.cookies.get(COOKIE, "")
        if not _BROWSER_ID.match(browser):
            raise web.HTTPBadRequest(text="Open the game's link first: it starts here.")
        if len(self.busy) >= self.players:
            return _html(full_page(self.players), request, status=503)
        folder = await self._free_folder(browser, code)
        self.busy.add(folder)
        socket = web.WebSocketResponse(heartbeat=15, max_msg_size=64 * 1024)
        try:
            await socket.prepare(request)
            self._sockets.add(socket)
            await self._run_seat(socket, folder, code, request)
        finally:
            self._sockets.discard(socket)
            self.busy.discard(folder)
            left = self._leaving.pop(folder, None)
            if left is not None:
                left.set()
        return socket

    async def _free_folder(self, browser: str, code: str | None) -> Path:
        """The first of this browser's folders for this link that no tab uses now; a tab of
        the same link that has just closed is waited for (a little), so that its seat, kept
        as its process stops, is the one found."""
        mine = self.folder / _digest(browser, 16)
        link = _digest(code or "home", 12)
        for folder, left in list(self._leaving.items()):
            if folder.parent == mine and folder.name.startswith(f"{link}-"):
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(left.wait(), timeout=15)
        number = 0
        while (mine / f"{link}-{number}") in self.busy:
            number += 1
        private_folder(self.folder)
        private_folder(mine)
        return private_folder(mine / f"{link}-{number}")

    async def _run_seat(
        self, socket: web.WebSocketResponse, folder: Path, code: str | None, request: web.Request
    ) -> None:
        width = _within(request.query.get("width"), _COLUMNS, 80)
        height = _within(request.query.get("height"), _ROWS, 24)
        command = [sys.executable, "-m", "reciprocity.web.seat", "--relay", self.relay]
        # The game's process reports its own troubles on its screen; stderr would reach
        # this program's terminal (the host's own game screen, say), so it goes nowhere.
        shell = f"exec {shlex.join(command)} 2>/dev/null"
        seat = _Seat(
            shell,
            folder,
            request.remote,
            code,
            write_bytes=socket.send_bytes,
            write_str=socket.send_str,
            close=socket.close,
            download_manager=_NO_DOWNLOADS,
        )
        log.info("a browser player joined (%d of %d)", len(self.busy), self.players)
        await seat.start(width, height)
        try:
            await _relay_keys(socket, seat)
        finally:
            self._leaving[folder] = asyncio.Event()
            await _stop(seat)
            log.info("a browser player left (%d of %d)", len(self.busy) - 1, self.players)


def _too_deep(text: str) -> bool:
    """Whether a browser's message holds more brackets than an envelope ever has: it is
    refused before parsing, as a RecursionError in the parser can upset the interpreter for
    later. Brackets inside strings (typed, pasted, a key's escape sequence) do not count."""
    outside = _JSON_STRING.sub("", text)
    return outside.count("[") + outside.count("{") > _NESTING


async def _relay_keys(socket: web.WebSocketResponse, seat: AppService) -> None:
    """Hand what the browser sends to the game's process; anything malformed is ignored."""
    async for message in socket:
        if message.type != WSMsgType.TEXT:
            continue
        text = message.data
        if _too_deep(text):
            continue
        try:
            envelope = json.loads(text)
        except ValueError:
            continue
        if not isinstance(envelope, list) or not envelope or not isinstance(envelope[0], str):
            continue
        kind, data = envelope[0], envelope[1] if len(envelope) > 1 else None
        if kind == "stdin" and isinstance(data, str):
            await seat.send_bytes(data.encode("utf-8", "replace"))
        elif kind == "resize" and isinstance(data, dict):
            width = _within(data.get("width"), _COLUMNS, 80)
            height = _within(data.get("height"), _ROWS, 24)
            await seat.set_terminal_size(width, height)
        elif kind == "ping" and isinstance(data, str | int | float):
            await socket.send_json(["pong", data])
        elif kind == "blur":
            await seat.blur()
        elif kind == "focus":
            await seat.focus()


async def _stop(seat: AppService) -> None:
    """Ask the game's process to quit (its seat is kept), end it if it does not, and wait
    for it to be gone."""
    with contextlib.suppress(Exception):  # a process that will not stop, a browser gone
        await asyncio.wait_for(seat.stop(), timeout=5)
    process = seat._process
    if process is None:
        return
    try:
        await asyncio.wait_for(process.wait(), timeout=5)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()


class _NoDownloads:
    """The game offers no downloads; textual-serve's sessions want something to ask."""

    async def cancel_app_downloads(self, app_service_id: str) -> None:
        """Nothing to cancel."""


_NO_DOWNLOADS: Any = _NoDownloads()


def _code(request: web.Request) -> str | None:
    """The game code in the link, tidied; a link with a bad one leads nowhere."""
    text = request.match_info.get("code")
    if text is None:
        return None
    try:
        return check_code(text)
    except BadCode:
        raise web.HTTPNotFound(
            text="This link has no game code in it. Ask for the link again, or open the page "
            "without it and type the code."
        ) from None


def _html(text: str, request: web.Request, *, status: int = 200) -> web.Response:
    """An HTML page; a browser without an id gets one, kept for 30 days."""
    response = web.Response(text=text, status=status, content_type="text/html")
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    if not _BROWSER_ID.match(request.cookies.get(COOKIE, "")):
        response.set_cookie(
            COOKIE,
            secrets.token_urlsafe(24),
            max_age=30 * 24 * 3600,
            httponly=True,
            samesite="Strict",
            path="/",
        )
    return response


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def _plain_pages(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Join links in capitals (as QR codes carry them) lead to the same page; every refusal and
    failure is a plain page with one line, never a traceback."""
    try:
        lower = request.path.lower()
        if lower.startswith("/join/") and request.path != lower and request.method == "GET":
            raise web.HTTPFound(request.rel_url.with_path(lower))
        return await handler(request)
    except web.HTTPRedirection:
        raise
    except web.HTTPException as error:
        reason = error.text if error.text and not error.text[:3].isdigit() else None
        text = reason or _REASONS.get(error.status, "This page cannot be shown.")
        return web.Response(
            text=problem_page(error.status, text), status=error.status, content_type="text/html"
        )
    except (asyncio.CancelledError, ConnectionResetError):
        raise
    except Exception as error:
        log.warning("a web request failed: %s", type(error).__name__)
        return web.Response(
            text=problem_page(500, "Something went wrong here; please try again."),
            status=500,
            content_type="text/html",
        )


_REASONS = {
    403: "There is nothing to see here. Open the link you were given.",
    404: "There is no such page here. Open the link you were given, or ask for it again.",
    405: "This page only opens in a browser.",
}


def _within(value: object, bounds: tuple[int, int], default: int) -> int:
    """A whole number within `bounds`, from what a browser sent; `default` if it is none."""
    try:
        number = int(str(value))
    except ValueError:
        return default
    return max(bounds[0], min(bounds[1], number))


def _digest(text: str, length: int) -> str:
    """A folder name for `text` that does not show it (a code's words are a pair's password)."""
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def _quiet_logs() -> None:
    """aiohttp's and textual-serve's own logs hold tracebacks and request lines; this server
    says what matters in its own words (`log`), so theirs go nowhere."""
    for name in ("aiohttp", "textual-serve"):
        logger = logging.getLogger(name)
        logger.handlers = [logging.NullHandler()]
        logger.propagate = False
