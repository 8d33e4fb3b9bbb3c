"""Network play: one seat of a game held by a relay, and `reciprocity host` / `join`.

`WebSocketConnection` is the `Connection` for one partner on their own terminal. `open()` takes
a seat (create or join); then `run(deliver)`, in the app's worker, does all the network I/O: it
delivers views, words and refusals, and after a drop it reconnects with backoff and resumes
with the seat's token. Commands carry ids made here; those not yet acknowledged are sent again,
with the same ids, after a reconnect, and the relay counts each id once.

Typed words travel sealed (`reciprocity.e2e`): the host's screen picks the code's two words,
the relay only sees the number, and the two screens agree on keys with SPAKE2 over the code
before the joiner is admitted. The joiner proves it has the code first; the seated screen
answers with its own proof only if that matched, and uses each SPAKE2 message for one joiner.
Once the keys are confirmed, the session (the relay's address, the resume token, the keys
and counters; never words) is kept in the data folder's `sessions/`, readable only by its
owner and locked by the process playing it, so that a screen that crashed can come back to
the game (`reciprocity join --resume`, `saved_game`); a connection that closes removes it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import random
import re
import secrets
import socket
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import (
    ConnectionClosed,
    InvalidStatus,
    InvalidURI,
    WebSocketException,
)
from websockets.uri import parse_uri

from reciprocity import DEFAULT_DECK, ReciprocityError
from reciprocity.connection import (
    Announced,
    CodeChanged,
    Connection,
    Deliver,
    RecordArrived,
    Rejected,
    StatusChanged,
    Update,
    ViewChanged,
    WordsArrived,
)
from reciprocity.e2e import (
    CODE_MISMATCH,
    Channel,
    CodeMismatch,
    Handshake,
    Keys,
    Replayed,
    Unreadable,
    fit,
    load_session,
    lock_session,
    release_session,
    save_session,
    session_path,
)
from reciprocity.engine import Command, Seat
from reciprocity.engine.rules import MAX_NAME
from reciprocity.paths import data_dir
from reciprocity.protocol import (
    CLIENT,
    CLOSE_REPLACED,
    PROTOCOL_VERSION,
    SERVER,
    Ack,
    Announcement,
    ClientMessage,
    CodeChecked,
    CommandMessage,
    CreateRoom,
    Error,
    Hello,
    JoinRoom,
    KeyExchange,
    PartnerKey,
    Record,
    Resume,
    Say,
    SeatView,
    ServerMessage,
    Welcome,
    Words,
)
from reciprocity.words import WORDS

if TYPE_CHECKING:
    from reciprocity_server.serve import RelayServer

    from reciprocity.deck import Deck
    from reciprocity.tui.app import ReciprocityApp
    from reciprocity.tui.screens.host import HostChoice
    from reciprocity.tui.screens.join import JoinChoice

#: Where `reciprocity join` looks for the relay when `--relay` is not given.
DEFAULT_RELAY = "ws://localhost:8765"

RECONNECTING = "The connection dropped. Reconnecting…"
UNREACHABLE = "The relay cannot be reached; trying again…"
#: What the host's screen says when a joiner's code did not match.
WRONG_GUESS = "Someone tried a code that didn't match \N{EM DASH} check it with your partner."
NOT_SEALED = "Your words cannot be sent until your partner has joined."
DROPPED = "Some words from your partner were dropped: {reason}."
REPLACED = "This seat is being played in another window now; this one has stopped."
UNKEPT = "This game cannot be kept on this computer ({reason}); it goes on, but cannot come back \
after a crash."

#: Wrong codes the seated screen takes before it makes a new one: a code is worth a few
#: guesses only, however many addresses they come from.
MAX_WRONG_GUESSES = 5
NEW_CODE = "Too many wrong codes were tried, so your game has a new code: {code}. Give your \
partner the new one."

#: Refusals that may pass if the same hello is tried again later.
_PASSING = frozenset({"rate_limited", "server"})
#: The most typed messages kept while the relay cannot be reached.
_MAX_WAITING_WORDS = 20
_CODE = re.compile(r"^[0-9]{1,4}-[a-z]{2,12}-[a-z]{2,12}$")


class RelayError(ReciprocityError):
    """The relay could not seat us: one line a person can act on."""

    @property
    def sentence(self) -> str:
        """The message as a sentence, for a screen rather than the command line."""
        text = str(self)
        return f"{text[:1].upper()}{text[1:]}."


class RelayUnreachable(RelayError):
    """Nothing answered as a relay at the address; trying again later may work."""


class RelayRefused(RelayError):
    """The relay answered and said no: a wrong code, a full room, an unknown deck."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True)
