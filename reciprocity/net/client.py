"""The client core: one seat of a game held by a relay, without sockets, clocks or disks.

In the manner of h11 and websockets' sans-I/O protocols, `PlayerCore` takes frames in and
gives back what the shell must do: frames to send (`next_frame`, then `frame_sent` once one is
out), updates for the screen and requests to keep the session (`outputs`). The one asyncio
driver (`reciprocity.net.driver`) runs it; tests feed it frames directly. It owns:

- **Taking a seat.** `hello()` opens each connection: create, join, or resume with the
  token. A refusal raises `RelayRefused` with a sentence for a person (`refusals`).
- **The key exchange.** The host's screen picks the code's two words (the relay sees only
  the number), and the screens agree on keys with SPAKE2 over the code before the joiner is
  admitted (`e2e`): the joiner proves the code first; the seated screen answers only a proof
  that matched (`checking`), as the facilitator's dashboard does for a session room's first
  joiner, and either screen for whoever takes the away partner's seat back (`reclaim`).
  After `MAX_WRONG_GUESSES` wrong codes the code gets new words.
- **Commands.** Each carries an id made here; those not yet acknowledged go again, with the
  same ids, after a reconnect, and the relay counts each id once. The ack rides in the new
  view, which comes as what changed (`reciprocity.net.deltas` follows it).
- **Words, exactly once.** Sealed and opened here (words that do not open become a calm
  notice); each is answered with a sealed receipt, and until then kept in memory (never on
  disk) and sent again whenever the connection or the partner comes back.
- **Keeping the session.** Once the keys are settled, `KeepSession` asks the shell to keep
  what the seat needs after a crash (token, last `seq`, keys and counters, the code; never
  words). If the shell cannot, `unkept` tells the person once.
"""

from __future__ import annotations

import itertools
import secrets
from collections import deque
from dataclasses import dataclass
from typing import Any

from reciprocity.engine import Command, Phase, Seat
from reciprocity.net import refusals
from reciprocity.net.checking import JoinerCheck
from reciprocity.net.codes import check_code, code_number, new_words
from reciprocity.net.connection import (
    Announced,
    CodeChanged,
    RecordArrived,
    Rejected,
    Update,
    ViewChanged,
    WordsArrived,
    fit_words,
)
from reciprocity.net.core import Core, RelayRefused, RelayUnreachable
from reciprocity.net.deltas import FollowedView
from reciprocity.net.e2e import (
    CODE_MISMATCH,
    Channel,
    CodeMismatch,
    Handshake,
    Keys,
    Replayed,
    Unreadable,
)
from reciprocity.net.reclaim import BACK_ELSEWHERE, Candidate, switch_keys
from reciprocity.protocol import (
    PROTOCOL_VERSION,
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
    SeatMoved,
    ServerMessage,
    ViewDelta,
    ViewPlease,
    Welcome,
    Words,
)
from reciprocity.seat_view import SeatView

#: Wrong codes the seated screen takes before it makes a new one: a code is worth a few
#: guesses only, however many addresses they come from.
MAX_WRONG_GUESSES = 5
#: The most typed messages kept while the partner's screen has not yet said it has them.
MAX_WAITING_WORDS = 20


@dataclass(frozen=True, slots=True)
class JoinCode:
    """What a joiner brings: the code their partner read out (`7-amber-harbor`), and a name."""

    code: str
    name: str


@dataclass(frozen=True, slots=True)
class KeepSession:
    """Keep this seat's session where only its owner can read it: it is what a screen that
    crashed needs to come back (`PlayerCore.resuming`). Never words."""

    token: str
    last_seq: int
    channel: dict[str, Any]
    #: How many sealed messages the partner had not yet said they have.
    unanswered: int = 0
    #: The room's code, to check whoever takes back the partner's seat after a crash.
    code: str | None = None


Output = Update | KeepSession


