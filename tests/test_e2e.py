"""End-to-end encryption: the relay forwards what partners type and can never read it.

The key exchange and sealing on their own, then games through real relays (in this process,
and as a process killed with SIGKILL) whose every received frame, log line and database byte
is searched for the words the partners typed.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import signal
import stat
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from conftest import make_deck
from reciprocity_server.admission import Admission
from reciprocity_server.outputs import Close, Output, Send
from reciprocity_server.outputs import frame as frame_of
from reciprocity_server.relay import Relay
from reciprocity_server.rooms import Peer
from reciprocity_server.serve import RelayServer, start_relay
from relay_client import Client
from test_remote import (
    ROOT,
    Player,
    assert_never_kept,
    eventually,
    free_port,
    healthy,
    pair,
    reciprocity,
    relay_process,
    until_screen,
    words_on,
)
from textual.widgets import Static

from reciprocity import ReciprocityError
from reciprocity.deck import Deck
from reciprocity.engine import (
    CheckIn,
    Draw,
    End,
    Forgive,
    MarkStung,
    NameHurt,
    Phase,
    Repair,
    Respond,
    Seat,
    SetLimit,
    Share,
)
from reciprocity.kept import (
    SessionInUse,
    load_session,
    lock_session,
    release_session,
    save_session,
)
from reciprocity.net.choices import HostChoice, JoinChoice
from reciprocity.net.client import MAX_WRONG_GUESSES, JoinCode
from reciprocity.net.codes import WORDS
from reciprocity.net.connection import MAX_WORDS, Rejected, fit_words
from reciprocity.net.core import RelayRefused
from reciprocity.net.driver import WebSocketConnection
from reciprocity.net.e2e import (
    CODE_MISMATCH,
    Channel,
    CodeMismatch,
    Handshake,
    Replayed,
    Unreadable,
)
from reciprocity.net.hosting import saved_game
from reciprocity.net.refusals import STOPPED, WRONG_GUESS
from reciprocity.protocol import (
    CLIENT,
    CLOSE_REPLACED,
    MAX_FRAME,
    SERVER,
    CodeChecked,
    CreateRoom,
    KeyExchange,
    PartnerKey,
    Say,
    Words,
)
from reciprocity.tui.app import ReciprocityApp
from reciprocity.tui.screens.join import JoinScreen
from reciprocity.tui.screens.table import TableScreen
from reciprocity.tui.screens.waiting import WaitingScreen


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# --- the key exchange and sealing, alone -----------------------------------------------------


def channels(code_a: str = "7-amber-harbor", code_b: str = "7-amber-harbor") -> tuple[Channel, ...]:
    """Both seats' channels after a key exchange over these codes (raises `CodeMismatch`)."""
    a, b = Handshake(code_a, 7), Handshake(code_b, 7)
    keys_a, keys_b = a.keys(Seat.A, b.message), b.keys(Seat.B, a.message)
    return keys_a.confirm(keys_b.proof), keys_b.confirm(keys_a.proof)


def test_the_same_code_gives_both_seats_one_key_per_direction() -> None:
    a, b = channels()
    assert b.open(a.seal("from a")).words == "from a"
    assert a.open(b.seal("from b")).words == "from b"
    assert a.send_key == b.receive_key and a.receive_key == b.send_key
    assert a.send_key != a.receive_key


def test_a_different_code_or_a_bad_message_is_a_mismatch_that_says_nothing_else() -> None:
    with pytest.raises(CodeMismatch) as raised:
        channels("7-amber-harbor", "7-amber-harpy")
    assert (
        str(raised.value) == CODE_MISMATCH == "the code didn't match — check it with your partner"
    )
    mine = Handshake("7-amber-harbor", 7)
    for bad in (mine.message, "not base64!", "AAAA", ""):  # reflected, garbage, short, empty
        with pytest.raises(CodeMismatch):
            mine.keys(Seat.A, bad)
    with pytest.raises(CodeMismatch):  # same words, another room: another key
        Handshake("7-amber-harbor", 8).keys(Seat.B, mine.message).confirm(
            mine.keys(Seat.A, Handshake("7-amber-harbor", 7).message).proof
        )