class JoinCode:
    """What a joiner brings: the code their partner read out (`7-amber-harbor`), and a name."""

    code: str
    name: str


def new_words() -> str:
    """Two words for a new code, drawn here with `secrets`: the relay never learns them."""
    return f"{secrets.choice(WORDS)}-{secrets.choice(WORDS)}"


class WebSocketConnection(Connection):
    """One seat of a game held by a relay, for one partner on their own terminal.

    Call `open()` first: it connects and sends the hello (`opening` creates a room, or joins
    one by its code; it is `None` for a kept session, see `saved`), and raises `RelayError`
    with a sentence for a person if that fails. A joiner's `open()` also runs the key
    exchange, and raises `RelayRefused` with `CODE_MISMATCH` when the codes differ; it waits
    `admit_timeout` seconds at most for the partner's screen to check the code.

    `run()` then delivers updates until `close()`, reconnecting after drops with a backoff
    that starts at `first_delay` seconds and doubles up to `max_delay`, with jitter. Kept
    sessions go to `sessions` (default: the data folder's `sessions/`).
    """

    def __init__(
        self,
        url: str,
        opening: CreateRoom | JoinCode | None,
        *,
        first_delay: float = 0.5,
        max_delay: float = 10.0,
        timeout: float = 10.0,
        admit_timeout: float = 60.0,
        sessions: Path | None = None,
    ) -> None:
        self.url = url
        self.opening = opening
        self.seats = (Seat.A,) if isinstance(opening, CreateRoom) else (Seat.B,)
        self.first_delay = first_delay
        self.max_delay = max_delay
        self.timeout = timeout
        self.admit_timeout = admit_timeout
        self.sessions = sessions if sessions is not None else data_dir() / "sessions"
        #: The room's code: the joiner's from the start, the host's once the relay welcomed it.
        self.code: str | None = check_code(opening.code) if isinstance(opening, JoinCode) else None
        #: The kept session's file, once the keys are confirmed, and its lock's descriptor.
        self.session: Path | None = None
        self._lock: int | None = None
        #: Set when the session could not be kept: it is not tried again.
        self._unkept = False
        self._words = new_words()
        #: The room's number, once known.
        self.number = 0
        self._token: str | None = None
        self._last_seq = 0
        self._socket: ClientConnection | None = None
        self._pending: dict[str, CommandMessage] = {}
        self._outbox: deque[ClientMessage] = deque()
        self._wake = asyncio.Event()
        self._closed = asyncio.Event()
        self._deliver: Deliver | None = None
        self._recorded = False
        self._ids = (f"{secrets.token_hex(4)}-{n}" for n in itertools.count(1))
        self._handshake: Handshake | None = None
        self._keys: Keys | None = None
        self._channel: Channel | None = None
        self._held: list[Update] = []
        #: The partner's SPAKE2 message the keys came from: a verdict names the exchange.
        self._partner_pake = ""
        #: Whether a view has shown the partner in their seat: the keys are settled.
        self._partner_seated = opening is None
        #: Wrong codes tried against this code so far.
        self._wrong = 0

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
                parse_uri(str(session["url"]))
                resume = Resume(token=session["token"], last_seq=session["last_seq"])
            except (KeyError, TypeError, ValueError, InvalidURI) as error:
                raise ReciprocityError(
                    f"cannot read the saved game {path}: {_first_line(error)}"
                ) from None
        except ReciprocityError:
            release_session(path, lock, keep=True)
            raise
        channel.skip_ahead()  # a copy of this file elsewhere must never seal with our counters
        connection = cls(str(session["url"]), None, **options)
        connection._token, connection._last_seq = resume.token, resume.last_seq
        connection._lock = lock
        connection.seats = (channel.seat,)
        connection.number = channel.number
        connection._channel = channel
        connection.session = path
        return connection

    @property
    def seat(self) -> Seat:
        """The seat this connection plays."""
        return self.seats[0]

    # --- taking a seat -------------------------------------------------------------------

    async def open(self) -> Welcome:
        """Connect and take a seat; raises `RelayUnreachable` or `RelayRefused`.

        A host's seat is taken at once. A joiner sends its key-exchange message, and waits
        until the partner's screen has checked that the codes match and the relay admits it.
        """
        opening = self.opening
        if opening is None:
            raise RuntimeError("a kept session is resumed by run(), not open()")
        if isinstance(opening, CreateRoom):
            welcome = await self._greet(Hello(version=PROTOCOL_VERSION, create=opening))
            self.code = f"{welcome.number}-{self._words}"
            self._start_handshake()
            return welcome
        assert self.code is not None
        number = int(self.code.split("-")[0])
        join = JoinRoom(number=number, name=opening.name)
        welcome = await self._greet(Hello(version=PROTOCOL_VERSION, join=join))
        self._start_handshake()
        try:
            await asyncio.wait_for(self._admission(), self.admit_timeout)
        except TimeoutError:
            await self._hang_up()
            raise RelayRefused(
                "your partner's screen did not answer; ask them to keep Reciprocity open "
                "and try again",
                "timeout",
            ) from None
        except BaseException:
            await self._hang_up()
            raise
        return welcome

    async def _admission(self) -> None:
        """Run the joiner's side of the key exchange until the relay admits it (a first view)."""
        socket = self._socket
        assert socket is not None
        while True:
            while self._outbox:
                await socket.send(CLIENT.dump_json(self._outbox.popleft()).decode())
            try:
                frame = await socket.recv()
                message = SERVER.validate_json(frame)
            except (OSError, ConnectionClosed) as error:
                if self._channel is not None:  # admitted just now, most likely: `run` resumes
                    self._socket = None
                    return
                raise RelayUnreachable(f"lost the relay at {self.url}: {_reason(error)}") from None
            except ValidationError:
                continue
            match message:
                case SeatView():
                    if self.seat is Seat.B and self._channel is None:  # admitted unproven
                        raise RelayRefused(CODE_MISMATCH, "code_mismatch")
                    self._receive(message)
                    return
                case Error():
                    raise RelayRefused(self._refusal(message), message.code)
                case PartnerKey():
                    self._key_step(message)
                    if self._handshake is None:  # our own check found the codes differ
                        raise RelayRefused(CODE_MISMATCH, "code_mismatch")

    def _start_handshake(self) -> None:
        """A fresh SPAKE2 message for the partner, queued."""
        assert self.code is not None
        self.number = int(self.code.split("-")[0])
        self._handshake = Handshake(self.code, self.number)
        self._keys = None
        self._queue(KeyExchange(step="pake", payload=self._handshake.message))

    async def _greet(self, hello: Hello) -> Welcome:
        socket = await dial(self.url, self.timeout)
        try:
            await socket.send(CLIENT.dump_json(hello).decode())
            frame = await asyncio.wait_for(socket.recv(), self.timeout)
            answer = SERVER.validate_json(frame)
        except (OSError, TimeoutError, ConnectionClosed) as error:
            await socket.close()
            raise RelayUnreachable(f"lost the relay at {self.url}: {_reason(error)}") from None
        except ValidationError:
            await socket.close()
            raise RelayUnreachable(f"{self.url} did not answer as a relay") from None
        if not isinstance(answer, Welcome):
            await socket.close()
            if isinstance(answer, Error):
                raise RelayRefused(self._refusal(answer), answer.code)
            raise RelayUnreachable(f"{self.url} did not answer as a relay")
        self._socket = socket
        self._token = answer.token
        self.seats = (answer.seat,)
        return answer

    def _refusal(self, error: Error) -> str:
        opening = self.opening
        code = self.code or ""
        match error.code:
            case "no_such_room":
                return f"no game has the code {code}; check it with your partner"
            case "room_full" if "just now" in error.message:
                return f"someone is joining the game {code} just now; try again in a minute"
            case "room_full":
                return f"the game {code} already has two partners"
            case "code_mismatch":
                return CODE_MISMATCH
            case "join_again":
                text = error.message.rstrip(".")
                return f"{text[:1].lower()}{text[1:]}"
            case "unknown_deck" if isinstance(opening, CreateRoom):
                return f"the relay at {self.url} does not know the deck '{opening.deck}'"
            case "version":
                return f"the relay at {self.url} runs another version: {error.message}"
            case "rate_limited":
                return "too many tries in a short time; wait a minute and try again"
            case "bad_token":
                return "the relay no longer knows this game, so it cannot go on"
            case "illegal":  # such as a name the same as the partner's
                text = error.message.rstrip(".")
                return f"{text[:1].lower()}{text[1:]}"
        return f"the relay said: {error.message}"

    # --- the worker ----------------------------------------------------------------------

    async def run(self, deliver: Deliver) -> None:
        """Deliver updates until closed, reconnecting and resuming after every drop."""
        if self._token is None:
            raise RuntimeError("open() the connection before running it")
        self._deliver = deliver
        for update in self._held:
            deliver(update)
        self._held.clear()
        delay = self.first_delay
        try:
            while not self._closed.is_set():
                if self._socket is None:
                    try:
                        await self._resume()
                    except RelayRefused as refused:
                        if refused.code not in _PASSING:
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
                    delay = self.first_delay
                    self._emit(StatusChanged(None))
                if await self._serve() == CLOSE_REPLACED:
                    self._emit(StatusChanged(REPLACED))
                    await self._closed.wait()
                    return
                if not self._closed.is_set():
                    self._emit(StatusChanged(RECONNECTING))
        finally:
            await self._hang_up()

    async def _resume(self) -> None:
        assert self._token is not None
        resume = Resume(token=self._token, last_seq=self._last_seq)
        await self._greet(Hello(version=PROTOCOL_VERSION, resume=resume))
        # Whatever the last socket may have lost goes again: command ids make that safe, and
        # the relay takes a key step or a verdict only for the exchange it names.
        keys = [m for m in self._outbox if isinstance(m, KeyExchange | CodeChecked)]
        words = [m for m in self._outbox if isinstance(m, Say)]
        if self.seat is Seat.A and not self._partner_seated and self._handshake is not None:
            pake = KeyExchange(step="pake", payload=self._handshake.message)
            keys = [pake, *(m for m in keys if m != pake)]
        self._outbox = deque([*keys, *self._pending.values(), *words])
        self._wake.set()

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
            try:
                message = SERVER.validate_json(frame)
            except ValidationError:
                continue
            self._receive(message)

    def _receive(self, message: ServerMessage) -> None:
        match message:
            case SeatView():
                self._last_seq = max(self._last_seq, message.seq)
                if not self._partner_seated and message.partner(self.seat.other).name:
                    self._partner_seated = True
                    self._keep()  # the keys are settled: now the session is worth keeping
                self._emit(ViewChanged(message))
            case Words(seat=seat, payload=payload):
                self._open_words(seat, payload)
            case PartnerKey():
                self._key_step(message)
            case Ack(id=command_id):
                self._pending.pop(command_id, None)
            case Error(id=command_id, message=text):
                if command_id is not None:
                    self._pending.pop(command_id, None)
                self._emit(Rejected(self.seat, text))
            case Record() if not self._recorded:  # sent again after a late resume: keep once
                self._recorded = True
                self._emit(RecordArrived(message))
            case Announcement(text=text):
                self._emit(Announced(text))

    def _key_step(self, message: PartnerKey) -> None:
        """A step of the partner's side of the key exchange, until the keys are settled. The
        first seat (a host, or a facilitated room's first joiner) checks; the second answers."""
        if self._handshake is None or self._partner_seated:
            return
        if self.seat is Seat.A:
            self._check_joiner(message)
        else:
            self._answer_seated(message)

    def _answer_seated(self, message: PartnerKey) -> None:
        """The joiner's side: answer the seated side's first SPAKE2 message with our proof,
        then check theirs. On a mismatch the handshake goes, and `open()` raises."""
        assert self._handshake is not None
        if message.step == "pake":
            if self._keys is not None:
                return  # one try per join: later messages are for the next joiner
            try:
                self._keys = self._handshake.keys(self.seat, message.payload)
            except CodeMismatch:
                self._handshake = None
                return
            self._queue(KeyExchange(step="confirm", payload=self._keys.proof))
            return
        if self._keys is None or self._channel is not None:
            return
        try:
            self._channel = self._keys.confirm(message.payload)
        except CodeMismatch:
            self._handshake = self._keys = None

    def _check_joiner(self, message: PartnerKey) -> None:
        """The seated side: check a joiner's proof, and only if it matched, answer with ours
        and admit the joiner. Each joiner's SPAKE2 message meets a fresh handshake of ours;
        the same message again (sent again after our connection dropped) meets the same one.
        """
        assert self._handshake is not None
        if message.step == "pake":
            if message.payload == self._partner_pake:
                return  # this joiner's exchange is under way already
            handshake = self._handshake
            self._channel = None  # an earlier joiner who matched but never took the seat
            self._start_handshake()  # ours for the next joiner, never used twice
            self._partner_pake = message.payload
            try:
                self._keys = handshake.keys(self.seat, message.payload)
            except CodeMismatch:
                self._turn_away()
            return
        if self._keys is None:
            return  # a proof without a key exchange to check it against
        try:
            channel = self._keys.confirm(message.payload)
        except CodeMismatch:
            self._turn_away()
            return
        self._channel = self._channel or channel  # a proof sent again keeps the counters
        verdict = CodeChecked(matched=True, pake=self._partner_pake, proof=self._keys.proof)
        self._queue(verdict)

    def _turn_away(self) -> None:
        """The joiner's code differs from ours: the relay sends it away, and we say so. After
        `MAX_WRONG_GUESSES`, the code gets new words, so guessing it starts over."""
        self._keys = None
        self._queue(CodeChecked(matched=False, pake=self._partner_pake))
        self._wrong += 1
        if self._wrong < MAX_WRONG_GUESSES:
            self._emit(Rejected(self.seat, WRONG_GUESS))
            return
        self._wrong = 0
        self.code = f"{self.number}-{new_words()}"
        self._start_handshake()
        self._emit(CodeChanged(self.code))
        self._emit(Rejected(self.seat, NEW_CODE.format(code=self.code)))

    def _open_words(self, seat: Seat, payload: str) -> None:
        """Show the partner's sealed words, or say calmly why they were dropped."""
        if self._channel is None:
            return
        try:
            text = self._channel.open(payload)
        except (Unreadable, Replayed) as error:
            self._emit(Rejected(self.seat, DROPPED.format(reason=error)))
            return
        self._keep()
        self._emit(WordsArrived(seat, text))

    def _keep(self) -> None:
        """Save the session (keys, counters, token; never words), readable only by us.

        If it cannot be saved, the file goes (its counters would be used again after a crash),
        the person is told once, and the game goes on unkept.
        """
        if self._channel is None or self._token is None or self._unkept:
            return
        if not self._partner_seated:
            return  # not before the keys are settled: a joiner may yet turn out not to stay
        try:
            if self.session is None:
                path = session_path(self.sessions, self._token)
                self._lock = lock_session(path)
                self.session = path
            save_session(
                self.session,
                {
                    "url": self.url,
                    "token": self._token,
                    "last_seq": self._last_seq,
                    "channel": self._channel.state(),
                },
            )
        except (OSError, ReciprocityError) as error:
            self._unkept = True
            with contextlib.suppress(OSError):
                self._forget()
            self._emit(Rejected(self.seat, UNKEPT.format(reason=_reason(error))))

    def _forget(self) -> None:
        """Remove the kept session, if any, and let its lock go."""
        session, lock, self.session, self._lock = self.session, self._lock, None, None
        if session is not None and lock is not None:
            release_session(session, lock)

    def _queue(self, message: ClientMessage) -> None:
        self._outbox.append(message)
        self._wake.set()

    async def _write(self, socket: ClientConnection) -> None:
        while True:
            while self._outbox:
                await socket.send(CLIENT.dump_json(self._outbox[0]).decode())
                self._outbox.popleft()
            self._wake.clear()
            await self._wake.wait()

    async def _hang_up(self) -> None:
        socket, self._socket = self._socket, None
        if socket is not None:
            await socket.close()

    # --- what the screen calls -----------------------------------------------------------

    def send(self, seat: Seat, command: Command) -> None:
        """Queue a command for the relay, with a fresh id; it is sent again until acknowledged."""
        if seat not in self.seats:
            return
        message = CommandMessage(id=next(self._ids), command=command)
        self._pending[message.id] = message
        self._outbox.append(message)
        self._wake.set()

    def say(self, seat: Seat, text: str) -> None:
        """Show the words here at once, and queue them, sealed, for the partner's screen."""
        text = fit(text.strip())
        if not text or seat not in self.seats:
            return
        if self._channel is None:
            self._emit(Rejected(seat, NOT_SEALED))
            return
        self._emit(WordsArrived(seat, text))
        waiting = sum(isinstance(message, Say) for message in self._outbox)
        if waiting < _MAX_WAITING_WORDS:
            payload = self._channel.seal(text)
            self._keep()  # the counter is on disk before the sealed words leave
            self._queue(Say(payload=payload))

    def close(self) -> None:
        """Stop the run loop; it closes the socket on its way out. The kept session goes."""
        self._closed.set()
        self._forget()

    async def aclose(self) -> None:
        """Close now, for a caller that opened the connection but may never have run it."""
        self.close()
        await self._hang_up()

    def _emit(self, update: Update) -> None:
        """Deliver an update; one from before `run()` (a joiner's first view) waits for it."""
        if self._deliver is None:
            self._held.append(update)
        else:
            self._deliver(update)


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
        raise RelayUnreachable(f"cannot reach the relay at {url}: {_reason(error)}") from None


