"""Admission: seating players, and holding a joiner apart until the code is checked.

A room's code is `<number>-<word>-<word>`, and the relay only ever sees the number: the host's
screen picks the words. A joiner is held apart until the seated partner's screen has run the
key exchange with it and says whether their codes matched (`code_checked`). A facilitated
session's rooms start empty: there the facilitator's dashboard, whose program made every code,
checks each room's first joiner (for seat A) the same way, its key steps and verdicts naming
the room. Only then does the joiner take the seat; a mismatch, or a joiner who leaves before
that, counts as a failed join against its address. A joiner gets one try: it sends one SPAKE2
message and one proof, and the seated side's message it answered is used up. A second
message, a proof before the message, a message some earlier joiner sent, or a joiner who has
not sent its proof `JOIN_SECONDS` after it could have, while someone from another address
wants to join, is turned away and counted the same way. The key exchange is forwarded, never
parsed or logged.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable

from reciprocity.engine import IllegalMove, Join, Seat
from reciprocity.protocol import CodeChecked, Error, KeyExchange, KeyStep, PartnerKey, Welcome
from reciprocity.records.store import StoreError
from reciprocity_server.limits import Limits, counted
from reciprocity_server.outputs import HELLO_FIRST, NOT_SAVED, Output, Send, error
from reciprocity_server.reclaim import ROOM_FULL, SeatMover, seat_to_reclaim
from reciprocity_server.records import RelayStore, pake_hash, token_hash
from reciprocity_server.rooms import Joiner, Peer, RelayRoom

log = logging.getLogger("reciprocity_server")

#: How long a waiting joiner may take to send its proof, once it has the seated side's SPAKE2
#: message, before a joiner from another address may take its place. A screen takes a few
#: milliseconds.
JOIN_SECONDS = 10.0

BUSY = error("room_full", "Someone is joining this game just now. Please try again in a minute.")
CODE_MISMATCH = error("code_mismatch", "The code didn't match. Please check it with your partner.")
ONE_TRY = error("join_again", "One try at the code per join. Please join again.")
TOO_SLOW = error("join_again", "The code was not checked in time. Please join again.")
SEATED_PROOF = error("bad_message", "A seated screen's proof goes in code_checked.")


class Admission:
    """Seats players in rooms and runs the joiner's one try at the code.

    It shares the core's `peers` and `tokens` (token hash to room and seat), records each
    seat's token hash in the store, and ends each seating with `views` of the room.
    `checkers(room)` are the connections that check a room's first joiner: the session's
    dashboards, for a session's room (none for any other).
    """

    def __init__(
        self,
        store: RelayStore,
        limits: Limits,
        peers: dict[int, Peer],
        tokens: dict[str, tuple[RelayRoom, Seat]],
        views: Callable[[RelayRoom], list[Output]],
        checkers: Callable[[RelayRoom], list[int]] = lambda live: [],
    ) -> None:
        self.store = store
        self.limits = limits
        self.clock = limits.clock
        self.peers = peers
        self.tokens = tokens
        self.views = views
        self.checkers = checkers
        self.mover = SeatMover(store, peers, tokens, views)

    def seat_first(self, conn: int, peer: Peer, live: RelayRoom, name: str) -> list[Output]:
        """Seat A at once: the host who made the room. Nobody is there yet to check the code;
        this seat's screen checks whoever comes next."""
        try:
            live.room.submit(Seat.A, Join(name=name))
        except IllegalMove as illegal:
            return self.limits.refuse(conn, peer, error("illegal", str(illegal)))
        except StoreError as failure:
            log.error("room %d: %s", live.number, failure)
            return [Send(conn, error("server", NOT_SAVED))]
        token = secrets.token_urlsafe(24)
        welcome = Welcome(number=live.number, seat=Seat.A, token=token)
        return self._seat(conn, peer, live, Seat.A, token, [Send(conn, welcome)])

    def join(self, conn: int, peer: Peer, live: RelayRoom, name: str) -> list[Output]:
        """Hold a joiner apart, welcomed, while the code is checked: by the seated partner's
        screen, or in a room nobody holds yet (a session's), by the facilitator's dashboard.
        In a full room, a joiner may take back a seat whose player is away (`reclaim.py`)."""
        seat = Seat.B if Seat.A in live.tokens else Seat.A
        reclaim = seat in live.tokens
        if reclaim:
            away = seat_to_reclaim(live)
            if away is ROOM_FULL:
                return self.limits.failed(conn, peer, ROOM_FULL)
            if not isinstance(away, Seat):
                return self.limits.refuse(conn, peer, away)  # no fault of this joiner's
            seat = away
        outputs: list[Output] = []
        waiting = live.joiner
        if waiting is not None:
            if not self._stalled(waiting) or waiting.address == counted(peer.address):
                return self.limits.refuse(conn, peer, BUSY)  # no fault of this joiner's
            outputs += self.turn_away(live, waiting, TOO_SLOW)
            log.info("room %d: a joiner took too long to check the code", live.number)
        try:
            if not reclaim:  # a seat taken back keeps its name
                live.room.check_join(seat, name)
        except IllegalMove as illegal:
            return self.limits.refuse(conn, peer, error("illegal", str(illegal)))
        token = secrets.token_urlsafe(24)
        joiner = Joiner(conn, seat, name, token, counted(peer.address), reclaim=reclaim)
        live.joiner = joiner
        peer.room, peer.seat = live, seat
        live.last_active = self.clock()
        log.info(
            "room %d: a joiner for seat %s waits for the code check (connection %d)",
            live.number,
            seat,
            conn,
        )
        outputs.append(Send(conn, Welcome(number=live.number, seat=seat, token=token)))
        if live.pake is not None:
            joiner.since = self.clock()
            outputs.append(Send(conn, PartnerKey(seat=seat.other, step="pake", payload=live.pake)))
        return outputs

    def key(self, conn: int, peer: Peer, message: KeyExchange) -> list[Output]:
        """Forward a step of the key exchange to the other side, and keep what a partner who
        connects later needs. A waiting joiner gets one message and one proof, in that order."""
        live, seat = peer.room, peer.seat
        if live is None:
            return self.limits.refuse(conn, peer, HELLO_FIRST)
        live.last_active = self.clock()
        joiner = live.joiner
        if joiner is not None and joiner.conn == conn:
            return self._joiner_key(live, joiner, message)
        if message.step != "pake":
            return self.limits.refuse(conn, peer, SEATED_PROOF)
        # Only to a joiner: a seated partner's screen takes key steps from joiners alone.
        waiting = joiner.conn if joiner is not None and joiner.seat is seat.other else None
        return self._seated_pake(live, seat, message.payload, waiting)

    def checker_key(
        self, conn: int, peer: Peer, live: RelayRoom | None, message: KeyExchange
    ) -> list[Output]:
        """The facilitator's dashboard's SPAKE2 message for a session room's first seat (`live`,
        the room its `number` names): kept for the next first joiner, as a seated side's."""
        if message.step != "pake":
            return self.limits.refuse(conn, peer, SEATED_PROOF)
        if live is None or Seat.A in live.tokens:
            return []  # no such room of the session, or its first seat is taken already
        joiner = live.joiner
        return self._seated_pake(
            live, Seat.B, message.payload, None if joiner is None else joiner.conn
        )

    def _joiner_key(self, live: RelayRoom, joiner: Joiner, message: KeyExchange) -> list[Output]:
        """A waiting joiner's step: one message, then one proof, to whoever checks it."""
        payload = message.payload
        hashed = pake_hash(payload)
        if message.step == "pake" and joiner.pake is None and hashed not in live.tried:
            joiner.pake = payload
            live.tried.add(hashed)
            self._keep_tried(live, hashed)  # never to take a seat again, even after a restart
            live.pake = None  # answered: the next joiner waits for a fresh one
        elif message.step == "confirm" and joiner.pake is not None and joiner.proof is None:
            joiner.proof = payload
        else:
            log.info(
                "room %d: a joiner broke the one-try rule (connection %d)", live.number, joiner.conn
            )
            return self.turn_away(live, joiner, ONE_TRY)
        return [
            Send(checker, self._joiner_step(live, joiner, message.step, payload))
            for checker in self._checkers(live, joiner)
        ]

    def _keep_tried(self, live: RelayRoom, hashed: str | None) -> None:
        try:
            self.store.keep_tried(live.room.id, hashed)
        except StoreError as failure:  # in memory still: only a restart could forget it
            log.error("room %d: %s", live.number, failure)

    def _seated_pake(
        self, live: RelayRoom, seat: Seat, payload: str, other: int | None
    ) -> list[Output]:
        """The checking side's latest SPAKE2 message: kept for the next joiner, and sent to
        `other` (the joiner waiting, if any)."""
        live.pake = payload
        joiner = live.joiner
        if joiner is not None and joiner.since is None:
            joiner.since = self.clock()
        if other is None:
            return []
        return [Send(other, PartnerKey(seat=seat, step="pake", payload=payload))]

    def waiting_keys(self, conn: int, live: RelayRoom, seat: Seat | None = None) -> list[Output]:
        """For a seated screen back in its room (in `seat`), or a dashboard that logged in: what
        the waiting joiner sent, to check (never the steps of a joiner for the screen's own
        seat, which its partner checks)."""
        joiner = live.joiner
        if joiner is None or joiner.seat is seat:
            return []
        steps: tuple[tuple[KeyStep, str | None], ...] = (
            ("pake", joiner.pake),
            ("confirm", joiner.proof),
        )
        return [
            Send(conn, self._joiner_step(live, joiner, step, payload))
            for step, payload in steps
            if payload is not None
        ]

    def _joiner_step(
        self, live: RelayRoom, joiner: Joiner, step: KeyStep, payload: str
    ) -> PartnerKey:
        """A joiner's step as its checker gets it: naming the room when a dashboard checks."""
        number = live.number if self._first(joiner) else None
        return PartnerKey(seat=joiner.seat, step=step, payload=payload, number=number)

    def _checkers(self, live: RelayRoom, joiner: Joiner) -> list[int]:
        """Who checks this joiner: the seated partner's screen, or for the first seat, the
        session's dashboards."""
        if self._first(joiner):
            return self.checkers(live)
        seated = live.conns.get(joiner.seat.other)
        return [] if seated is None else [seated]

    def checked(self, conn: int, peer: Peer, message: CodeChecked) -> list[Output]:
        """The seated partner's verdict on the waiting joiner: admit it, or send it away."""
        live = peer.room
        joiner = live.joiner if live is not None else None
        if live is None or joiner is None or live.conns.get(joiner.seat.other) != conn:
            return []  # only the seated partner's screen decides, and only while one waits
        return self._verdict(live, joiner, message)

    def checker_checked(self, live: RelayRoom | None, message: CodeChecked) -> list[Output]:
        """The facilitator's dashboard's verdict on a session room's waiting first joiner."""
        joiner = live.joiner if live is not None else None
        if live is None or joiner is None or not self._first(joiner):
            return []  # nobody waits for that room's first seat
        return self._verdict(live, joiner, message)

    def _verdict(self, live: RelayRoom, joiner: Joiner, message: CodeChecked) -> list[Output]:
        """Admit the waiting joiner, or send it away, as its checker says."""
        if message.pake != joiner.pake:
            return []  # about an exchange with an earlier joiner
        joining = self.peers[joiner.conn]
        if not message.matched:
            log.info("room %d: the code did not match (connection %d)", live.number, joiner.conn)
            return self.turn_away(live, joiner, CODE_MISMATCH)
        live.joiner = None
        assert message.proof is not None  # the protocol requires it with a match
        proof = PartnerKey(seat=joiner.seat.other, step="confirm", payload=message.proof)
        if joiner.reclaim:
            live.pake = None
            live.tried.clear()
            self._keep_tried(live, None)
            return self.mover.move(live, joiner, proof)
        try:
            live.room.submit(joiner.seat, Join(name=joiner.name))
        except IllegalMove as illegal:
            joining.room = None
            return [Send(joiner.conn, error("illegal", str(illegal)))]
        except StoreError as failure:
            joining.room = None
            log.error("room %d: %s", live.number, failure)
            return [Send(joiner.conn, error("server", NOT_SAVED))]
        live.pake = None
        live.tried.clear()
        self._keep_tried(live, None)
        log.info("room %d: seat %s joined (connection %d)", live.number, joiner.seat, joiner.conn)
        return self._seat(
            joiner.conn, joining, live, joiner.seat, joiner.token, [Send(joiner.conn, proof)]
        )

    def turn_away(self, live: RelayRoom, joiner: Joiner, why: Error | None) -> list[Output]:
        """A joiner leaves unadmitted: its one try at the code counts as a failed join. `why`
        tells it so (`None` for a joiner whose connection has closed)."""
        live.joiner = None
        joining = self.peers.get(joiner.conn)  # gone already if it closed
        if joining is not None:
            joining.room = None
        self.limits.fail(joiner.address)
        if joining is None or why is None:
            return []
        return self.limits.refuse(joiner.conn, joining, why)  # counted, as every error

    @staticmethod
    def _first(joiner: Joiner) -> bool:
        """A session room's first joiner, whom the facilitator's dashboard checks."""
        return joiner.seat is Seat.A and not joiner.reclaim

    def _stalled(self, joiner: Joiner) -> bool:
        """A joiner who had the seated side's message long ago and has sent no proof."""
        since = joiner.since
        return joiner.proof is None and since is not None and self.clock() - since >= JOIN_SECONDS

    def _seat(
        self,
        conn: int,
        peer: Peer,
        live: RelayRoom,
        seat: Seat,
        token: str,
        outputs: list[Output],
    ) -> list[Output]:
        """Give a player their seat: record the token's hash, then views all round."""
        hashed = token_hash(token)
        try:
            self.store.add_seat(live.room.id, seat, hashed, self.clock())
        except StoreError as failure:
            log.error("room %d: %s", live.number, failure)
            return [Send(conn, error("server", NOT_SAVED))]
        live.tokens[seat] = hashed
        self.tokens[hashed] = (live, seat)
        peer.room, peer.seat = live, seat
        live.conns[seat] = conn
        live.last_active = self.clock()
        return outputs + self.views(live)