def test_altered_replayed_or_misdirected_words_are_refused() -> None:
    a, b = channels()
    first, second = a.seal("one"), a.seal("two")
    altered = first[:20] + ("A" if first[20] != "A" else "B") + first[21:]
    with pytest.raises(Unreadable, match="altered"):
        b.open(altered)
    with pytest.raises(Unreadable):
        a.open(first)  # its own words, as if from the partner
    with pytest.raises(Unreadable):
        b.open("%%%")
    assert b.open(second).words == "two"
    with pytest.raises(Replayed, match="arrived before"):
        b.open(second)
    assert b.open(first).words == "one"  # late, as when sent again after a drop: once
    with pytest.raises(Replayed) as replayed:
        b.open(first)
    assert replayed.value.counter == 1
    assert b.open(a.seal("three")).words == "three"


def test_a_receipt_names_the_words_opened_and_opens_once() -> None:
    a, b = channels()
    words = a.seal("hello")
    opened = b.open(words)
    assert (opened.counter, opened.words, opened.receipt) == (1, "hello", None)
    receipt = b.receipt(opened.counter)
    answer = a.open(receipt)
    assert (answer.words, answer.receipt) == (None, 1)
    with pytest.raises(Replayed):
        a.open(receipt)


def test_a_channel_remembers_a_bounded_number_of_counters_out_of_order() -> None:
    a, b = channels()
    late = a.seal("late")
    for n in range(300):
        b.open(a.seal(f"{n}"))
    assert len(b.seen) <= 256
    with pytest.raises(Replayed):  # too far behind to tell: refused, never shown twice
        b.open(late)
    again = Channel.from_state(b.state())
    assert (again.opened, again.seen) == (b.opened, b.seen)


def test_the_longest_words_fit_a_frame_once_sealed() -> None:
    a, b = channels()
    text = fit_words(" " + "é" * (MAX_WORDS + 10))
    assert text == "é" * MAX_WORDS
    payload = a.seal("😀" * (MAX_WORDS + 10))  # cut to MAX_WORDS, four bytes each
    assert b.open(payload).words == "😀" * MAX_WORDS
    say = CLIENT.dump_json(Say(payload=payload))
    words = SERVER.dump_json(Words(seat=Seat.A, payload=payload))
    assert len(say) < MAX_FRAME and len(words) < MAX_FRAME


def test_a_kept_session_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "sessions" / "s.json"
    old = os.umask(0)  # even with a permissive umask
    try:
        save_session(path, {"token": "t"})
        save_session(path, {"token": "u"})
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert load_session(path) == {"token": "u"}
    assert list(path.parent.iterdir()) == [path]


# --- games through a relay in this process ---------------------------------------------------

MARKERS = {
    "share": "mk-share-3f9a",
    "response": "mk-response-71c2",
    "hurt": "mk-hurt-0b5e",
    "repair": "mk-repair-c4d8",
    "appreciation": "mk-thanks-9a61",
}


@pytest.fixture
def deck() -> Deck:
    """A small deck the relay is given by id."""
    return make_deck()