def _first_line(error: BaseException) -> str:
    """An error's message, first line only (pydantic's run to several)."""
    if isinstance(error, ValidationError):
        problem = error.errors()[0]
        where = ".".join(str(part) for part in problem["loc"])
        return f"{where}: {problem['msg'].lower()}"
    return str(error).splitlines()[0] if str(error) else type(error).__name__


def _reason(error: BaseException) -> str:
    """A few words on why a socket failed, such as "connection refused"."""
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


# --- the relay this program starts --------------------------------------------------------


class LocalRelay:
    """A relay running inside this program, listening on every address at `port`."""

    def __init__(self, server: RelayServer, deck: Deck) -> None:
        self._server = server
        self.port = server.port
        self.deck = deck

    @classmethod
    async def start(cls, port: int, deck: Deck, *, host: str = "0.0.0.0") -> LocalRelay:
        """Start a relay that also knows `deck`, on every address (or `host`); raises
        `RelayError` if the port is taken.

        It keeps its own records (`host-relay.sqlite3`), apart from `reciprocity serve`'s, and
        starts afresh: its rooms end with this program, so none is ever brought back.
        """
        from reciprocity_server.serve import start_relay

        db = data_dir() / "host-relay.sqlite3"
        try:
            server = await start_relay(host, port, db=db, decks={deck.id: deck}, restore=False)
        except ReciprocityError as error:
            raise RelayError(str(error)) from None
        return cls(server, deck)

    @property
    def url(self) -> str:
        """Where this program connects to its own relay."""
        return f"ws://127.0.0.1:{self.port}"

    @property
    def public_url(self) -> str:
        """Where a partner on the same network finds this relay."""
        return f"ws://{lan_address()}:{self.port}"

    async def close(self) -> None:
        """Stop the relay and close its connections."""
        await self._server.close()


