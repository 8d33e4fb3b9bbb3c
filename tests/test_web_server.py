"""The web page's own behaviour, without a browser: its pages, its cap, the links per pair,
what it does with whatever a browser sends, the QR codes, and the command line's `--web`.

Each test serves on a free loopback port; a few start a real game process for a tab.
"""

from __future__ import annotations

import asyncio
import json
import stat
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import segno

from reciprocity.cli.parser import build_parser
from reciprocity.net.codes import join_url
from reciprocity.net.dialing import FORWARDED_FOR
from reciprocity.qr import BORDER, qr_code, qr_lines
from reciprocity.web import DEFAULT_PLAYERS, DEFAULT_WEB_PORT, SEAT_CODE
from reciprocity.web.pages import PRIVACY
from reciprocity.web.server import COOKIE, WebServer, _Seat, _too_deep

CODE = "57-willow-beacon"
#: The relay a tab's game would reach: nothing listens there, and the join screen waits.
RELAY = "ws://127.0.0.1:9"


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[WebServer]:
    web = await WebServer.start("127.0.0.1", 0, RELAY, tmp_path / "web", players=1)
    yield web
    await web.close()


@pytest.fixture
async def client() -> AsyncIterator[aiohttp.ClientSession]:
    # Cookies for a bare IP address are kept only by an "unsafe" jar.
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        yield session


async def page(client: aiohttp.ClientSession, url: str, method: str = "GET") -> tuple[int, str]:
    async with client.request(method, url) as response:
        return response.status, await response.text()