@pytest.fixture
def wire(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every frame the relay receives, and every message it sends, as text."""
    seen: list[str] = []
    receive = Relay.receive

    def recording(self: Relay, conn: int, frame: str | bytes) -> list[Output]:
        seen.append(frame if isinstance(frame, str) else frame.decode(errors="replace"))
        outputs = receive(self, conn, frame)
        seen.extend(frame_of(o.message) for o in outputs if isinstance(o, Send))
        return outputs

    monkeypatch.setattr(Relay, "receive", recording)
    return seen


@pytest.fixture
async def relay(tmp_path: Path, deck: Deck) -> AsyncIterator[RelayServer]:
    """A relay in this process, on a free loopback port."""
    server = await start_relay("127.0.0.1", 0, db=tmp_path / "relay.db", decks={deck.id: deck})
    yield server
    await server.close()


def shown(player: Player) -> list[str]:
    """Every notice a player's screen was given."""
    return [u.message for u in player.updates if isinstance(u, Rejected)]


@pytest.mark.timeout(60)
async def test_the_relay_never_holds_a_readable_word(
    relay: RelayServer, deck: Deck, wire: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    sam, ben = await pair(relay.url, deck)
    for player in (sam, ben):
        player.connection.send(player.connection.seat, SetLimit(limit=3))
        player.connection.send(player.connection.seat, CheckIn(score=4))
    await sam.until(lambda view: view.phase is Phase.DRAW, "the game to start")
    sam.connection.send(Seat.A, Draw())
    sam.connection.send(Seat.A, Share())
    sam.connection.say(Seat.A, f"I shared: {MARKERS['share']}")
    await ben.until(lambda view: view.phase is Phase.RESPOND)
    ben.connection.say(Seat.B, f"My response: {MARKERS['response']}")
    ben.connection.send(Seat.B, Respond())
    await sam.until(lambda view: view.phase is Phase.LAND)
    sam.connection.send(Seat.A, MarkStung())
    sam.connection.send(Seat.A, NameHurt())
    sam.connection.say(Seat.A, f"What hurt: {MARKERS['hurt']}")
    await ben.until(lambda view: view.phase is Phase.REPAIR)
    ben.connection.say(Seat.B, f"My repair: {MARKERS['repair']}")
    ben.connection.send(Seat.B, Repair())
    await sam.until(lambda view: view.phase is Phase.FORGIVE)
    sam.connection.send(Seat.A, Forgive())
    await ben.until(lambda view: view.turns == 1)
    ben.connection.send(Seat.B, End())
    for player in (sam, ben):
        await player.until(lambda view: view.phase is Phase.CLOSING)
        player.connection.send(player.connection.seat, CheckIn(score=6))
    await sam.until(lambda view: view.phase is Phase.FINISHED)
    ben.connection.say(Seat.B, f"Thank you: {MARKERS['appreciation']}")

    # The partner's screen shows each one...
    for key, seat, partner in [
        ("share", "a", ben),
        ("response", "b", sam),
        ("hurt", "a", ben),
        ("repair", "b", sam),
        ("appreciation", "b", sam),
    ]:
        line = f"{seat}: "
        await eventually(
            lambda line=line, marker=MARKERS[key], partner=partner: any(  # type: ignore[misc]
                said.startswith(line) and marker in said for said in partner.words()
            ),
            what=f"the {key} words on the partner's screen",
        )
    assert not shown(sam) and not shown(ben)
    await sam.stop()
    await ben.stop()
    await relay.close()

    # ... and the relay never had one: not in a frame, a log line or its database.
    says = [frame for frame in wire if '"type":"say"' in frame.replace(" ", "")]
    assert len(says) == 2 * len(MARKERS)  # the words, and a sealed receipt for each
    assert "turn ended repaired" in caplog.text  # the relay did log the game
    stored = b"".join(p.read_bytes() for p in relay.db.parent.iterdir() if p.is_file())
    assert stored  # the database is there
    # Even decoded, the payloads are ciphertext, not merely encoded text.
    opened = b"".join(
        _unb64(json.loads(frame)["payload"])
        for frame in wire
        if json.loads(frame)["type"] in ("say", "words")
    )
    assert len(opened) > sum(len(marker) for marker in MARKERS.values())
    for marker in MARKERS.values():
        assert marker.encode() not in opened
        assert not [frame for frame in wire if marker in frame]
        assert marker not in caplog.text
        assert marker.encode() not in stored
    # Nor the code's words: the relay only ever saw the number.
    assert sam.connection.code is not None
    words = sam.connection.code.split("-", 1)[1]
    assert not [frame for frame in wire if words in frame] and words not in caplog.text
    assert words.encode() not in stored


async def hosted(relay: RelayServer, deck: Deck) -> tuple[Player, str, int]:
    """Sam hosts a game: his player, the code and its number."""
    sam = await Player(WebSocketConnection(relay.url, CreateRoom(deck=deck.id, name="Sam"))).start()
    code = sam.connection.code
    assert code is not None
    return sam, code, int(code.split("-")[0])


async def ben_joins_and_hears_sam(relay: RelayServer, sam: Player, code: str) -> None:
    """Ben joins with the code and reads Sam's sealed words; then both leave."""
    ben = await Player(WebSocketConnection(relay.url, JoinCode(code, "Ben"))).start()
    await sam.until(lambda view: view.b.name == "Ben", "Ben to join")
    sam.connection.say(Seat.A, "hi Ben")
    await eventually(lambda: "a: hi Ben" in ben.words(), what="words sealed for Ben")
    await sam.stop()
    await ben.stop()


@pytest.mark.timeout(30)
async def test_a_wrong_code_is_one_clear_line_on_both_screens_and_frees_the_seat(
    relay: RelayServer, deck: Deck
) -> None:
    sam, code, number = await hosted(relay, deck)
    first, second = code.split("-")[1:]
    other = next(word for word in WORDS if word not in (first, second))
    with pytest.raises(RelayRefused, match=f"^{CODE_MISMATCH}$"):
        await WebSocketConnection(relay.url, JoinCode(f"{number}-{first}-{other}", "Kim")).open()
    await eventually(lambda: WRONG_GUESS in shown(sam), what="Sam's notice")
    assert not sam.view.b.name  # the guesser never had the seat

    await ben_joins_and_hears_sam(relay, sam, code)


@pytest.mark.timeout(30)
async def test_join_with_the_wrong_words_says_so_in_one_line(
    relay: RelayServer, deck: Deck
) -> None:
    sam = await Player(WebSocketConnection(relay.url, CreateRoom(deck=deck.id, name="Sam"))).start()
    assert sam.connection.code is not None
    number, first, second = sam.connection.code.split("-")
    wrong = f"{number}-{second}-{first}" if first != second else f"{number}-{first}-zz"
    process = await asyncio.create_subprocess_exec(
        *[sys.executable, "-m", "reciprocity", "join", wrong, "--name", "Ben"],
        *["--relay", relay.url],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    out, err = await asyncio.wait_for(process.communicate(), 20)
    assert (process.returncode, out) == (1, b"")
    assert err.decode() == f"reciprocity: {CODE_MISMATCH}\n"
    await sam.stop()


@pytest.mark.timeout(30)
async def test_a_guesser_learns_nothing_from_the_seated_screen_and_gets_one_try(
    relay: RelayServer, deck: Deck
) -> None:
    sam, code, number = await hosted(relay, deck)
    guesser = await Client.open(relay.url)
    await guesser.hello(join={"number": number, "name": "Kim"})
    first = await guesser.expect(PartnerKey)
    guess = Handshake(f"{number}-amber-harbor", number)
    keys = guess.keys(Seat.B, first.payload)
    await guesser.send({"type": "key", "step": "pake", "payload": guess.message})
    await guesser.send({"type": "key", "step": "confirm", "payload": keys.proof})
    # Sam's screen answers with a fresh message for the next joiner, never with its proof,
    # and turns the wrong guess away.
    fresh = await guesser.expect(PartnerKey)
    assert fresh.step == "pake" and fresh.payload != first.payload
    assert (await guesser.error("code_mismatch")).message.startswith("The code didn't match")
    await eventually(lambda: WRONG_GUESS in shown(sam), what="Sam's notice")
    # A second guess on the same join is not forwarded: the guesser must join again.
    await guesser.send({"type": "key", "step": "pake", "payload": guess.message})
    assert (await guesser.error("hello_first")).message == "Please send a hello first."
    await guesser.close()
    await ben_joins_and_hears_sam(relay, sam, code)


@pytest.mark.timeout(30)
async def test_a_joiner_who_matched_but_never_took_the_seat_leaves_it_free(
    relay: RelayServer, deck: Deck, monkeypatch: pytest.MonkeyPatch
) -> None:
    verdicts: list[CodeChecked] = []
    checked = Admission.checked

    def late(self: Admission, conn: int, peer: Peer, message: CodeChecked) -> list[Output]:
        verdicts.append(message)
        if len(verdicts) == 1:
            return []  # as if the joiner had left before Sam's verdict reached the relay
        return checked(self, conn, peer, message)

    monkeypatch.setattr(Admission, "checked", late)
    sam, code, number = await hosted(relay, deck)
    gone = await Client.open(relay.url)
    await gone.hello(join={"number": number, "name": "Kim"})
    handshake = Handshake(code, number)
    keys = handshake.keys(Seat.B, (await gone.expect(PartnerKey)).payload)
    await gone.send({"type": "key", "step": "pake", "payload": handshake.message})
    await gone.send({"type": "key", "step": "confirm", "payload": keys.proof})
    assert (await gone.expect(PartnerKey)).step == "pake"  # Sam's fresh one, for the next
    await eventually(lambda: len(verdicts) == 1, what="Sam's verdict")
    [verdict] = verdicts
    assert verdict.matched and verdict.proof is not None
    keys.confirm(verdict.proof)  # the right code: Sam's proof checks out for the joiner
    await gone.close()
    await ben_joins_and_hears_sam(relay, sam, code)


@pytest.mark.timeout(30)
async def test_a_seat_taken_up_in_another_window_stops_here_for_good(
    relay: RelayServer, deck: Deck
) -> None:
    sam, ben = await pair(relay.url, deck)
    await sam.until(lambda view: view.b.name == "Ben", "Ben to join")
    assert ben.connection.session is not None
    token = json.loads(ben.connection.session.read_text())["token"]
    other = await Client.open(relay.url)
    await other.hello(resume={"token": token, "last_seq": 0})
    await eventually(lambda: ben.status == STOPPED[CLOSE_REPLACED], what="Ben's screen to stop")
    await asyncio.sleep(0.5)  # ten times Ben's first back-off: he would have come back by now
    await other.command({"type": "set_limit", "limit": 2})  # still the seat's one connection
    assert other.seat_view.me.limit == 2
    await other.close()
    await sam.stop()
    await ben.stop()


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"send_key": "c2hvcnQ"}, "a key is damaged"),
        ({"opened": -1}, "a counter is damaged"),
        ({"sent": 2**64}, "a counter is damaged"),
        ({"send_key": "not base64!"}, "a key is damaged"),
        ({"seat": "c"}, "'c' is not a valid Seat"),
    ],
)
def test_a_damaged_kept_session_is_one_clear_line(
    tmp_path: Path, change: dict[str, object], why: str
) -> None:
    a, _ = channels()
    state = {**a.state(), **change}
    path = tmp_path / "kept.json"
    save_session(path, {"url": "ws://127.0.0.1:1", "token": "t", "last_seq": 1, "channel": state})
    with pytest.raises(ReciprocityError) as raised:
        WebSocketConnection.saved(path)
    assert str(raised.value) == f"cannot read the saved game {path}: {why}"


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"unanswered": float("inf")}, "the count of messages on their way is damaged"),
        ({"unanswered": -3}, "the count of messages on their way is damaged"),
        ({"hosted": 0}, "the relay's port is damaged"),
        ({"channel": None}, "'channel' is missing"),
    ],
)
def test_a_damaged_kept_session_field_is_one_clear_line(
    tmp_path: Path, change: dict[str, object], why: str
) -> None:
    a, _ = channels()
    session = {"url": "ws://127.0.0.1:1", "token": "t" * 32, "last_seq": 1, "channel": a.state()}
    session |= change
    if session["channel"] is None:
        del session["channel"]
    path = tmp_path / "kept.json"
    save_session(path, session)
    with pytest.raises(ReciprocityError) as raised:
        WebSocketConnection.saved(path)
    assert str(raised.value) == f"cannot read the saved game {path}: {why}"