def lan_address() -> str:
    """This machine's address on its local network, or 127.0.0.1 if it has none.

    Connecting a UDP socket sends nothing; it only makes the system choose the address it
    would send from.
    """
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("10.255.255.255", 1))
        address = str(probe.getsockname()[0])
    except OSError:
        return "127.0.0.1"
    finally:
        probe.close()
    return address if address != "0.0.0.0" else "127.0.0.1"


# --- a game over the network, ready to play -------------------------------------------------


@dataclass
class NetworkGame:
    """A seat taken at a relay: the connection, and what the screens need to know."""

    connection: WebSocketConnection
    aloud: bool
    #: The relay's address as the partner reaches it (the host's only: it makes the invite).
    public: str | None = None
    #: The relay started in this program for the game, if any.
    relay: LocalRelay | None = None
    #: The deck, when this program chose it (the host's); a joiner finds it from the view.
    deck: Deck | None = None

    @property
    def code(self) -> str:
        """The game's code as it stands (new words after too many wrong ones); a kept session
        knows only its number."""
        return self.connection.code or str(self.connection.number)

    @property
    def invite(self) -> str | None:
        """The command the partner runs to join (the host's only)."""
        return invite_line(self.code, self.public) if self.public is not None else None

    async def aclose(self) -> None:
        """Leave the relay, and stop the relay started here."""
        await self.connection.aclose()
        if self.relay is not None:
            await self.relay.close()


