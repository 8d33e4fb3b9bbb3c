"""`--web` on `host`, `facilitate` and `serve`: the web page beside the relay, and its link
printed with a QR code."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from reciprocity.net.codes import join_url
from reciprocity.paths import data_dir
from reciprocity.qr import qr_lines

if TYPE_CHECKING:
    from reciprocity.web.server import WebServer

#: Addresses that mean "every address" to a listening socket.
EVERY_ADDRESS = ("0.0.0.0", "::", "")


def relay_here(host: str, port: int, scheme: str = "ws") -> str:
    """The address at which this machine reaches a relay listening on `host`:`port`."""
    host = "127.0.0.1" if host in EVERY_ADDRESS else host
    return f"{scheme}://[{host}]:{port}" if ":" in host else f"{scheme}://{host}:{port}"


async def start_web(args: argparse.Namespace, host: str, relay: str) -> WebServer | None:
    """The web page that `--web` asks for (None without it), on `host`, for browser players
    whose game reaches the relay at `relay`; each browser's folders go in the data folder's
    `web/`. Raises `WebError` with one line when it cannot listen."""
    if getattr(args, "web", None) is None:
        return None
    from reciprocity.web.server import WebServer

    folder = data_dir() / "web"
    return await WebServer.start(host, args.web, relay, folder, players=args.web_players)


def print_link(url: str, what: str) -> None:
    """Print a web link and its QR code (light on a dark terminal), for whoever runs this."""
    print(f"{what}: {url}")
    print("\n".join(qr_lines(url, capitals=True, ink=False)), flush=True)


def code_link(web: WebServer, code: str | None = None) -> str:
    """The page's address that joins `code` (or, without one, lets the person type it)."""
    return join_url(web.url, code)