def test_a_kept_session_with_a_short_token_is_one_clear_line(tmp_path: Path) -> None:
    a, _ = channels()
    path = tmp_path / "kept.json"
    save_session(
        path, {"url": "ws://127.0.0.1:1", "token": "t", "last_seq": 1, "channel": a.state()}
    )
    with pytest.raises(ReciprocityError) as raised:
        WebSocketConnection.saved(path)
    assert str(raised.value) == (
        f"cannot read the saved game {path}: token: string should have at least 16 characters"
    )
    release_session(path, lock_session(path), keep=True)  # the failed read let its lock go


def test_a_kept_session_with_a_broken_address_is_one_clear_line(tmp_path: Path) -> None:
    a, _ = channels()
    path = tmp_path / "kept.json"
    save_session(path, {"url": "nope", "token": "t", "last_seq": 1, "channel": a.state()})
    with pytest.raises(ReciprocityError) as raised:
        WebSocketConnection.saved(path)
    assert str(raised.value).startswith(f"cannot read the saved game {path}: nope isn't a valid")


@pytest.mark.timeout(30)
async def test_a_game_that_cannot_be_kept_goes_on_and_says_so_once(
    relay: RelayServer, deck: Deck, tmp_path: Path
) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    sam = await Player(
        WebSocketConnection(relay.url, CreateRoom(deck=deck.id, name="Sam"), sessions=blocked)
    ).start()
    assert sam.connection.code is not None
    ben = await Player(WebSocketConnection(relay.url, JoinCode(sam.connection.code, "Ben"))).start()
    await sam.until(lambda view: view.b.name == "Ben", "Ben to join")
    sam.connection.say(Seat.A, "one")
    sam.connection.say(Seat.A, "two")
    await eventually(lambda: "a: two" in ben.words(), what="Sam's words")
    [notice] = shown(sam)
    assert notice.startswith("This game cannot be kept on this computer (")
    assert "it goes on, but cannot come back after a crash" in notice
    assert sam.connection.session is None and blocked.read_text() == ""
    await sam.stop()
    await ben.stop()