def saved_game(folder: Path | None = None, *, aloud: bool = False) -> NetworkGame:
    """The network game whose session this program kept last, ready to resume and play.

    `folder` is where sessions are kept (default: the data folder's `sessions/`); `aloud`
    leaves the typing line out. Raises `ReciprocityError` when there is none, or it cannot
    be read.
    """
    folder = folder if folder is not None else data_dir() / "sessions"
    kept = sorted(folder.glob("*.json"), key=_modified)
    if not kept:
        raise RelayError("there is no network game to go back to here; join with the code")
    return NetworkGame(WebSocketConnection.saved(kept[-1], sessions=folder), aloud)


def _modified(path: Path) -> float:
    """When a file last changed; 0 for one another window has just removed."""
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return 0.0


def invite_line(code: str, relay: str) -> str:
    """The exact command the partner runs to join."""
    if relay == DEFAULT_RELAY:
        return f"reciprocity join {code}"
    return f"reciprocity join {code} --relay {relay}"


def check_code(code: str) -> str:
    """The code, tidied; raises `RelayError` if it cannot be a code."""
    tidy = code.strip().lower()
    if not _CODE.match(tidy):
        raise RelayError(f"'{code}' is not a game code; a code looks like 7-amber-harbor")
    return tidy


async def open_game(
    choice: HostChoice | JoinChoice, relay: LocalRelay | None = None
) -> NetworkGame:
    """Take a seat as `choice` says: host (starting a relay here unless one is named) or join.

    `relay`, one already started here, is handed over: the host uses it when naming no other
    relay and keeping its deck; otherwise it is closed, and a host naming no relay gets a new
    one on `choice.port`. Raises `RelayError`, and then nothing is left running.
    """
    from reciprocity.tui.screens.host import HostChoice

    if not isinstance(choice, HostChoice):
        if relay is not None:
            await relay.close()
        connection = WebSocketConnection(choice.relay, JoinCode(choice.code, choice.name))
        await connection.open()
        return NetworkGame(connection, choice.aloud)
    if relay is not None and (choice.relay is not None or relay.deck != choice.deck):
        await relay.close()
        relay = None
    if relay is None and choice.relay is None:
        relay = await LocalRelay.start(choice.port, choice.deck)
    if choice.relay is not None:
        url = public = choice.relay
    else:
        assert relay is not None
        url, public = relay.url, relay.public_url
    opening = CreateRoom(deck=choice.deck.id, name=choice.name, checkin=choice.checkin)
    connection = WebSocketConnection(url, opening)
    try:
        await connection.open()
    except RelayError:
        if relay is not None:
            await relay.close()
        raise
    return NetworkGame(connection, choice.aloud, public, relay, choice.deck)


