"""A game over the network, ready to play: hosting (with a relay started here) or joining.

`open_game` takes a seat as a host's or joiner's choice says, `saved_game` comes back to the
seat this program kept last (`resume_game` also starts again the relay a host's program had
started), and `LocalRelay` is the relay `reciprocity host` starts in its own process when no
other is named.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from reciprocity import ReciprocityError
from reciprocity.deck import Deck
from reciprocity.net.choices import HostChoice, JoinChoice
from reciprocity.net.client import JoinCode
from reciprocity.net.codes import invite_line
from reciprocity.net.core import RelayError
from reciprocity.net.driver import WebSocketConnection
from reciprocity.paths import data_dir
from reciprocity.protocol import CreateRoom

if TYPE_CHECKING:
    from reciprocity_server.serve import RelayServer


class LocalRelay:
    """A relay running inside this program, listening on every address at `port`."""

    def __init__(self, server: RelayServer, deck: Deck | None) -> None:
        self._server = server
        self.port = server.port
        self.deck = deck

    @classmethod
    async def start(
        cls, port: int, deck: Deck | None, *, host: str = "0.0.0.0", restore: bool = False
    ) -> LocalRelay:
        """Start a relay that also knows `deck`, on every address (or `host`); raises
        `RelayError` if the port is taken.

        It keeps its own records (`host-relay.sqlite3`), apart from `reciprocity serve`'s, and
        starts afresh, unless `restore`: then the rooms this program's relay had when it
        stopped come back (as after a crash), so the seats in them can resume. A connection
        from this machine is counted by the address its `X-Forwarded-For` names, as the
        browser tabs of `host --web` send it.
        """
        from reciprocity_server.serve import start_relay  # only a host needs the relay

        db = data_dir() / "host-relay.sqlite3"
        try:
            decks = {deck.id: deck} if deck is not None else None
            # A browser partner (`host --web`) is counted by the address its tab forwards.
            server = await start_relay(
                host, port, db=db, decks=decks, restore=restore, trust_forwarded=True
            )
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
    #: The web page a partner joins from a browser (`host --web`), the host's only.
    web: str | None = None

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


async def resume_game(folder: Path | None = None, *, aloud: bool = False) -> NetworkGame:
    """`saved_game`, and if this program had started the game's relay (a host's), that relay
    again on its port, with its rooms as they were: the partner's screen comes back to it.
    Raises `ReciprocityError` as `saved_game` does, or `RelayError` if the port is taken."""
    game = saved_game(folder, aloud=aloud)
    port = game.connection.hosted
    if port is not None:
        try:
            game.relay = await LocalRelay.start(port, None, restore=True)
        except RelayError:
            await game.connection.set_aside()  # the game stays kept, to try again
            raise RelayError(
                f"this game's relay needs port {port} again, and cannot have it now: close "
                "what uses it, then try --resume again"
            ) from None
        game.public = game.relay.public_url
    return game


def _modified(path: Path) -> float:
    """When a file last changed; 0 for one another window has just removed."""
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return 0.0


async def open_game(
    choice: HostChoice | JoinChoice, relay: LocalRelay | None = None
) -> NetworkGame:
    """Take a seat as `choice` says: host (starting a relay here unless one is named) or join.

    `relay`, one already started here, is handed over: the host uses it when naming no other
    relay and keeping its deck; otherwise it is closed, and a host naming no relay gets a new
    one on `choice.port`. Raises `RelayError`, and then nothing is left running.
    """
    if isinstance(choice, JoinChoice):
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
    connection = WebSocketConnection(url, opening, hosted=relay.port if relay else None)
    try:
        await connection.open()
    except RelayError:
        if relay is not None:
            await relay.close()
        raise
    return NetworkGame(connection, choice.aloud, public, relay, choice.deck, choice.web)