@pytest.mark.timeout(60)
async def test_five_wrong_codes_give_the_game_new_words_on_the_hosts_screen(
    relay: RelayServer, deck: Deck
) -> None:
    app = ReciprocityApp(network_form=HostChoice(deck, "Sam", relay.url, True, aloud=False))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+s")
        await until_screen(pilot, WaitingScreen)
        assert app.network is not None
        old = app.network.code
        number, first, second = old.split("-")
        wrong = [w for w in WORDS if w not in (first, second)][:MAX_WRONG_GUESSES]
        for word in wrong:
            with pytest.raises(RelayRefused, match=f"^{CODE_MISMATCH}$"):
                await WebSocketConnection(
                    relay.url, JoinCode(f"{number}-{word}-{word}", "Kim")
                ).open()
        await eventually(lambda: app.network is not None and app.network.code != old, what="new")
        new = app.network.code
        assert new.startswith(f"{number}-")
        await pilot.pause()
        assert str(pilot.app.screen.query_one("#waiting-code", Static).render()) == new
        invite = str(pilot.app.screen.query_one("#waiting-invite", Static).render())
        assert invite == f"reciprocity join {new} --relay {relay.url}"
        # The old words are spent; the new ones let Ben in.
        with pytest.raises(RelayRefused, match=f"^{CODE_MISMATCH}$"):
            await WebSocketConnection(relay.url, JoinCode(old, "Ben")).open()
        ben = await Player(WebSocketConnection(relay.url, JoinCode(new, "Ben"))).start()
        await eventually(lambda: app.view is not None and app.view.b.name == "Ben", what="Ben")
        await ben.stop()
    await app.leave_network()