# --- the command line ----------------------------------------------------------------------


def remote_command(args: argparse.Namespace) -> int:
    """`reciprocity host` and `reciprocity join`: take a seat, then open the app.

    A relay that cannot be reached, a wrong code or a port in use ends here with one line.
    Without `--name` the app asks for the name first, and shows any refusal on screen.
    """
    return asyncio.run(_remote(args))


async def _remote(args: argparse.Namespace) -> int:
    from reciprocity.tui.app import ReciprocityApp
    from reciprocity.tui.screens.host import HostChoice
    from reciprocity.tui.screens.join import JoinChoice

    if args.command == "join" and args.resume:
        return await _play(ReciprocityApp(network=saved_game(aloud=args.aloud)))
    choice: HostChoice | JoinChoice
    relay: LocalRelay | None = None
    name = " ".join((args.name or "").split())
    if len(name) > MAX_NAME:
        raise RelayError(f"please keep the name to {MAX_NAME} characters")
    if args.command == "host":
        from reciprocity.library import find_deck

        deck = find_deck(args.deck or DEFAULT_DECK)
        if args.relay is None:
            relay = await LocalRelay.start(args.port, deck)
        checkin = not args.no_checkin
        choice = HostChoice(deck, name, args.relay, checkin, args.aloud, args.port)
    elif args.code is None:
        raise RelayError("please give the code your partner read out, such as 7-amber-harbor")
    else:
        code = check_code(args.code)
        choice = JoinChoice(code, name, args.relay or DEFAULT_RELAY, aloud=args.aloud)
    game: NetworkGame | None = None
    try:
        if name:
            handed, relay = relay, None
            game = await open_game(choice, handed)
        elif relay is None:
            assert choice.relay is not None
            await (await dial(choice.relay, timeout=10)).close()
    except BaseException:
        if relay is not None:
            await relay.close()
        raise
    return await _play(
        ReciprocityApp(network=game, network_form=None if game else choice, relay=relay)
    )


async def _play(app: ReciprocityApp) -> int:
    try:
        await app.run_async()
    finally:
        await app.leave_network()
    return app.return_code or 0
