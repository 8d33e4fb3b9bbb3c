"""A raw websockets client for the relay tests, and a few steps of a game played through it."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
from typing import Any, TypeVar

from websockets.asyncio.client import ClientConnection, connect

from reciprocity.net.deltas import FollowedView
from reciprocity.protocol import (
    PROTOCOL_VERSION,
    SERVER,
    Ack,
    Error,
    PartnerKey,
    ServerMessage,
    ViewDelta,
    Welcome,
)
from reciprocity.seat_view import SeatView

#: No single reply should take longer than this.
TIMEOUT = 5.0
_T = TypeVar("_T")
_ids = itertools.count(1)
#: The clients' own frames are the test's business: keep them out of the relay's logs.
_quiet = logging.getLogger("tests.relay_client")
_quiet.setLevel(logging.WARNING)


class Client:
    """One player's raw connection to a relay."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.welcome: Welcome | None = None
        self.view: SeatView | None = None
        self.followed = FollowedView()
        #: The ack folded into the latest delta, if any.
        self.acked: Ack | None = None

    @classmethod
    async def open(cls, url: str) -> Client:
        """Connect, without saying hello yet."""
        return cls(await connect(url, compression=None, open_timeout=TIMEOUT, logger=_quiet))

    async def close(self) -> None:
        """Close the connection."""
        await self.ws.close()

    async def send(self, message: dict[str, Any] | str | bytes) -> None:
        """Send a message (a dict is sent as JSON text)."""
        await self.ws.send(json.dumps(message) if isinstance(message, dict) else message)

    async def recv(self) -> ServerMessage:
        """The next message from the relay, checked against the protocol. A delta is applied
        to the view held, and returned as the whole view it makes (its ack, if any, is kept
        in `acked`)."""
        frame = await asyncio.wait_for(self.ws.recv(), TIMEOUT)
        message = SERVER.validate_json(frame)
        if isinstance(message, ViewDelta):
            self.acked = Ack(id=message.ack, seq=message.seq) if message.ack else None
        if isinstance(message, SeatView | ViewDelta):
            followed = self.followed.follow(message)
            assert isinstance(followed, SeatView), f"a delta that does not follow: {message!r}"
            message = self.view = followed
        if isinstance(message, Welcome):
            self.welcome = message
        return message

    async def expect(self, kind: type[_T]) -> _T:
        """The next message, which must be of this kind."""
        message = await self.recv()
        assert isinstance(message, kind), f"expected {kind.__name__}, got {message!r}"
        return message

    async def error(self, code: str) -> Error:
        """The next message, which must be an error with this code."""
        error = await self.expect(Error)
        assert error.code == code, error
        return error

    async def hello(self, **part: dict[str, Any]) -> Welcome:
        """Say hello (create=…, join=… or resume=…); expect the welcome, and a view unless
        joining (a joiner waits to be admitted: see `admit`)."""
        await self.send({"type": "hello", "version": PROTOCOL_VERSION, **part})
        welcome = await self.expect(Welcome)
        if "join" not in part:
            await self.expect(SeatView)
        return welcome

    async def admit(self, joiner: Client) -> None:
        """The joiner sends a (stand-in) SPAKE2 message; as the seated partner, say its code
        matched. Both get their views."""
        pake = f"pake-{next(_ids)}"
        await joiner.send({"type": "key", "step": "pake", "payload": pake})
        assert (await self.expect(PartnerKey)).payload == pake
        await self.send({"type": "code_checked", "matched": True, "pake": pake, "proof": "proof"})
        assert (await joiner.expect(PartnerKey)).payload == "proof"
        await joiner.expect(SeatView)
        await self.expect(SeatView)

    async def command(self, command: dict[str, Any], command_id: str | None = None) -> Ack:
        """Send a command and expect its ack: in the sender's new view (then in `seat_view`),
        or alone for an id already committed."""
        command_id = command_id or f"c{next(_ids)}"
        await self.send({"type": "command", "id": command_id, "command": command})
        reply = await self.recv()
        if isinstance(reply, Ack):
            return reply
        assert isinstance(reply, SeatView), f"expected a view with the ack, got {reply!r}"
        assert self.acked is not None and self.acked.id == command_id, self.acked
        return self.acked

    @property
    def seat_view(self) -> SeatView:
        """The latest view (there must be one)."""
        assert self.view is not None
        return self.view


async def pair(
    url: str, deck: str = "test-deck", *, checkin: bool = False
) -> tuple[Client, Client]:
    """Sam hosts a game, Ben joins it; both have had their views."""
    sam = await Client.open(url)
    welcome = await sam.hello(create={"deck": deck, "name": "Sam", "checkin": checkin})
    ben = await Client.open(url)
    await ben.hello(join={"number": welcome.number, "name": "Ben"})
    await sam.admit(ben)
    return sam, ben


async def act(actor: Client, other: Client | None, command: dict[str, Any]) -> SeatView:
    """A legal command: the actor gets its view with the ack, the other (if connected) its
    view."""
    ack = await actor.command(command)
    view = actor.seat_view
    assert view.seq == ack.seq
    if other is not None:
        assert (await other.expect(SeatView)).seq == ack.seq
    return view


async def start(sam: Client, ben: Client) -> None:
    """Both choose limits (Sam 3; Ben 2 and no 'family' cards), and the game starts."""
    await act(sam, ben, {"type": "set_limit", "limit": 3})
    view = await act(ben, sam, {"type": "set_limit", "limit": 2, "lines": ["family"]})
    assert view.phase == "draw"


async def turn(sharer: Client, listener: Client, *landing: dict[str, Any]) -> SeatView:
    """Draw, share and respond; then the landing commands, each sent by the right seat."""
    await act(sharer, listener, {"type": "draw"})
    await act(sharer, listener, {"type": "share"})
    await act(listener, sharer, {"type": "respond"})
    view = sharer.seat_view
    for step in landing:
        by_listener = step["type"] in ("repair", "let_go")
        actor, other = (listener, sharer) if by_listener else (sharer, listener)
        view = await act(actor, other, step)
    return view
