"""File descriptors: the relay takes all it may, and says so calmly when they run out.

Every connection holds one descriptor. When none is left, asyncio's accept loop reports each
failed `accept()` with a traceback, many times a second, and tries again each second; the
handler here turns that into one line a minute. Connections that never say hello, or never
finish the WebSocket handshake, are closed within seconds, which gives descriptors back.
"""

from __future__ import annotations

import asyncio
import logging
import resource
import time
from typing import Any

log = logging.getLogger("reciprocity_server")

#: The message asyncio reports a failed `accept()` with (EMFILE, ENFILE, ENOBUFS, ENOMEM).
OUT_OF_RESOURCE = "socket.accept() out of system resource"
#: At most one line about it per this many seconds.
QUIET_SECONDS = 60.0


def raise_limit() -> int:
    """Raise the soft limit on open files to the hard one; returns the limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError):
            pass  # keep the soft limit we were given
    return soft


def quiet_accept_errors(loop: asyncio.AbstractEventLoop, limit: int) -> None:
    """Log running out of descriptors as one line a minute, not a traceback per try."""
    last = [-QUIET_SECONDS]

    def handle(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if context.get("message") != OUT_OF_RESOURCE:
            loop.default_exception_handler(context)
            return
        now = time.monotonic()
        if now - last[0] >= QUIET_SECONDS:
            last[0] = now
            failure = context.get("exception")
            reason = failure.strerror if isinstance(failure, OSError) else "out of resources"
            log.warning(
                "cannot accept connections (%s; the limit is %d open files): new ones wait",
                reason,
                limit,
            )

    loop.set_exception_handler(handle)
