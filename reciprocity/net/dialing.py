"""Dialing a relay, and saying in a few words why a socket failed or a kept file is damaged."""

from __future__ import annotations

import socket
import ssl

from pydantic import ValidationError
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus, InvalidURI, WebSocketException

from reciprocity.net.core import RelayError, RelayUnreachable


async def dial(url: str, timeout: float) -> ClientConnection:
    """Open a websocket to the relay at `url`; raises `RelayError` with the reason."""
    try:
        return await connect(
            url, open_timeout=timeout, close_timeout=2, compression=None, proxy=None
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