async def eventually(check: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "the condition never came"
        await asyncio.sleep(0.05)


def test_a_pairs_link_holds_its_code_and_the_plain_link_the_join_screen() -> None:
    assert join_url("http://192.168.1.20:8080", CODE) == f"http://192.168.1.20:8080/join/{CODE}"
    assert join_url("http://192.168.1.20:8080/", "3-fox-reef").endswith(":8080/join/3-fox-reef")
    assert join_url("http://192.168.1.20:8080") == "http://192.168.1.20:8080/"


async def test_the_first_page_says_what_it_means_for_privacy_before_anything_is_typed(
    server: WebServer, client: aiohttp.ClientSession
) -> None:
    status, text = await page(client, join_url(server.url, CODE))
    assert status == 200
    assert PRIVACY in text and "could read them" in text and "relay" in text
    assert CODE in text and f'href="/join/{CODE}/play"' in text
    assert any(cookie.key == COOKIE for cookie in client.cookie_jar)
    status, text = await page(client, server.url + "/")
    assert status == 200 and PRIVACY in text and 'href="/play"' in text
    status, text = await page(client, f"{server.url}/join/{CODE}/play")
    assert status == 200 and f"/join/{CODE}/ws" in text and "textual.js" in text


async def test_a_link_in_capitals_as_a_qr_code_carries_it_leads_to_the_same_page(
    server: WebServer, client: aiohttp.ClientSession
) -> None:
    async with client.get(join_url(server.url, CODE).upper().replace("HTTP://", "http://")) as r:
        assert r.status == 200 and r.url.path == f"/join/{CODE}"


@pytest.mark.parametrize(
    ("path", "status", "says"),
    [
        ("/join/not-a-code", 404, "no game code"),
        ("/join/12-x-y", 404, "no game code"),
        ("/join/%00%ff", 404, "no game code"),
        ("/nothing/here", 404, "no such page"),
        ("/static/", 403, "nothing to see"),
        ("/static/../../etc/passwd", 404, "no such page"),
        ("/join/57-willow-beacon/ws", 400, "Open the game&#x27;s link first"),
        ("/ws", 400, "Open the game&#x27;s link first"),
        ("/" + "a" * 3000, 404, "no such page"),
    ],
)
async def test_a_bad_path_is_a_plain_page_with_one_line(
    server: WebServer, client: aiohttp.ClientSession, path: str, status: int, says: str
) -> None:
    got, text = await page(client, server.url + path)
    assert got == status and says in text
    assert "Traceback" not in text and "File " not in text


async def test_bad_query_strings_and_methods_get_pages_not_errors(
    server: WebServer, client: aiohttp.ClientSession
) -> None:
    for query in ("?fontsize=big", "?width=-9&height=1e9", "?%ff%fe=%00", "?" + "x=1&" * 500):
        status, text = await page(client, server.url + "/" + query)
        assert status == 200 and PRIVACY in text
    status, text = await page(client, server.url + "/", method="POST")
    assert status == 405 and "only opens in a browser" in text
    status, _ = await page(client, server.url + "/static/js/textual.js")
    assert status == 200


async def test_whatever_a_tab_sends_its_game_goes_on_and_the_cap_says_so_plainly(
    server: WebServer, client: aiohttp.ClientSession, tmp_path: Path
) -> None:
    await page(client, join_url(server.url, CODE))  # the cookie
    ws_url = server.url.replace("http", "ws") + f"/join/{CODE}/ws?width=abc&height=-5"
    async with client.ws_connect(ws_url) as tab:
        drawn: list[bytes] = []

        async def read() -> None:
            async for message in tab:
                if message.type == aiohttp.WSMsgType.BINARY:
                    drawn.append(message.data)

        reader = asyncio.create_task(read())
        for nonsense in (
            "not json",
            "[]",
            "{}",
            '["stdin"]',
            '["stdin", 5]',
            '["resize", {"width": "x", "height": null}]',
            '["resize", {"width": 100000, "height": -3}]',
            '["ping", {"deep": [1]}]',
            '["who knows", 1, 2]',
            "[" * 5000 + "]" * 5000,
            json.dumps(["stdin", "\udcff"]),
        ):
            await tab.send_str(nonsense)
        await tab.send_bytes(b"\x00\xff")
        await tab.send_str('["stdin", "Ben"]')
        await eventually(lambda: b"Join a partner" in b"".join(drawn), timeout=60)

        # One browser player is the most this server was started for: the next is told so.
        status, text = await page(client, join_url(server.url, "3-fox-reef"))
        assert status == 503 and "No room for another browser" in text
        async with client.get(server.url.replace("http", "ws") + "/ws") as refused:
            assert refused.status == 503
        folders = list((tmp_path / "web").iterdir())
        assert len(folders) == 1
        for folder in (tmp_path / "web", *folders, *folders[0].iterdir()):
            assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        await tab.close()
        reader.cancel()
    await eventually(lambda: not server.busy)
    status, _ = await page(client, join_url(server.url, "3-fox-reef"))
    assert status == 200


async def test_a_browser_comes_back_to_its_own_folder_for_a_link(
    server: WebServer, client: aiohttp.ClientSession
) -> None:
    await page(client, join_url(server.url, CODE))
    ws_url = server.url.replace("http", "ws") + f"/join/{CODE}/ws"
    seen: list[set[Path]] = []
    for _ in range(2):
        async with client.ws_connect(ws_url):
            await eventually(lambda: bool(server.busy))
            seen.append(set(server.busy))
        await eventually(lambda: not server.busy)
    assert seen[0] == seen[1]
    # Another browser gets a folder of its own.
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as other:
        await page(other, join_url(server.url, CODE))
        async with other.ws_connect(ws_url):
            await eventually(lambda: bool(server.busy))
            assert server.busy.isdisjoint(seen[0])


async def test_a_port_in_use_is_one_line(server: WebServer, tmp_path: Path) -> None:
    from reciprocity.web.server import WebError

    with pytest.raises(WebError, match=f"cannot serve the web page on 127.0.0.1:{server.port}"):
        await WebServer.start("127.0.0.1", server.port, RELAY, tmp_path / "other")


def test_a_links_qr_code_is_small_and_drawn_module_for_module() -> None:
    link = join_url("http://192.168.1.20:8080", "57-willow-beacon")
    code = qr_code(link, capitals=True)
    assert code.version == 2 and code.mode == "alphanumeric"  # capitals fit a smaller code
    assert segno.make(link).version > code.version
    longest = join_url("http://192.168.100.200:65535", "9999-dandelion-chestnut")
    assert qr_code(longest, capitals=True).version <= 3
    lines = qr_lines(link, capitals=True)
    matrix = [list(row) for row in code.matrix_iter(border=BORDER)]
    assert len(lines) == (len(matrix) + 1) // 2 == 15 and {len(line) for line in lines} == {29}
    halves = {" ": (0, 0), "▀": (1, 0), "▄": (0, 1), "█": (1, 1)}
    for number, line in enumerate(lines):
        for column, char in enumerate(line):
            top, bottom = halves[char]
            assert top == matrix[2 * number][column]
            if 2 * number + 1 < len(matrix):
                assert bottom == matrix[2 * number + 1][column]
    light = qr_lines(link, capitals=True, ink=False)
    swap = str.maketrans("▀▄█ ", "▄▀ █")
    assert light == [line.translate(swap) for line in lines]  # the padding half-row too


def test_web_options_on_host_facilitate_and_serve() -> None:
    parser = build_parser()
    for command in (["host"], ["facilitate"], ["serve"]):
        args = parser.parse_args([*command, "--web"])
        assert args.web == DEFAULT_WEB_PORT and args.web_players == DEFAULT_PLAYERS
        args = parser.parse_args([*command, "--web", "9090", "--web-players", "4"])
        assert args.web == 9090 and args.web_players == 4
        assert parser.parse_args(command).web is None
    assert parser.parse_args(["host", "--web"]).web_host == "127.0.0.1"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reciprocity", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_serve_web_with_a_certificate_is_one_clear_line(tmp_path: Path) -> None:
    result = run("serve", "--web", "--certfile", "a.pem", "--keyfile", "b.pem")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "--web serves a plain http page" in result.stderr


def test_bad_web_options_are_one_clear_line() -> None:
    for args in (["serve", "--web", "0"], ["host", "--web", "x"], ["serve", "--web-players", "0"]):
        result = run(*args)
        assert result.returncode == 2 and "Traceback" not in result.stderr
        assert "--web" in result.stderr.splitlines()[-1]


def test_a_tabs_process_is_told_its_browsers_address_and_code_and_nothing_else(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(FORWARDED_FOR, "192.0.2.1")  # this program's own: never a tab's
    options: dict[str, Any] = {"write_bytes": None, "write_str": None, "close": None}
    options["download_manager"] = None
    monkeypatch.setenv(SEAT_CODE, "1-not-theirs")
    seat = _Seat("true", tmp_path, "203.0.113.5", "7-amber-harbor", **options)
    environment = seat._build_environment()
    assert environment[FORWARDED_FOR] == "203.0.113.5"
    assert environment[SEAT_CODE] == "7-amber-harbor"  # the link's code, never on its argv
    unknown = _Seat("true", tmp_path, None, None, **options)  # no peer address, no code
    assert FORWARDED_FOR not in unknown._build_environment()
    assert SEAT_CODE not in unknown._build_environment()


def test_brackets_a_player_types_or_pastes_are_words_not_nesting() -> None:
    pasted = json.dumps(["stdin", 'my list: [1] [2] {3} [[4]] \x1b[A\x1b[B " [ \\'])
    assert not _too_deep(pasted)
    assert not _too_deep('["resize", {"width": 80, "height": 24}]')
    assert _too_deep("[" * 5000 + "]" * 5000)
    assert _too_deep('["ping", ' + "[" * 9 + "]" * 9 + "]")
