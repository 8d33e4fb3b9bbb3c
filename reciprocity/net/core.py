"""What the two client cores share: frames in, frames and outputs out, no I/O.

A core is driven by `reciprocity.net.driver`: `hello()` is the first frame of each new
connection, every frame from the relay goes to `receive`, `next_frame`/`frame_sent` empty
the outbox in order (a frame stays next until it is out, so a dropped connection loses
none), and `outputs()` hands over what happened for the screen and the shell.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import deque
from typing import Generic, TypeVar

from pydantic import ValidationError

from reciprocity import ReciprocityError
from reciprocity.protocol import (
    CLIENT,
    SERVER,
    ClientMessage,
    ServerMessage,
)

OutputT = TypeVar("OutputT")


class RelayError(ReciprocityError):
    """The relay could not seat us: one line a person can act on."""


class RelayUnreachable(RelayError):
    """Nothing answered as a relay at the address; trying again later may work."""


class RelayRefused(RelayError):
    """The relay answered and said no: a wrong code, a full room, an unknown deck."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


class Core(ABC, Generic[OutputT]):
    """One side of the wire, as frames. `relay` names the relay in sentences for a person."""

    def __init__(self, relay: str) -> None:
        self.relay = relay
        self._greeting = False
        self._outbox: deque[ClientMessage] = deque()
        self._outputs: list[OutputT] = []

    def hello(self) -> str:
        """The first frame of a new connection; the relay's answer goes to `receive`."""
        self._greeting = True
        return CLIENT.dump_json(self._hello()).decode()

    def receive(self, frame: str | bytes) -> None:
        """Take a frame from the relay. While greeting, a refusal raises `RelayRefused` and
        an answer that is not a relay's raises `RelayUnreachable`; later, a frame that does
        not parse is left alone."""
        try:
            message = SERVER.validate_json(frame)
        except ValidationError:
            if self._greeting:
                raise RelayUnreachable(f"{self.relay} did not answer as a relay") from None
            return
        if self._greeting:
            self._greeting = False
            self._greet(message)
        else:
            self._take(message)

    def next_frame(self) -> str | None:
        """The next frame to send, if any; it stays next until `frame_sent`."""
        return CLIENT.dump_json(self._outbox[0]).decode() if self._outbox else None

    def frame_sent(self) -> None:
        """The frame `next_frame` gave has gone out."""
        self._outbox.popleft()

    def outputs(self) -> list[OutputT]:
        """What happened since the last call, for the screen and the shell."""
        outputs, self._outputs = self._outputs, []
        return outputs

    @abstractmethod
    def _hello(self) -> ClientMessage:
        """The hello for the next connection."""

    @abstractmethod
    def _greet(self, message: ServerMessage) -> None:
        """The relay's answer to the hello; raises `RelayRefused` or `RelayUnreachable`."""

    @abstractmethod
    def _take(self, message: ServerMessage) -> None:
        """Any later message from the relay."""