class PlayerCore(Core[Output]):
    """One seat of a game held by a relay, as frames and updates.

    `opening` creates a room or joins one by its code; a kept session starts from
    `resuming` instead. `relay` names the relay in sentences for a person.
    """

    def __init__(self, relay: str, opening: CreateRoom | JoinCode | None) -> None:
        super().__init__(relay)
        self.opening = opening
        self.seat = Seat.A if isinstance(opening, CreateRoom) else Seat.B
        #: The room's code: the joiner's from the start, the host's once the relay welcomed it.
        self.code = check_code(opening.code) if isinstance(opening, JoinCode) else None
        self.number = 0  # the room's, once known
        self.token: str | None = None
        self.last_seq = 0
        #: True once this seat plays: at once for a host, after the key exchange for a joiner.
        self.admitted = False
        self._words = new_words()
        self._pending: dict[str, CommandMessage] = {}
        self._view = FollowedView()
        self._ids = (f"{secrets.token_hex(4)}-{n}" for n in itertools.count(1))
        #: A joiner's own side of the key exchange with the seated side (or the facilitator).
        self._handshake: Handshake | None = None
        self._keys: Keys | None = None
        #: The checking side: whoever joins next, or takes back the partner's seat.
        self._check: JoinerCheck | None = None
        self._channel: Channel | None = None
        self._partner_seated = False  # a view showed the partner seated: the keys are settled
        self._wrong = 0
        self._recorded = False
        #: Set when the session could not be kept: it is not asked for again.
        self._unkept = False
        #: Our sealed words not yet answered, by counter, and their text (in memory only).
        self._unanswered: dict[int, str] = {}
        self._texts: dict[int, str] = {}
        #: A joiner for the partner's seat; whether our SPAKE2 message waits for one.
        self._candidate: Candidate | None = None
        self._watching = False
        #: Words a kept session says may have been lost when its program stopped.
        self._lost = 0
        self._partner_connected = False
        self._partner_name = "your partner"

    @classmethod
    def resuming(
        cls,
        relay: str,
        token: str,
        last_seq: int,
        channel: Channel,
        *,
        lost: int = 0,
        code: str | None = None,
    ) -> PlayerCore:
        """The core of a kept session: it resumes the seat with the token at once. `lost`
        messages had not reached the partner when the program stopped: the person is told.
        With the `code`, it checks whoever takes back the partner's seat."""
        core = cls(relay, None)
        core._lost, core.code = lost, code
        core.seat, core.number = channel.seat, channel.number
        core.token, core.last_seq = token, last_seq
        core.admitted = core._partner_seated = True
        core._channel = channel
        return core

    @property
    def sealed(self) -> bool:
        """True once the keys are confirmed: words can be sealed for the partner."""
        return self._channel is not None

    # --- the wire ------------------------------------------------------------------------

    def _hello(self) -> ClientMessage:
        opening = self.opening
        if self.token is not None:
            resume = Resume(token=self.token, last_seq=self.last_seq)
            return Hello(version=PROTOCOL_VERSION, resume=resume)
        if isinstance(opening, CreateRoom):
            return Hello(version=PROTOCOL_VERSION, create=opening)
        assert opening is not None and self.code is not None
        join = JoinRoom(number=code_number(self.code), name=opening.name)
        return Hello(version=PROTOCOL_VERSION, join=join)

    def _take(self, message: ServerMessage) -> None:
        if isinstance(message, ViewDelta):
            self._pending.pop(message.ack or "", None)  # the ack rides in the sender's delta
        if isinstance(message, SeatView | ViewDelta):
            followed = self._view.follow(message)
            if isinstance(followed, ViewPlease):  # a gap: ask for the whole view, and wait
                self._outbox.append(followed)
            if not isinstance(followed, SeatView):
                return
            message = followed
        if self.admitted:
            self._receive(message)
        else:
            self._admission(message)

    # --- what the screen asks for --------------------------------------------------------

    def send(self, command: Command) -> None:
        """Queue a command with a fresh id; it goes again until acknowledged."""
        message = CommandMessage(id=next(self._ids), command=command)
        self._pending[message.id] = message
        self._outbox.append(message)

    def say(self, text: str) -> None:
        """Show the words here at once, and queue them, sealed, for the partner's screen."""
        text = fit_words(text)
        if not text:
            return
        if self._channel is None:
            self._outputs.append(Rejected(self.seat, refusals.NOT_SEALED))
            return
        if len(self._unanswered) >= MAX_WAITING_WORDS:
            count, partner = len(self._unanswered), self._partner_name
            self._outputs.append(
                Rejected(self.seat, refusals.TOO_MANY_WAITING.format(count=count, partner=partner))
            )
            return
        self._outputs.append(WordsArrived(self.seat, text))
        payload = self._channel.seal(text)
        self._unanswered[self._channel.sent] = payload
        self._texts[self._channel.sent] = text
        self._keep()  # the counter is kept before the sealed words leave
        self._outbox.append(Say(payload=payload))

    def unkept(self, reason: str) -> None:
        """The shell could not keep the session: say so once, and ask no more."""
        self._unkept = True
        self._outputs.append(Rejected(self.seat, refusals.UNKEPT.format(reason=reason)))

    # --- taking a seat -------------------------------------------------------------------

    def _greet(self, message: ServerMessage) -> None:
        match message:
            case Welcome():
                resumed = self.token is not None
                self.token, self.seat = message.token, message.seat
                self._watching = False  # a relay restarted since forgets our SPAKE2 message
                if resumed:
                    self.admitted = True
                    self._requeue()
                    if self._channel is not None and self._partner_seated:
                        # Back from a drop: whatever the partner sent meanwhile may have gone
                        # to a socket the relay had not yet seen die. A receipt for nothing
                        # (counter 0) asks them to send again what we have not answered.
                        self._outbox.append(Say(payload=self._channel.receipt(0)))
                        self._keep()  # the counter is kept before the receipt leaves
                    return
                if isinstance(self.opening, CreateRoom):
                    self.code = f"{message.number}-{self._words}"
                    self.admitted = True
                    self._start_check()
                else:
                    self._start_handshake()
            case Error():
                raise self._refused(message)
            case _:
                raise RelayUnreachable(f"{self.relay} did not answer as a relay")

    def _admission(self, message: ServerMessage) -> None:
        """The joiner's side of the key exchange, until the relay admits it (a first view)."""
        match message:
            case SeatView():
                if self._channel is None:  # admitted unproven
                    raise RelayRefused(CODE_MISMATCH, "code_mismatch")
                self.admitted = True
                if self.seat is Seat.A and message.b.name is None:  # a session's first joiner
                    self._channel = None  # those keys were the facilitator's, never a partner's
                    self._start_check()  # ours, to check the partner who comes next
                self._receive(message)
            case Error():
                raise self._refused(message)
            case PartnerKey():
                self._key_step(message)
                if self._handshake is None:  # our own check found the codes differ
                    raise RelayRefused(CODE_MISMATCH, "code_mismatch")

    def _refused(self, error: Error) -> RelayRefused:
        return RelayRefused(
            refusals.refusal(error, self.relay, self.code, self.opening), error.code
        )

    def _requeue(self) -> None:
        """After a resume, whatever the last connection may have lost goes again: command ids
        make that safe, and the relay takes a key step or a verdict only for the exchange it
        names."""
        keys = [m for m in self._outbox if isinstance(m, KeyExchange | CodeChecked)]
        if self._check is not None and not self._partner_seated:
            pake = self._check.offer()
            keys = [pake, *(m for m in keys if m != pake)]
        words = [Say(payload=payload) for payload in self._unanswered.values()]
        self._outbox = deque([*keys, *self._pending.values(), *words])

    def _start_handshake(self) -> None:
        """A joiner's SPAKE2 message for the side that checks it, queued."""
        assert self.code is not None
        self.number = code_number(self.code)
        self._handshake = Handshake(self.code, self.number)
        self._keys = None
        self._outbox.append(KeyExchange(step="pake", payload=self._handshake.message))

    def _start_check(self) -> None:
        """Check whoever joins next over the code, and queue our SPAKE2 message for them."""
        assert self.code is not None
        self.number = code_number(self.code)
        self._check = JoinerCheck(self.code, self.number, self.seat)
        self._outbox.append(self._check.offer())

    # --- playing -------------------------------------------------------------------------

    def _receive(self, message: ServerMessage) -> None:
        match message:
            case SeatView():
                self.last_seq = max(self.last_seq, message.seq)
                partner = message.partner(self.seat.other)
                if not self._partner_seated and partner.name:
                    self._partner_seated = True
                    self._keep()  # the keys are settled: now the session is worth keeping
                self._partner_name = partner.name or self._partner_name
                if partner.connected and not self._partner_connected:
                    self._send_unanswered()  # the partner is back: what they missed goes again
                self._partner_connected = partner.connected
                self._outputs.append(ViewChanged(message))
                if message.phase is Phase.FINISHED and not partner.connected:
                    # The game is over and the partner gone: what they have not answered
                    # will not reach them now. Say so, once.
                    self._lost += len(self._unanswered)
                    self._unanswered.clear()
                    self._texts.clear()
                elif self._partner_seated and not partner.connected:
                    self._watch_seat()
                if self._lost and partner.name:
                    lost = refusals.MAY_BE_LOST.format(count=self._lost, partner=partner.name)
                    self._outputs.append(Rejected(self.seat, lost))
                    self._lost = 0
                    self._keep()
            case Words(seat=seat, payload=payload):
                self._open_words(seat, payload)
            case PartnerKey():
                self._key_step(message)
            case SeatMoved(pake=pake):
                self._seat_moved(pake)
            case Ack(id=command_id):
                self._pending.pop(command_id, None)
            case Error(id=command_id, message=text):
                if command_id is not None:
                    self._pending.pop(command_id, None)
                self._outputs.append(Rejected(self.seat, text))
            case Record() if not self._recorded:  # sent again after a late resume: keep once
                self._recorded = True
                self._outputs.append(RecordArrived(message))
            case Announcement(text=text):
                self._outputs.append(Announced(text))

    def _key_step(self, message: PartnerKey) -> None:
        """A step of the other side of the key exchange. The first seat checks; a joiner
        answers (a session's first joiner answers the facilitator's dashboard). Once both are
        seated, either screen checks whoever comes to take back its partner's seat."""
        if self._check is not None:
            self._check_joiner(message)
        elif self._handshake is not None and not self._partner_seated:
            self._answer_seated(message)

    def _answer_seated(self, message: PartnerKey) -> None:
        """The joiner's side: answer the seated side's first SPAKE2 message with our proof,
        then check theirs. On a mismatch the handshake goes, and admission is refused."""
        assert self._handshake is not None
        if message.step == "pake":
            if self._keys is not None:
                return  # one try per join: later messages are for the next joiner
            try:
                self._keys = self._handshake.keys(self.seat, message.payload)
            except CodeMismatch:
                self._handshake = None
                return
            self._outbox.append(KeyExchange(step="confirm", payload=self._keys.proof))
            return
        if self._keys is None or self._channel is not None:
            return
        try:
            self._channel = self._keys.confirm(message.payload)
        except CodeMismatch:
            self._handshake = self._keys = None

    def _check_joiner(self, message: PartnerKey) -> None:
        """The first seat's side: check a joiner's proof, and only if it matched, answer with
        ours and admit the joiner (`JoinerCheck`). After `MAX_WRONG_GUESSES` wrong codes, the
        code gets new words, so guessing it starts over."""
        assert self._check is not None
        checked = self._check.take(message.step, message.payload)
        self._outbox.extend(checked.send)
        if self._partner_seated:  # taking back the partner's seat: the old keys hold till then
            if checked.new_joiner or checked.channel is not None:
                self._candidate = Candidate(self._check.joiner, checked.channel)
        elif checked.new_joiner:
            self._channel = None  # an earlier joiner who matched but never took the seat
        if checked.channel is not None and not self._partner_seated:
            self._channel = self._channel or checked.channel  # sent again: keep the counters
        if not checked.wrong:
            return
        self._wrong += 1
        if self._wrong < MAX_WRONG_GUESSES:
            self._outputs.append(Rejected(self.seat, refusals.WRONG_GUESS))
            return
        self._wrong = 0
        self.code = f"{self.number}-{new_words()}"
        self._start_check()
        self._outputs.append(CodeChanged(self.code))
        self._outputs.append(Rejected(self.seat, refusals.NEW_CODE.format(code=self.code)))
        self._keep()  # a screen back from a crash checks with the new words

    def _open_words(self, seat: Seat, payload: str) -> None:
        """Show the partner's sealed words and answer with a receipt; take a receipt for
        ours; say calmly why words that cannot be opened were dropped."""
        channel = self._channel
        if channel is None:
            return
        try:
            opened = channel.open(payload)
        except Replayed as replayed:  # sent again: shown once already, but answer again
            if replayed.words:
                self._outbox.append(Say(payload=channel.receipt(replayed.counter)))
                self._keep()
            return
        except Unreadable as error:
            self._outputs.append(Rejected(self.seat, refusals.DROPPED.format(reason=error)))
            return
        if opened.words is not None:
            self._outbox.append(Say(payload=channel.receipt(opened.counter)))
            self._outputs.append(WordsArrived(seat, opened.words))
        elif opened.receipt == 0:  # the partner is back and asks for what it has not answered
            self._send_unanswered()
        elif opened.receipt is not None:
            answered = self._unanswered.pop(opened.receipt, None)
            self._texts.pop(opened.receipt, None)
            # Receipts come in order: words before this one still unanswered went astray.
            if answered and any(counter < opened.receipt for counter in self._unanswered):
                self._send_unanswered()
        self._keep()

    def _watch_seat(self) -> None:
        """The partner is away: our SPAKE2 message waits for whoever takes their seat back."""
        if self._watching or self.code is None:
            return
        if self._check is None:
            self._check = JoinerCheck(self.code, self.number, self.seat)
        self._watching = True
        self._outbox.append(self._check.offer())

    def _seat_moved(self, pake: str) -> None:
        """The relay seated the joiner whose SPAKE2 message was `pake` in the partner's seat:
        from now on, seal with the keys agreed with it, and send it what is unanswered."""
        candidate = self._candidate
        if candidate is None or candidate.pake != pake or candidate.channel is None:
            return  # told again after a drop, once we had switched already
        self._channel, self._watching, self._candidate = candidate.channel, False, None
        self._outbox, self._unanswered, self._texts = switch_keys(
            self._channel, self._outbox, self._texts.values()
        )
        self._outputs.append(Rejected(self.seat, BACK_ELSEWHERE.format(partner=self._partner_name)))
        self._keep()

    def _send_unanswered(self) -> None:
        """Queue again, in order, the words the partner has not said they have."""
        queued = {message.payload for message in self._outbox if isinstance(message, Say)}
        for payload in self._unanswered.values():
            if payload not in queued:
                self._outbox.append(Say(payload=payload))

    def _keep(self) -> None:
        """Ask the shell to keep the session, once the keys are settled and unless it could
        not before (a joiner may yet turn out not to stay until then)."""
        if self._channel is None or self.token is None or self._unkept:
            return
        if self._partner_seated:
            unanswered = len(self._unanswered) + self._lost
            state = self._channel.state()
            self._outputs.append(
                KeepSession(self.token, self.last_seq, state, unanswered, self.code)
            )