@pytest.mark.timeout(30)
async def test_the_hosts_screen_dropping_mid_exchange_still_lets_the_right_code_in(
    relay: RelayServer, deck: Deck, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = Admission.key
    dropped: list[int] = []

    def drop_the_host(self: Admission, conn: int, peer: Peer, message: KeyExchange) -> list[Output]:
        outputs = key(self, conn, peer, message)
        if message.step == "confirm" and not dropped:  # the joiner's proof: Sam drops now
            dropped.extend(o.conn for o in outputs if isinstance(o, Send))
            return [Close(seated, 1011, "gone") for seated in dropped]
        return outputs

    monkeypatch.setattr(Admission, "key", drop_the_host)
    sam = await Player(
        WebSocketConnection(relay.url, CreateRoom(deck=deck.id, name="Sam"), first_delay=0.05)
    ).start()
    assert sam.connection.code is not None
    ben = await Player(WebSocketConnection(relay.url, JoinCode(sam.connection.code, "Ben"))).start()
    assert dropped  # Sam's screen was away when Ben's proof came, and had it on its return
    await sam.until(lambda view: view.b.name == "Ben", "Ben to join")
    assert WRONG_GUESS not in shown(sam)
    ben.connection.say(Seat.B, "still here")
    await eventually(lambda: "b: still here" in sam.words(), what="sealed words")
    await sam.stop()
    await ben.stop()


@pytest.mark.timeout(30)
async def test_a_joiner_dropped_as_it_was_admitted_comes_back_to_its_seat(
    relay: RelayServer, deck: Deck, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked = Admission.checked

    def drop_on_admission(
        self: Admission, conn: int, peer: Peer, message: CodeChecked
    ) -> list[Output]:
        joiner = peer.room.joiner if peer.room is not None else None
        outputs = checked(self, conn, peer, message)
        if joiner is None or not message.matched:
            return outputs
        proof = [o for o in outputs if isinstance(o, Send) and o.conn == joiner.conn][:1]
        rest = [o for o in outputs if isinstance(o, Send) and o.conn != joiner.conn]
        return [*proof, Close(joiner.conn, 1011, "gone"), *rest]  # the proof, then the drop

    monkeypatch.setattr(Admission, "checked", drop_on_admission)
    sam, code, _ = await hosted(relay, deck)
    ben = await Player(
        WebSocketConnection(relay.url, JoinCode(code, "Ben"), first_delay=0.05)
    ).start()
    await ben.until(lambda view: view.a.name == "Sam", "Ben back in his seat")
    await sam.until(lambda view: view.b.connected, "Sam to see Ben connected")
    sam.connection.say(Seat.A, "you made it")
    await eventually(lambda: "a: you made it" in ben.words(), what="sealed words")
    assert ben.connection.session is not None  # and now it is kept, for a crash
    await sam.stop()
    await ben.stop()


def test_a_kept_session_read_twice_never_seals_with_the_same_counter() -> None:
    a, b = channels()
    state = a.state()
    one, two = Channel.from_state(state), Channel.from_state(state)
    one.skip_ahead()
    two.skip_ahead()
    first, second = _unb64(one.seal("one"))[:8], _unb64(two.seal("two"))[:8]
    assert first != second and min(first, second) >= (2**40).to_bytes(8, "big")
    assert b.open(one.seal("and on")).words == "and on"  # the partner reads on from a jump


def test_a_session_that_cannot_be_written_whole_leaves_no_draft(tmp_path: Path) -> None:
    a, _ = channels()
    path = tmp_path / "sessions" / "kept.json"
    path.mkdir(parents=True)  # a folder where the file should go: the last step fails
    with pytest.raises(OSError):
        save_session(path, {"url": "ws://127.0.0.1:1", "channel": a.state()})
    assert [p.name for p in path.parent.iterdir()] == ["kept.json"] and path.is_dir()


@pytest.fixture
def meddling(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """A relay that alters or repeats the words it forwards, as the test says in `how`."""
    how: list[str] = []
    forward = Relay._say

    def meddle(self: Relay, conn: int, state: object, say: Say) -> list[Output]:
        outputs = forward(self, conn, state, say)  # type: ignore[arg-type]
        step = how.pop(0) if how else "pass"
        if step == "alter":
            payload = say.payload
            middle = len(payload) // 2
            altered = payload[:middle] + ("A" if payload[middle] != "A" else "B")
            altered += payload[middle + 1 :]
            return [
                Send(o.conn, Words(seat=o.message.seat, payload=altered))
                for o in outputs
                if isinstance(o, Send) and isinstance(o.message, Words)
            ]
        if step == "repeat":
            return outputs + outputs
        return outputs

    monkeypatch.setattr(Relay, "_say", meddle)
    yield how


@pytest.mark.timeout(30)
async def test_altered_words_are_dropped_with_a_calm_notice_and_replayed_ones_show_once(
    relay: RelayServer, deck: Deck, meddling: list[str]
) -> None:
    sam, ben = await pair(relay.url, deck)
    meddling += ["alter", "repeat", "pass"]
    sam.connection.say(Seat.A, "first")
    sam.connection.say(Seat.A, "second")
    sam.connection.say(Seat.A, "third")
    # The receipt for "second" tells Sam's screen "first" went astray, so it goes again.
    await eventually(lambda: len(ben.words()) == 3, what="each message, once")
    assert sorted(ben.words()) == ["a: first", "a: second", "a: third"]
    assert shown(ben) == [
        "Some words from your partner were dropped: these words were altered on the way.",
    ]
    # The game goes on.
    ben.connection.send(Seat.B, SetLimit(limit=2))
    await ben.until(lambda view: view.me.limit == 2)
    await sam.stop()
    await ben.stop()


# --- a relay process killed with SIGKILL, and a screen that crashed --------------------------


@pytest.mark.timeout(90)
async def test_a_kept_session_resumes_and_decrypts_after_a_relay_sigkill(
    tmp_path: Path, deck: Deck
) -> None:
    port, db = free_port(), tmp_path / "relay.db"
    url = f"ws://127.0.0.1:{port}"
    shipped = "first-steps"
    log = tmp_path / "relay.log"
    with relay_process(port, db, log) as first:
        await healthy(port)
        sam = await Player(WebSocketConnection(url, CreateRoom(deck=shipped, name="Sam"))).start()
        assert sam.connection.code is not None
        ben = await Player(
            WebSocketConnection(url, JoinCode(sam.connection.code, "Ben"), first_delay=0.05)
        ).start()
        for player in (sam, ben):
            player.connection.send(player.connection.seat, SetLimit(limit=2))
        await sam.until(lambda view: view.b.limit_set and view.me.limit == 2)
        sam.connection.say(Seat.A, "mk-before-5d1e")
        await eventually(lambda: "a: mk-before-5d1e" in ben.words(), what="words before")

        kept = ben.connection.session
        assert kept is not None and stat.S_IMODE(kept.stat().st_mode) == 0o600
        held = kept.read_text()
        assert "mk-before" not in held
        assert set(json.loads(held)) == {
            "url",
            "token",
            "last_seq",
            "channel",
            "unanswered",
            "hosted",
            "code",  # to check whoever takes back the partner's seat (docs/security.md)
        }
        assert json.loads(held)["code"] == sam.connection.code

        first.send_signal(signal.SIGKILL)
        first.wait(5)
        assert ben.task is not None
        ben.task.cancel()  # Ben's screen dies too, without closing: its session stays
        await asyncio.gather(ben.task, return_exceptions=True)
        assert kept.exists()
        with pytest.raises(SessionInUse):  # while his process lives, nobody else plays it
            WebSocketConnection.saved(kept)
        assert ben.connection._lock is not None
        os.close(ben.connection._lock)  # as the end of his process would

    with relay_process(port, db, log):
        await healthy(port)
        again = Player(WebSocketConnection.saved(kept, first_delay=0.05))
        again.task = asyncio.create_task(again.connection.run(again.updates.append))
        await again.until(lambda view: view.me.limit == 2, "Ben back at his seat")
        await sam.until(lambda view: view.b.connected, "Sam to see Ben back")
        sam.connection.say(Seat.A, "mk-after-77c0")
        await eventually(lambda: "a: mk-after-77c0" in again.words(), what="words after")
        again.connection.say(Seat.B, "mk-reply-2b9f")
        await eventually(lambda: "b: mk-reply-2b9f" in sam.words(), what="Ben's reply")
        assert not shown(again) and not shown(sam)
        await sam.stop()
        await again.stop()
    assert not kept.exists()  # closing the game removes it
    relay_said = log.read_text()
    assert "restored 1 room(s)" in relay_said and "seat b resumed" in relay_said
    assert_never_kept(("mk-before", "mk-after", "mk-reply"), log, tmp_path)


@pytest.mark.timeout(60)
async def test_join_resume_brings_a_crashed_screen_back_to_its_seat(
    relay: RelayServer, deck: Deck, tmp_path: Path
) -> None:
    opening = CreateRoom(deck=deck.id, name="Sam", checkin=False)
    sam = await Player(WebSocketConnection(relay.url, opening, sessions=tmp_path / "sam")).start()
    assert sam.connection.code is not None
    ben = await Player(WebSocketConnection(relay.url, JoinCode(sam.connection.code, "Ben"))).start()
    for player in (sam, ben):
        player.connection.send(player.connection.seat, SetLimit(limit=2))
    await ben.until(lambda view: view.phase is Phase.DRAW, "the game to start")
    assert ben.task is not None
    ben.task.cancel()  # Ben's screen dies without closing
    await asyncio.gather(ben.task, return_exceptions=True)
    with pytest.raises(SessionInUse, match="open in another window here"):
        saved_game()  # a second window cannot play the seat while the first holds it
    assert ben.connection._lock is not None
    os.close(ben.connection._lock)  # as the end of his process would
    sam.connection.say(Seat.A, "mk-while-away-5d2c")  # while Ben's screen is gone

    app = ReciprocityApp(network=saved_game())
    async with app.run_test(size=(80, 24)) as pilot:
        await until_screen(pilot, TableScreen)
        await sam.until(lambda view: view.b.connected, "Sam to see Ben back")
        # Sent again once Ben is back, perhaps before his table is up: shown all the same.
        await eventually(lambda: "Sam: mk-while-away-5d2c" in words_on(pilot), what="words")
        sam.connection.send(Seat.A, Draw())
        sam.connection.say(Seat.A, "mk-resumed-e41b")
        await eventually(lambda: "Sam: mk-resumed-e41b" in words_on(pilot), what="the words")
    await app.leave_network()
    await sam.stop()
    assert not list((tmp_path / "data" / "sessions").iterdir())  # closing removed it


@pytest.mark.timeout(30)
def test_join_without_a_code_or_a_kept_game_says_so_in_one_line(data_dir: Path) -> None:
    assert reciprocity("join").stderr == (
        "reciprocity: please give the code your partner read out, such as 7-amber-harbor\n"
    )
    result = reciprocity("join", "--resume")
    assert result.returncode == 1
    assert result.stderr == (
        "reciprocity: there is no network game to go back to here; join with the code\n"
    )
    broken = data_dir / "sessions" / "0123456789abcdef.json"
    broken.parent.mkdir()
    broken.write_text('{"url": "ws://127.0.0.1:1"}')
    result = reciprocity("join", "--resume")
    assert result.returncode == 1
    assert result.stderr.startswith(f"reciprocity: cannot read the saved game {broken}: ")
    assert result.stderr.count("\n") == 1


@pytest.mark.timeout(30)
async def test_the_join_form_says_the_code_did_not_match_and_stays(
    relay: RelayServer, deck: Deck
) -> None:
    sam = await Player(WebSocketConnection(relay.url, CreateRoom(deck=deck.id, name="Sam"))).start()
    assert sam.connection.code is not None
    number, first, second = sam.connection.code.split("-")
    wrong = f"{number}-{second}-{first}" if first != second else f"{number}-{first}-zz"
    app = ReciprocityApp(network_form=JoinChoice(wrong, "Ben", relay.url, aloud=False))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+s")
        status = pilot.app.screen.query_one("#join-status", Static)
        await eventually(
            lambda: str(status.render()) == "The code didn't match — check it with your partner."
        )
        assert isinstance(pilot.app.screen, JoinScreen) and app.network is None
    await eventually(lambda: WRONG_GUESS in shown(sam), what="Sam's notice")
    await sam.stop()
