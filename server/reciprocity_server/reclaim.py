"""Taking back a seat whose player is away: with the code, from another screen.

A player who quit, or whose laptop died, has no token to resume with. A joiner that comes
with the room's number while a seat of a game under way is away is held apart for that seat,
as for a free one (`admission.py`); the partner's screen, which knows the code, checks it over
the key exchange. If the code matched, the seat gets the joiner's new token (`SeatMover.move`)
and the joiner's connection; the old token is kept, hashed, as moved, so that the old screen
is told plainly that the seat moved (`seat_moved`, or the close code 4002) rather than that
the game is unknown. The partner's screen is sent `seat_moved`, naming the joiner's SPAKE2
message, and then seals with the keys agreed with it. The game itself does not change: the
seat keeps its name, and its events stay its own.

The facilitator may free a seat of a session's room whose player is gone (`SeatMover.free`):
its token is moved to nobody, a connection still in it is closed, and the next joiner with
the code is held for that seat.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterable

from reciprocity.engine import Command, End, Phase, Seat
from reciprocity.protocol import CLOSE_FREED, CLOSE_MOVED, Error, PartnerKey, SeatMoved
from reciprocity.records.store import StoreError
from reciprocity_server.outputs import NOT_SAVED, Close, Output, Send, error
from reciprocity_server.rooms import Joiner, Peer, RelayRoom
from reciprocity_server.storage import RelayRecords, token_hash

log = logging.getLogger("reciprocity_server")

ROOM_FULL = error("room_full", "This game already has two players.")
BOTH_AWAY = error(
    "room_full",
    "Both players of this game are away just now. Please try again when one of them is back.",
)
SEAT_MOVED = error(
    "seat_moved", "This seat was taken by another screen with the code. This one has stopped."
)
SEAT_FREED = error(
    "seat_moved", "The facilitator freed this seat for another screen. This one has stopped."
)
PARTNER_HERE = error("illegal", "Your partner is here, so the game waits for them.")


def seat_to_reclaim(live: RelayRoom) -> Seat | Error:
    """The seat a joiner of a full room may take back: the one the facilitator freed, or the
    one seat whose player is away, while the game is not finished."""
    if live.room.state.phase is Phase.FINISHED:
        return ROOM_FULL
    away = sorted(live.freed) or [seat for seat in Seat if seat not in live.conns]
    if not away:
        return ROOM_FULL
    if len(away) > 1:
        return BOTH_AWAY
    return away[0]


def seat_gone(live: RelayRoom, seat: Seat) -> Error:
    """What an old screen of `seat` is told when it comes back: freed by the facilitator (and
    not taken since), or taken with the code."""
    return SEAT_FREED if seat in live.freed else SEAT_MOVED


def away_end(live: RelayRoom, seat: Seat, command: Command) -> Error | None:
    """An end that skips the partner's check-in is only for a partner who is away."""
    if isinstance(command, End) and command.partner_away and seat.other in live.conns:
        return PARTNER_HERE
    return None


class SeatMover:
    """Gives a seat a new token: to a joiner whose code was checked, or to nobody (freed).
    It shares the core's `peers` and `tokens`; `views(room)` are the views all round."""

    def __init__(
        self,
        store: RelayRecords,
        peers: dict[int, Peer],
        tokens: dict[str, tuple[RelayRoom, Seat]],
        views: Callable[[RelayRoom], list[Output]],
    ) -> None:
        self.store = store
        self.peers = peers
        self.tokens = tokens
        self.views = views

    def move(self, live: RelayRoom, joiner: Joiner, proof: PartnerKey) -> list[Output]:
        """The joiner whose code was checked takes its seat with its token, and gets the
        checker's `proof`; the partner's screen, which checked it, is told; views follow."""
        conn, seat = joiner.conn, joiner.seat
        moved = self._retoken(live, seat, joiner.token)
        if moved is None:
            self.peers[conn].room = None
            return [Send(conn, error("server", NOT_SAVED))]
        self.peers[conn].room, self.peers[conn].seat = live, seat
        live.conns[seat] = conn
        assert joiner.pake is not None  # a verdict names it
        live.moved_to[seat] = joiner.pake
        outputs: list[Output] = [Send(conn, proof), *moved]
        log.info(
            "room %d: seat %s was taken with the code (connection %d)", live.number, seat, conn
        )
        return outputs + self.moved_news(live, seat.other) + self.views(live)

    def free(self, live: RelayRoom | None, seat: Seat) -> list[Output]:
        """The facilitator frees a seat of a game under way: nobody holds it until a joiner
        takes it with the code."""
        if live is None or seat not in live.tokens or live.room.state.phase is Phase.FINISHED:
            return []  # not a session room, a seat nobody took, or a game over
        outputs = self._retoken(live, seat, secrets.token_urlsafe(24), freed=True)
        if outputs is None:
            return []
        live.freed.add(seat)
        log.info("room %d: the facilitator freed seat %s", live.number, seat)
        return outputs + self.views(live)

    def restore(self, rooms: Iterable[RelayRoom]) -> None:
        """After a restart: the old tokens of the seats taken back in these rooms."""
        by_game = {live.room.id: live for live in rooms}
        for game_id, seat, hashed in self.store.moved_tokens():
            live = by_game.get(game_id)
            if live is not None:
                live.moved.add(hashed)
                self.tokens[hashed] = (live, seat)

    def moved_news(self, live: RelayRoom, seat: Seat) -> list[Output]:
        """For the screen in `seat`: who took its partner's seat last, if anyone did."""
        conn, pake = live.conns.get(seat), live.moved_to.get(seat.other)
        if conn is None or pake is None:
            return []
        return [Send(conn, SeatMoved(seat=seat.other, pake=pake))]

    def _retoken(
        self, live: RelayRoom, seat: Seat, token: str, *, freed: bool = False
    ) -> list[Output] | None:
        """Record the seat's new token, keep the old one as moved, and close the connection
        still in the seat (saying whether it was `freed`); None if the records could not
        take it."""
        old, new = live.tokens[seat], token_hash(token)
        try:
            self.store.move_seat(live.room.id, seat, new, old)
        except StoreError as failure:
            log.error("room %d: %s", live.number, failure)
            return None
        live.tokens[seat] = new
        live.moved.add(old)
        self.tokens[new] = (live, seat)
        live.freed.discard(seat)
        outputs: list[Output] = []
        held = live.conns.pop(seat, None)
        if held is not None:
            self.peers[held].room = None
            if freed:
                outputs.append(Close(held, CLOSE_FREED, "the facilitator freed this seat"))
            else:
                outputs.append(Close(held, CLOSE_MOVED, "this seat moved to another screen"))
        return outputs
