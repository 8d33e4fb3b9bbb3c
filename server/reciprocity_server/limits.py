"""The relay's rate limits: failed joins and new games per address, errors per connection,
commands per seat.

Addresses are counted one by one for IPv4, and by their /64 network for IPv6, as one household
or host has a whole /64. A connection with too many errors in a window is closed with 1008.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable

from reciprocity.protocol import Error
from reciprocity_server.outputs import CLOSE_POLICY, Close, Output, Send, error
from reciprocity_server.quotas import DEFAULT_QUOTAS, Quotas
from reciprocity_server.rooms import Peer

log = logging.getLogger("reciprocity_server")

#: Failed joins (wrong code, full room, unknown token) allowed per address per window.
JOIN_FAILURES = 10
#: Errors allowed per connection per window before it is closed with 1008.
CONNECTION_ERRORS = 10
#: The window of both limits, in seconds.
WINDOW = 60.0
CREATE_WINDOW = 600.0
COMMAND_WINDOW = 1.0

RATE_LIMITED = error(
    "rate_limited", "Too many wrong codes from your address. Please wait a minute and try again."
)
TOO_FAST = "Too many moves at once. Please wait a moment."
TOO_MANY_GAMES = error(
    "rate_limited", "Too many new games from your address. Please wait a few minutes."
)


class Limits:
    """Counts failures and errors over a sliding window, by the core's clock."""

    def __init__(self, clock: Callable[[], float], quotas: Quotas = DEFAULT_QUOTAS) -> None:
        self.clock = clock
        self.quotas = quotas
        self._failures: dict[str, list[float]] = {}
        self._creates: dict[str, list[float]] = {}

    def fail(self, address: str) -> None:
        """Count a failed join against an address."""
        self._failures.setdefault(counted(address), []).append(self.clock())

    def failures(self, address: str) -> int:
        """How many failed joins count against an address now."""
        times = self._failures.get(counted(address))
        return 0 if times is None else self._recent(times, self.clock())

    def blocked(self, address: str) -> bool:
        """True for an address with too many failed joins in the window."""
        return self.failures(address) >= JOIN_FAILURES

    def may_create(self, address: str) -> bool:
        """Count a new game against an address, unless it has made its quota lately."""
        times = self._creates.setdefault(counted(address), [])
        now = self.clock()
        if self._recent(times, now, CREATE_WINDOW) >= self.quotas.creates:
            return False
        times.append(now)
        return True

    def may_command(self, times: list[float]) -> bool:
        """Count a seat's command in its recent `times`, unless it has sent its quota."""
        now = self.clock()
        if self._recent(times, now, COMMAND_WINDOW) >= self.quotas.commands:
            return False
        times.append(now)
        return True

    def forget_old(self) -> None:
        """Forget the addresses with nothing left in their windows."""
        now = self.clock()
        for counts, window in ((self._failures, WINDOW), (self._creates, CREATE_WINDOW)):
            for address in [
                a for a, times in counts.items() if not self._recent(times, now, window)
            ]:
                del counts[address]

    def failed(self, conn: int, peer: Peer, why: Error) -> list[Output]:
        """A join or resume that failed: it counts toward the address's limit."""
        self.fail(peer.address)
        log.info("connection %d: hello refused (%s)", conn, why.code)
        return self.refuse(conn, peer, why)

    def refuse(self, conn: int, peer: Peer, why: Error) -> list[Output]:
        """Reply with an error; a connection with too many in the window is closed."""
        outputs: list[Output] = [Send(conn, why)]
        now = self.clock()
        peer.errors.append(now)
        if self._recent(peer.errors, now) >= CONNECTION_ERRORS:
            log.info("connection %d: closed after %d errors in a minute", conn, CONNECTION_ERRORS)
            outputs.append(Close(conn, CLOSE_POLICY, "too many errors"))
        return outputs

    @staticmethod
    def _recent(times: list[float], now: float, window: float = WINDOW) -> int:
        """How many of the times fall within the window; older ones are dropped. (Lists, not
        deques: an empty deque takes 760 bytes, and every connection and seat has one.)"""
        old = 0
        while old < len(times) and now - times[old] >= window:
            old += 1
        del times[:old]
        return len(times)


def counted(address: str) -> str:
    """What failed joins and new games count against: an IPv4 address (also when mapped into
    IPv6), or an IPv6 address's /64 network."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv4Address):
        return address
    if ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ipaddress.ip_network(f"{address}/64", strict=False))
