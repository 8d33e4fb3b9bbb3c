"""Network play: one seat of a game held by a relay, and `reciprocity host` / `join`.

`WebSocketConnection` is the `Connection` for one partner on their own terminal. `open()` takes
a seat (create or join); then `run(deliver)`, in the app's worker, does all the network I/O: it
delivers views, words and refusals, and after a drop it reconnects with backoff and resumes
with the seat's token. Commands carry ids made here; those not yet acknowledged are sent again,
with the same ids, after a reconnect, and the relay counts each id once.

The resume token is kept only in memory.
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
from typing import TYPE_CHECKING

from pydantic import ValidationError
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import (
    ConnectionClosed,
    InvalidStatus,
    InvalidURI,
    WebSocketException,
)

from reciprocity import DEFAULT_DECK, ReciprocityError
from reciprocity.connection import (
    Announced,
    Connection,
    Deliver,
    RecordArrived,
    Rejected,
    StatusChanged,
    Update,
    ViewChanged,
    WordsArrived,
)
from reciprocity.engine import Command, Seat
from reciprocity.engine.rules import MAX_NAME
from reciprocity.protocol import (
    CLIENT,
    MAX_PAYLOAD,
    PROTOCOL_VERSION,
    SERVER,
    Ack,
    Announcement,
    CommandMessage,
    CreateRoom,
    Error,
    Hello,
    JoinRoom,
    Record,
    Resume,
    Say,
    SeatView,
    ServerMessage,
    Welcome,
    Words,
)

if TYPE_CHECKING:
    from reciprocity_server.serve import RelayServer

    from reciprocity.deck import Deck
    from reciprocity.tui.screens.host import HostChoice
    from reciprocity.tui.screens.join import JoinChoice

#: Where `reciprocity join` looks for the relay when `--relay` is not given.
DEFAULT_RELAY = "ws://localhost:8765"

RECONNECTING = "The connection dropped. Reconnecting…"
UNREACHABLE = "The relay cannot be reached; trying again…"

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


class WebSocketConnection(Connection):
    """One seat of a game held by a relay, for one partner on their own terminal.

    Call `open()` first: it connects and sends the hello (`opening` creates a room or joins
    one), and raises `RelayError` with a sentence for a person if that fails. `run()` then
    delivers updates until `close()`, reconnecting after drops with a backoff that starts at
    `first_delay` seconds and doubles up to `max_delay`, with jitter.
    """

    def __init__(
        self,
        url: str,
        opening: CreateRoom | JoinRoom,
        *,
        first_delay: float = 0.5,
        max_delay: float = 10.0,
        timeout: float = 10.0,
    ) -> None:
        self.url = url
        self.opening = opening
        self.seats = (Seat.A,) if isinstance(opening, CreateRoom) else (Seat.B,)
        self.first_delay = first_delay
        self.max_delay = max_delay
        self.timeout = timeout
        #: The room's code, once the relay has welcomed us.
        self.code: str | None = None
        self._token: str | None = None
        self._last_seq = 0
        self._socket: ClientConnection | None = None
        self._pending: dict[str, CommandMessage] = {}
        self._outbox: deque[CommandMessage | Say] = deque()
        self._wake = asyncio.Event()
        self._closed = asyncio.Event()
        self._deliver: Deliver | None = None
        self._recorded = False
        self._ids = (f"{secrets.token_hex(4)}-{n}" for n in itertools.count(1))

    @property
    def seat(self) -> Seat:
        """The seat this connection plays."""
        return self.seats[0]

    # --- taking a seat -------------------------------------------------------------------

    async def open(self) -> Welcome:
        """Connect and take a seat; raises `RelayUnreachable` or `RelayRefused`."""
        hello = Hello(
            version=PROTOCOL_VERSION,
            create=self.opening if isinstance(self.opening, CreateRoom) else None,
            join=self.opening if isinstance(self.opening, JoinRoom) else None,
        )
        return await self._greet(hello)

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
        self.code = answer.code
        self.seats = (answer.seat,)
        return answer

    def _refusal(self, error: Error) -> str:
        opening = self.opening
        code = opening.code if isinstance(opening, JoinRoom) else ""
        match error.code:
            case "no_such_room":
                return f"no game has the code {code}; check it with your partner"
            case "room_full":
                return f"the game {code} already has two partners"
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
                await self._serve()
                if not self._closed.is_set():
                    self._emit(StatusChanged(RECONNECTING))
        finally:
            await self._hang_up()

    async def _resume(self) -> None:
        assert self._token is not None
        resume = Resume(token=self._token, last_seq=self._last_seq)
        await self._greet(Hello(version=PROTOCOL_VERSION, resume=resume))
        # Whatever the last socket may have lost goes again; command ids make that safe.
        words = [message for message in self._outbox if isinstance(message, Say)]
        self._outbox = deque([*self._pending.values(), *words])
        self._wake.set()

    async def _back_off(self, delay: float) -> float:
        """Wait about `delay` seconds (or until closed); return the next, longer delay."""
        jittered = delay * random.uniform(0.75, 1.25)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closed.wait(), jittered)
        return min(delay * 2, self.max_delay)

    async def _serve(self) -> None:
        """Read and write on the current socket until it drops or the connection closes."""
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
                self._emit(ViewChanged(message))
            case Words(seat=seat, payload=payload):
                self._emit(WordsArrived(seat, payload))
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
        """Show the words here at once, and queue them for the partner's screen."""
        text = text.strip()[:MAX_PAYLOAD]
        if not text or seat not in self.seats:
            return
        self._emit(WordsArrived(seat, text))
        waiting = sum(isinstance(message, Say) for message in self._outbox)
        if waiting < _MAX_WAITING_WORDS:
            self._outbox.append(Say(payload=text))
            self._wake.set()

    def close(self) -> None:
        """Stop the run loop; it closes the socket on its way out."""
        self._closed.set()

    async def aclose(self) -> None:
        """Close now, for a caller that opened the connection but may never have run it."""
        self.close()
        await self._hang_up()

    def _emit(self, update: Update) -> None:
        if self._deliver is not None:
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
    async def start(cls, port: int, deck: Deck) -> LocalRelay:
        """Start a relay that also knows `deck`; raises `RelayError` if the port is taken."""
        from reciprocity_server.serve import start_relay

        try:
            server = await start_relay("0.0.0.0", port, decks={deck.id: deck})
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
    code: str
    aloud: bool
    #: The command the partner runs to join (shown to the host only).
    invite: str | None = None
    #: The relay started in this program for the game, if any.
    relay: LocalRelay | None = None
    #: The deck, when this program chose it (the host's); a joiner finds it from the view.
    deck: Deck | None = None

    async def aclose(self) -> None:
        """Leave the relay, and stop the relay started here."""
        await self.connection.aclose()
        if self.relay is not None:
            await self.relay.close()


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
        connection = WebSocketConnection(
            choice.relay, JoinRoom(code=check_code(choice.code), name=choice.name)
        )
        welcome = await connection.open()
        return NetworkGame(connection, welcome.code, choice.aloud)
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
        welcome = await connection.open()
    except RelayError:
        if relay is not None:
            await relay.close()
        raise
    invite = invite_line(welcome.code, public)
    return NetworkGame(connection, welcome.code, choice.aloud, invite, relay, choice.deck)


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
    app = ReciprocityApp(network=game, network_form=None if game else choice, relay=relay)
    try:
        await app.run_async()
    finally:
        await app.leave_network()
    return app.return_code or 0
