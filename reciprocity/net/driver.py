"""The one asyncio driver: it runs a client core over a websocket, for a player and for the
facilitator's dashboard alike.

The core (`reciprocity.net.client`, `reciprocity.net.facilitator`) holds every rule of the
wire; the driver only dials, sends the core's frames, hands it what arrives, and delivers its
outputs. After a drop it reconnects with a jittered backoff and says hello again, which for a
player resumes the seat with its token. A player's kept session (`reciprocity.kept`) is
written here, when the core asks, and removed when the connection closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Generic, TypeVar

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed, InvalidURI
from websockets.uri import parse_uri

from reciprocity import ReciprocityError
from reciprocity.engine import Command, FacilitatorCommand, Seat
from reciprocity.kept import (
    load_session,
    lock_session,
    release_session,
    save_session,
    session_path,
)
from reciprocity.net.client import MAX_WAITING_WORDS, JoinCode, KeepSession, Output, PlayerCore
from reciprocity.net.codes import check_code, code_number
from reciprocity.net.connection import Connection, StatusChanged, Update
from reciprocity.net.core import Core, RelayError, RelayRefused, RelayUnreachable
from reciprocity.net.dialing import ask_number, dial, first_line, reason
from reciprocity.net.e2e import Channel
from reciprocity.net.facilitator import FacilitatorCore, SessionUpdate
from reciprocity.net.refusals import STOPPED
from reciprocity.pacing_wire import (
    AddRooms,
    Pace,
)
from reciprocity.paths import data_dir
from reciprocity.protocol import (
    CLOSE_REPLACED,
    CreateRoom,
    Resume,
    SessionStatus,
)

RECONNECTING = "The connection dropped. Reconnecting…"
UNREACHABLE = "The relay cannot be reached; trying again…"
UNCHECKED = "your partner's screen did not answer; ask them to keep Reciprocity open and try again"
#: A facilitated session's first joiner is checked by the facilitator's program.
FIRST_UNCHECKED = (
    "the facilitator's screen did not answer; ask them to keep the session open and try again"
)

#: A connection that lasted less than this is tried again only after the back-off.
STEADY_SECONDS = 5.0
#: Refusals that may pass if the same hello is tried again later.
_PASSING = frozenset({"rate_limited", "server"})

CoreT = TypeVar("CoreT", bound=Core[Any])
OutT = TypeVar("OutT")


class Driver(Generic[CoreT, OutT]):
    """Runs `core` over a websocket to `url`.

    `run(deliver)` delivers the core's outputs until `close()`, reconnecting after drops with
    a backoff that starts at `first_delay` seconds and doubles up to `max_delay`, with jitter.
    A refusal that cannot pass stops it with a line for the banner.
    """

    def __init__(
        self,
        url: str,
        core: CoreT,
        *,
        first_delay: float = 0.5,
        max_delay: float = 10.0,
        timeout: float = 10.0,
    ) -> None:
        self.url = url
        self.core = core
        self.first_delay = first_delay
        self.max_delay = max_delay
        self.timeout = timeout
        self._socket: ClientConnection | None = None
        self._wake = asyncio.Event()
        self._closed = asyncio.Event()
        self._deliver: Callable[[OutT | StatusChanged], None] | None = None
        self._before_run: list[OutT | StatusChanged] = []
        self._opened = False

    async def run(self, deliver: Callable[[OutT | StatusChanged], None]) -> None:
        """Deliver outputs until closed, reconnecting and saying hello again after every drop."""
        if not self._opened:
            raise RuntimeError("open() the connection before running it")
        self._deliver = deliver
        for early in self._before_run:
            deliver(early)
        self._before_run.clear()
        delay = self.first_delay
        try:
            while not self._closed.is_set():
                if self._socket is None:
                    try:
                        await self._connect()
                    except RelayRefused as refused:
                        if refused.code not in _PASSING:
                            self._stopped(refused.code)
                            self._emit(StatusChanged(refused.sentence))
                            await self._closed.wait()
                            return
                        self._emit(StatusChanged(UNREACHABLE))
                        delay = await self._back_off(delay)
                        continue
                    except RelayError:
                        self._emit(StatusChanged(UNREACHABLE))
                        delay = await self._back_off(delay)
                        continue
                    self._emit(StatusChanged(None))
                began = time.monotonic()
                closed = await self._serve()
                if closed in STOPPED:  # for good: the seat is no longer this screen's
                    self._stopped("replaced" if closed == CLOSE_REPLACED else "seat_moved")
                    self._emit(StatusChanged(STOPPED[closed]))
                    await self._closed.wait()
                    return
                if not self._closed.is_set():
                    self._emit(StatusChanged(RECONNECTING))
                    if time.monotonic() - began < STEADY_SECONDS:
                        delay = await self._back_off(delay)  # closed at once: no hot loop
                    else:
                        delay = self.first_delay
        finally:
            await self._hang_up()

    def close(self) -> None:
        """Stop the run loop; it closes the socket on its way out."""
        self._closed.set()

    async def aclose(self) -> None:
        """Close now, for a caller that opened the connection but may never have run it."""
        self.close()
        await self._hang_up()

    def _stopped(self, why: str) -> None:
        """The relay will not have this connection back (`why`: the error or close's code)."""

    async def _connect(self) -> None:
        """Dial, say the core's hello and hand it the answer; raises `RelayError`."""
        socket = await dial(self.url, self.timeout, await self._room())
        try:
            await socket.send(self.core.hello())
            self.core.receive(await asyncio.wait_for(socket.recv(), self.timeout))
        except (OSError, TimeoutError, ConnectionClosed) as error:
            await socket.close()
            raise RelayUnreachable(f"lost the relay at {self.url}: {reason(error)}") from None
        except BaseException:
            await socket.close()
            raise
        self._socket = socket
        self._opened = True
        self._flush()

    async def _room(self) -> int | None:
        """The room whose address to dial (`dialing`): none here; a player's, below."""
        return None

    async def _back_off(self, delay: float) -> float:
        """Wait about `delay` seconds (or until closed); return the next, longer delay."""
        jittered = delay * random.uniform(0.75, 1.25)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closed.wait(), jittered)
        return min(delay * 2, self.max_delay)

    async def _serve(self) -> int | None:
        """Read and write on the current socket until it drops or the connection closes;
        returns the close code the relay gave, if any."""
        socket = self._socket
        assert socket is not None
        tasks = [
            asyncio.create_task(self._read(socket)),
            asyncio.create_task(self._write(socket)),
            asyncio.create_task(self._closed.wait()),
        ]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        for task in done:
            error = task.exception()
            if error is not None and not isinstance(error, OSError | ConnectionClosed):
                raise error
        if not self._closed.is_set():
            self._socket = None
            await socket.close()
        return socket.close_code

    async def _read(self, socket: ClientConnection) -> None:
        async for frame in socket:
            self.core.receive(frame)
            self._flush()

    async def _write(self, socket: ClientConnection) -> None:
        while True:
            await self._send_all(socket)
            self._wake.clear()
            await self._wake.wait()

    async def _send_all(self, socket: ClientConnection) -> None:
        while (frame := self.core.next_frame()) is not None:
            await socket.send(frame)
            self.core.frame_sent()

    async def _hang_up(self) -> None:
        socket, self._socket = self._socket, None
        if socket is not None:
            await socket.close()

    def _flush(self) -> None:
        """Carry out what the core gave, and wake the writer for its frames."""
        for output in self.core.outputs():
            self._output(output)
        self._wake.set()

    def _output(self, output: OutT) -> None:
        self._emit(output)

    def _emit(self, update: OutT | StatusChanged) -> None:
        """Deliver an update; one from before `run()` (a joiner's first view) waits for it."""
        if self._deliver is None:
            self._before_run.append(update)
        else:
            self._deliver(update)


