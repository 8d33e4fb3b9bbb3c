"""Which rooms this relay holds, on records several relays share (PostgreSQL).

A relay holds a room through a lease in the records: an owner and a fencing epoch. A relay
asked for a room it does not hold (a player resumes or joins here, because its relay died or
a proxy now sends its players here) takes the lease, which raises the epoch, and rebuilds the
room from the log (`take`); every write to a room checks the epoch, so the relay that held
it before (paused, cut off) can no longer commit to it. That relay learns it has lost the
room when the shell asks the records which rooms it still holds, and lets it go (`let_go`),
closing its connections so that the players dial again and reach the room's new relay.

On a SQLite file, which one relay uses alone, every room is this relay's and nothing here
takes or lets go of one. Part of the relay's core: no I/O but its records.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, MutableMapping

from reciprocity.engine import Seat
from reciprocity.game.room import Room
from reciprocity.records.store import StoreError
from reciprocity_server.outputs import Close, Output
from reciprocity_server.rooms import Peer, RelayRoom
from reciprocity_server.storage import RelayRecords, StoredRoom

log = logging.getLogger("reciprocity_server")

#: The close code for a room another relay has taken over: its players dial again.
CLOSE_TAKEN_OVER = 1012


class Leases:
    """Bringing rooms back from the records, and taking and letting go of their leases. It
    shares the core's `rooms` (by number), `tokens` (token hash to room and seat) and
    `peers`."""

    def __init__(
        self,
        store: RelayRecords,
        rooms: MutableMapping[int, RelayRoom],
        tokens: MutableMapping[str, tuple[RelayRoom, Seat]],
        peers: MutableMapping[int, Peer],
        moved: Callable[[Iterable[RelayRoom]], None],
    ) -> None:
        self.store = store
        self.rooms = rooms
        self._tokens = tokens
        self._peers = peers
        #: Brings back the moved tokens of rooms taken over (`SeatMover.restore`).
        self._moved = moved

    def bring_back(self, stored: StoredRoom) -> RelayRoom | None:
        """A room rebuilt from the records: its log, tokens, command ids and tried messages."""
        try:
            room = Room.resume(self.store, stored.game_id)
        except (KeyError, ValueError, StoreError) as failure:
            log.warning("room %d: cannot be restored (%s)", stored.number, type(failure).__name__)
            return None
        live = RelayRoom(stored.number, room, stored.last_active)
        for seat, hashed in stored.tokens.items():
            live.tokens[seat] = hashed
            self._tokens[hashed] = (live, seat)
        for seat, used in stored.commands.items():
            for command_id, seq in used:
                live.remember(seat, command_id, seq)
        live.tried |= stored.tried
        self.rooms[stored.number] = live
        return live

    def take(self, *, number: int | None = None, token: str | None = None) -> None:
        """On records several relays share: take the lease of a room this relay does not
        hold (its relay died, or a proxy sends its players here now) and rebuild it from the
        log; the relay that held it can no longer commit to it (`RelayRecords.take_room`)."""
        if not self.store.shared:
            return
        try:
            stored = self.store.take_room(number=number, token_hash=token)
        except StoreError as failure:
            log.error("taking a room: %s", failure)
            return
        live = self.bring_back(stored) if stored is not None else None
        if live is not None:
            self._moved([live])
            log.info("room %d: taken over from the records", live.number)

    def expire_orphans(self, now: float, idle: float, unjoined: float) -> None:
        """On shared records: expire the rooms of relays that died, idle past their limits
        (`RelayRecords.expire_orphans`), which no relay holds in memory any more."""
        try:
            numbers = self.store.expire_orphans(now, idle, min(idle, unjoined))
        except StoreError as failure:
            log.error("expiring the rooms of silent relays: %s", failure)
            return
        for number in numbers:
            log.info("room %d: expired, idle, its relay silent", number)

    def let_go(self, held: set[str]) -> list[Output]:
        """Forget the rooms whose lease another relay has taken (not in `held`), closing
        their connections (1012) so that the players dial again and reach that relay."""
        outputs: list[Output] = []
        for live in [r for r in self.rooms.values() if r.room.id not in held]:
            outputs += self.drop(live, CLOSE_TAKEN_OVER, "this game has moved; please resume")
            log.info("room %d: another relay took it over", live.number)
        return outputs

    def drop(self, live: RelayRoom, code: int, reason: str) -> list[Output]:
        """Forget a room here (not in the records): its seats' tokens, and its connections,
        the joiner's too, closed with `code` and `reason`."""
        waiting = [live.joiner.conn] if live.joiner is not None else []
        outputs: list[Output] = []
        for conn in [*live.conns.values(), *waiting]:
            self._peers[conn].room = None
            outputs.append(Close(conn, code, reason))
        for hashed in [*live.tokens.values(), *live.moved]:
            self._tokens.pop(hashed, None)
        del self.rooms[live.number]
        return outputs
