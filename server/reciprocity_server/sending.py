"""Each connection's outbox: frames sent in order, and a reader that stopped reading dropped.

A frame goes straight to the connection's transport when nothing waits before it and the
transport takes more (it is not paused by flow control): no task, lock or future a frame,
which is most of what websockets' `send` costs. Otherwise it waits in the outbox, and one
task sends what waits, in order, through `send` with its flow control.

A client may fall behind for a moment (a burst of words, a session's every row at once) and
catch up. Only one that has stopped reading is dropped: one with more than `BEHIND_BYTES`
waiting, or whose oldest waiting frame has waited `STALL_SECONDS`. A dashboard's rows are
coalesced: a room's newer row replaces its older one that is still waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from dataclasses import dataclass, field

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed
from websockets.protocol import State

from reciprocity_server.outputs import Close

log = logging.getLogger("reciprocity_server")

#: A client with more than this many bytes (about: characters) waiting is dropped.
BEHIND_BYTES = 2 * 1024 * 1024
#: A client whose oldest waiting frame has waited this long, in seconds, is dropped.
STALL_SECONDS = 30.0


@dataclass(eq=False, slots=True)
class _Waiting:
    """A frame (or a close) waiting to be sent; `row` is the room of a dashboard's row."""

    item: str | Close
    row: int | None
    since: float = field(default_factory=time.monotonic)

    @property
    def size(self) -> int:
        return len(self.item) if isinstance(self.item, str) else 0


class Outbox:
    """One client's connection and the task that sends to it, in order."""

    def __init__(self, ws: ServerConnection, conn: int) -> None:
        self.ws = ws
        self.conn = conn
        self._waiting: deque[_Waiting] = deque()
        self._rows: dict[int, _Waiting] = {}
        self._bytes = 0
        self._more = asyncio.Event()
        self._dropped = False
        self.sender = asyncio.create_task(self._send_all())

    def put(self, item: str | Close, row: int | None = None) -> None:
        """Queue a frame (or a close) without waiting; a reader that stopped is dropped.
        `row` names the room of a dashboard's row, which replaces that room's waiting row."""
        if self._dropped:
            return
        if isinstance(item, str) and self._write_now(item):
            return
        older = self._rows.get(row) if row is not None else None
        if older is not None and isinstance(item, str):
            self._bytes += len(item) - older.size
            older.item = item
            return
        waiting = _Waiting(item, row)
        self._waiting.append(waiting)
        self._bytes += waiting.size
        if row is not None:
            self._rows[row] = waiting
        self._more.set()
        head = self._waiting[0]
        if self._bytes > BEHIND_BYTES or time.monotonic() - head.since >= STALL_SECONDS:
            self._drop()

    def _write_now(self, text: str) -> bool:
        """Write a text frame straight to the transport, if nothing waits before it and the
        connection is open and takes more now; say whether it did."""
        ws = self.ws
        if (
            self._waiting
            or ws.paused
            or ws.send_in_progress is not None
            or ws.protocol.state is not State.OPEN
        ):
            return False
        ws.protocol.send_text(text.encode())
        ws.send_data()  # what `send` does after framing, less its wait for the drain
        return True

    async def stop(self) -> None:
        """Stop sending (the connection has closed)."""
        self.sender.cancel()
        with contextlib.suppress(asyncio.CancelledError, ConnectionClosed):
            await self.sender

    def _drop(self) -> None:
        # It is not reading, so a closing handshake would only wait: drop it.
        self._dropped = True
        log.info(
            "connection %d: stopped reading (%d bytes waiting): dropping it",
            self.conn,
            self._bytes,
        )
        self._waiting.clear()
        self._rows.clear()
        self.sender.cancel()
        self.ws.transport.abort()

    async def _send_all(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            while True:
                if not self._waiting:
                    self._more.clear()
                    await self._more.wait()
                    continue
                waiting = self._waiting.popleft()
                self._bytes -= waiting.size
                if waiting.row is not None and self._rows.get(waiting.row) is waiting:
                    del self._rows[waiting.row]
                if isinstance(waiting.item, Close):
                    await self.ws.close(waiting.item.code, waiting.item.reason)
                    return
                await self.ws.send(waiting.item)