class WebSocketConnection(Driver[PlayerCore, Update], Connection):
    """One seat of a game held by a relay, for one partner on their own terminal.

    Call `open()` first: it connects and takes the seat (`opening` creates a room, or joins
    one by its code), and raises `RelayError` with a sentence for a person if that fails. A
    joiner's `open()` also runs the key exchange, and raises `RelayRefused` with
    `CODE_MISMATCH` when the codes differ; it waits `admit_timeout` seconds at most for the
    partner's screen to check the code. Kept sessions go to `sessions` (default: the data
    folder's `sessions/`); `saved` comes back to one.
    """

    def __init__(
        self,
        url: str,
        opening: CreateRoom | JoinCode | None,
        *,
        admit_timeout: float = 60.0,
        sessions: Path | None = None,
        core: PlayerCore | None = None,
        hosted: int | None = None,
        **options: Any,
    ) -> None:
        super().__init__(url, core or PlayerCore(url, opening), **options)
        self.admit_timeout = admit_timeout
        self.sessions = sessions if sessions is not None else data_dir() / "sessions"
        #: The kept session's file, once the keys are confirmed, and its lock's descriptor.
        self.session: Path | None = None
        self._lock: int | None = None
        self._opened = core is not None
        #: The port of the relay this program started for the game, if it did (a host's):
        #: kept with the session, so that coming back starts that relay again.
        self.hosted = hosted
        #: The number the relay gave this host for its room, before the room exists.
        self._reserved: int | None = None

    @classmethod
    def saved(cls, path: Path, **options: Any) -> WebSocketConnection:
        """A connection that comes back to the seat a kept session holds; `run()` it at once.

        Raises `ReciprocityError` if the file cannot be read.
        """
        lock = lock_session(path)  # before reading: the file is ours, as it stands now
        try:
            session = load_session(path)
            try:
                channel = Channel.from_state(session["channel"])
                url = str(session["url"])
                parse_uri(url)
                resume = Resume(token=session["token"], last_seq=session["last_seq"])
                lost = session.get("unanswered", 0)
                if not (isinstance(lost, int) and 0 <= lost <= MAX_WAITING_WORDS):
                    raise ValueError("the count of messages on their way is damaged")
                code = session.get("code")
                if code is not None and not isinstance(code, str):
                    raise ValueError("the game's code is damaged")
                code = None if code is None else check_code(code)
                hosted = session.get("hosted")
                if hosted is not None and not (isinstance(hosted, int) and 0 < hosted < 65536):
                    raise ValueError("the relay's port is damaged")
            except KeyError as missing:
                raise ReciprocityError(
                    f"cannot read the saved game {path}: {missing} is missing"
                ) from None
            except (TypeError, ValueError, OverflowError, InvalidURI) as error:
                raise ReciprocityError(
                    f"cannot read the saved game {path}: {first_line(error)}"
                ) from None
        except ReciprocityError:
            release_session(path, lock, keep=True)
            raise
        channel.skip_ahead()  # a copy of this file elsewhere must never seal with our counters
        core = PlayerCore.resuming(
            url, resume.token, resume.last_seq, channel, lost=lost, code=code
        )
        connection = cls(url, None, core=core, hosted=hosted, **options)
        connection._lock = lock
        connection.session = path
        return connection

    @property
    def seats(self) -> tuple[Seat, ...]:  # type: ignore[override]
        """The one seat this connection plays."""
        return (self.core.seat,)

    @property
    def seat(self) -> Seat:
        """The seat this connection plays."""
        return self.core.seat

    @property
    def code(self) -> str | None:
        """The room's code as it stands (new words after too many wrong ones)."""
        return self.core.code

    @property
    def number(self) -> int:
        """The room's number, once known."""
        return self.core.number

    async def _room(self) -> int | None:
        """The room whose address to dial (`dialing`); a host asks the relay for a number."""
        core = self.core
        number = core.number or (code_number(core.code) if core.code else None)
        if not number and core.token is None and isinstance(core.opening, CreateRoom):
            self._reserved = self._reserved or await ask_number(self.url, self.timeout)
            return self._reserved
        return number

    async def open(self) -> None:
        """Connect and take a seat; raises `RelayUnreachable` or `RelayRefused`.

        A host's seat is taken at once. A joiner sends its key-exchange message, and waits
        until the partner's screen has checked that the codes match and the relay admits it.
        """
        if self.core.opening is None:
            raise RuntimeError("a kept session is resumed by run(), not open()")
        await self._connect()
        if self.core.admitted:
            return
        try:
            await asyncio.wait_for(self._admission(), self.admit_timeout)
        except TimeoutError:
            await self._hang_up()
            raise RelayRefused(
                FIRST_UNCHECKED if self.core.seat is Seat.A else UNCHECKED, "timeout"
            ) from None
        except BaseException:
            await self._hang_up()
            raise

    async def _admission(self) -> None:
        """Carry the joiner's key exchange until the relay admits it (a first view)."""
        socket = self._socket
        assert socket is not None
        while not self.core.admitted:
            try:
                await self._send_all(socket)
                frame = await socket.recv()
            except (OSError, ConnectionClosed) as error:
                if self.core.sealed:  # admitted just now, most likely: `run` resumes
                    self._socket = None
                    return
                raise RelayUnreachable(f"lost the relay at {self.url}: {reason(error)}") from None
            self.core.receive(frame)
            self._flush()

    def send(self, seat: Seat, command: Command) -> None:
        """Queue a command for the relay; it is sent again until acknowledged."""
        if seat in self.seats:
            self.core.send(command)
            self._flush()

    def say(self, seat: Seat, text: str) -> None:
        """Show the words here at once, and queue them, sealed, for the partner's screen."""
        if seat in self.seats:
            self.core.say(text)
            self._flush()

    def close(self) -> None:
        """Stop the run loop; it closes the socket on its way out. The kept session goes."""
        super().close()
        self._forget()

    def _output(self, output: Output) -> None:
        if isinstance(output, KeepSession):
            self._keep(output)
        else:
            self._emit(output)

    def _keep(self, request: KeepSession) -> None:
        """Save the session, readable only by us. If it cannot be saved, the file goes (its
        counters would be used again after a crash), and the core tells the person once."""
        if self._closed.is_set():
            return  # the game was left: what arrives on its way out is not worth keeping
        try:
            if self.session is None:
                path = session_path(self.sessions, request.token)
                self._lock = lock_session(path)
                self.session = path
            save_session(
                self.session,
                {
                    "url": self.url,
                    "token": request.token,
                    "last_seq": request.last_seq,
                    "channel": request.channel,
                    "unanswered": request.unanswered,
                    "hosted": self.hosted,
                    "code": request.code,
                },
            )
        except (OSError, ReciprocityError) as error:
            with contextlib.suppress(OSError):
                self._forget()
            self.core.unkept(reason(error))
            for output in self.core.outputs():
                self._output(output)

    def _stopped(self, why: str) -> None:
        """A seat taken back with the code elsewhere is no longer this screen's to keep."""
        if why == "seat_moved":
            self._forget()

    def _forget(self, *, keep: bool = False) -> None:
        """Remove the kept session, if any (unless `keep`), and let its lock go."""
        session, lock, self.session, self._lock = self.session, self._lock, None, None
        if session is not None and lock is not None:
            release_session(session, lock, keep=keep)

    async def set_aside(self) -> None:
        """Stop without leaving: close the socket and let the lock go, but keep the session,
        so that `join --resume` can come back to the seat (as after a crash)."""
        self._forget(keep=True)
        super().close()
        await self._hang_up()


