"""The facilitator's core: a session's rows in, the facilitator's commands out, no I/O.

The dashboard talks to the relay over the same protocol as the players, with a hello that
carries the session's secret token. The relay sends each room's row (outcomes and counts
only, never words, limits or lines); after a reconnect, the whole session again.
"""

from __future__ import annotations

from reciprocity.engine import FacilitatorCommand
from reciprocity.net.core import Core, RelayRefused, RelayUnreachable
from reciprocity.protocol import (
    PROTOCOL_VERSION,
    Announce,
    ClientMessage,
    Error,
    FacilitatorLogin,
    Hello,
    RoomStatus,
    ServerMessage,
    SessionStatus,
    Steer,
)

SessionUpdate = SessionStatus | RoomStatus | Error


class FacilitatorCore(Core[SessionUpdate]):
    """The dashboard's side of a facilitated session, with the session's `token`."""

    def __init__(self, relay: str, token: str) -> None:
        super().__init__(relay)
        self._token = token
        #: The session as the relay last told it whole.
        self.session: SessionStatus | None = None

    def steer(self, command: FacilitatorCommand) -> None:
        """Queue a command for every room of the session."""
        self._outbox.append(Steer(command=command))

    def announce(self, text: str) -> None:
        """Queue one line for every player's screen."""
        self._outbox.append(Announce(text=text))

    def _hello(self) -> ClientMessage:
        return Hello(version=PROTOCOL_VERSION, facilitate=FacilitatorLogin(token=self._token))

    def _greet(self, message: ServerMessage) -> None:
        match message:
            case SessionStatus():
                if self.session is not None:  # a reconnect: the whole session again
                    self._outputs.append(message)
                self.session = message
            case Error():
                raise RelayRefused(f"the relay said: {message.message}", message.code)
            case _:
                raise RelayUnreachable(f"{self.relay} did not answer as a relay")

    def _take(self, message: ServerMessage) -> None:
        if isinstance(message, SessionStatus | RoomStatus | Error):
            self._outputs.append(message)
