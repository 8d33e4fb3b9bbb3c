"""How a player's screen reaches the relay: dialing, the room's own address, and saying in a
few words why a socket failed or a kept file is damaged.

A player connects to its room's address at the relay (`/room/7`), so that a stock proxy in
front of several relays (hashing the path) sends both partners of a room to the same relay.
A host has no number before its room exists: it asks any relay for one (`GET /number`), and
creates its room at that number's address. A relay that gives no number (an older one, or
one that says not now) is dialed at its own address, and numbers the room itself.

A browser tab's process (`reciprocity.web`) runs on the computer serving the page, so the
relay would count every browser player by that computer's address. The page tells the tab's
process its browser's address (`FORWARDED_FOR`), which goes to the relay as
`X-Forwarded-For`; a relay heeds it only from its own machine, and only when told to.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import socket
import ssl
import urllib.error
import urllib.request

from pydantic import ValidationError
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus, InvalidURI, WebSocketException

from reciprocity.net.core import RelayError, RelayUnreachable

#: The environment variable that holds a browser tab's own address, for its process.
FORWARDED_FOR = "RECIPROCITY_FORWARDED_FOR"


def forwarded_for() -> dict[str, str]:
    """The `X-Forwarded-For` header naming the browser this process plays for, if any."""
    address = os.environ.get(FORWARDED_FOR, "")
    try:
        return {"X-Forwarded-For": str(ipaddress.ip_address(address))}
    except ValueError:
        return {}  # not a browser's process, or not an address


def room_url(relay: str, number: int) -> str:
    """The address of room `number` at the relay `relay`."""
    return f"{relay.rstrip('/')}/room/{number}"


async def ask_number(relay: str, timeout: float) -> int | None:
    """A room number for a new room, from the relay at `relay` (`GET /number`); None if it
    gives none."""
    http = relay.replace("ws://", "http://", 1).replace("wss://", "https://", 1)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # as `dial`: none

    def get() -> int | None:
        try:
            asking = urllib.request.Request(f"{http.rstrip('/')}/number", headers=forwarded_for())
            with opener.open(asking, timeout=timeout) as answer:
                text = answer.read(16).decode("ascii", "replace").strip()
        except (OSError, ValueError):  # HTTPError and URLError are OSErrors
            return None
        return int(text) if text.isdecimal() else None

    return await asyncio.to_thread(get)


async def dial(url: str, timeout: float, room: int | None = None) -> ClientConnection:
    """Open a websocket to the relay at `url`, at `room`'s address if given; raises
    `RelayError` with the reason, naming the relay."""
    address = url if room is None else room_url(url, room)
    try:
        return await connect(
            address,
            open_timeout=timeout,
            close_timeout=2,
            compression=None,
            proxy=None,
            additional_headers=forwarded_for(),
        )
    except InvalidURI:
        raise RelayError(
            f"{url} is not a relay address; one looks like ws://192.168.1.20:8765"
        ) from None
    except InvalidStatus as error:
        status = error.response.status_code
        raise RelayUnreachable(f"{url} answered, but not as a relay (HTTP {status})") from None
    except (OSError, TimeoutError, WebSocketException) as error:
        raise RelayUnreachable(f"cannot reach the relay at {url}: {reason(error)}") from None


def first_line(error: BaseException) -> str:
    """An error's message, first line only (pydantic's run to several)."""
    if isinstance(error, ValidationError):
        problem = error.errors()[0]
        where = ".".join(str(part) for part in problem["loc"])
        return f"{where}: {problem['msg'].lower()}"
    return str(error).splitlines()[0] if str(error) else type(error).__name__


def reason(error: BaseException) -> str:
    """A few words on why a socket failed, such as "connection refused"."""
    if isinstance(error, ssl.SSLCertVerificationError):
        why = (error.verify_message or "not trusted").lower()
        return f"its certificate is not trusted here ({why}); see SSL_CERT_FILE in docs/playing.md"
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, TimeoutError):
        return "no answer in time"
    if isinstance(error, socket.gaierror):
        return "no such host"
    if isinstance(error, ConnectionClosed):
        return "the connection closed"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror.lower()
    return str(error) or type(error).__name__