class FacilitatorConnection(Driver[FacilitatorCore, SessionUpdate]):
    """The dashboard's connection to the relay: rows in, the facilitator's commands out.

    `open()` says hello with the token and returns the session as it stands; after a drop,
    `run` delivers the whole session again. Commands wait in order until they can be sent.
    With the session's `codes` (by room number) it checks each room's first joiner while it
    runs; a first joiner waits for it.
    """

    def __init__(self, url: str, token: str, codes: Mapping[int, str], **options: Any) -> None:
        options.setdefault("max_delay", 1.0)
        super().__init__(url, FacilitatorCore(url, token, codes), **options)

    async def open(self) -> SessionStatus:
        """Connect and say hello; raises `RelayUnreachable` or `RelayRefused`."""
        await self._connect()
        assert self.core.session is not None
        return self.core.session

    def steer(self, command: FacilitatorCommand) -> None:
        """Queue a command for every room of the session."""
        self.core.steer(command)
        self._flush()

    def announce(self, text: str) -> None:
        """Queue one line for every player's screen."""
        self.core.announce(text)
        self._flush()

    def ask(self, request: Pace | AddRooms) -> None:
        """Queue a word to the session's clock, or a request for more rooms."""
        self.core.ask(request)
        self._flush()

    def free_seat(self, number: int, seat: Seat) -> None:
        """Queue freeing a seat of room `number` whose player is gone."""
        self.core.free_seat(number, seat)
        self._flush()
