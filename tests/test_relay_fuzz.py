"""Hypothesis throws random and mutated frames at a relay; a game in another room plays on."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import make_deck
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from reciprocity_server import wire
from reciprocity_server.quotas import Quotas
from reciprocity_server.serve import RelayServer, start_relay
from relay_client import Client, act, pair, start
from websockets.exceptions import ConnectionClosed

from reciprocity.protocol import MAX_FRAME, PROTOCOL_VERSION, Error
from reciprocity.seat_view import SeatView

pytestmark = pytest.mark.timeout(60)

#: Valid messages of every kind, to mutate.
TEMPLATES: list[dict[str, Any]] = [
    {"type": "hello", "version": PROTOCOL_VERSION, "create": {"deck": "test-deck", "name": "Kim"}},
    {"type": "hello", "version": PROTOCOL_VERSION, "join": {"number": 12, "name": "Kim"}},
    {"type": "hello", "version": PROTOCOL_VERSION, "resume": {"token": "t" * 32, "last_seq": 3}},
    {"type": "command", "id": "f1", "command": {"type": "draw", "level": 1}},
    {"type": "command", "id": "f2", "command": {"type": "set_limit", "limit": 2, "lines": []}},
    {"type": "command", "id": "f3", "command": {"type": "check_in", "score": 4}},
    {"type": "command", "id": "f4", "command": {"type": "mark_supported", "felt": ["accepted"]}},
    {"type": "command", "id": "f5", "command": {"type": "join", "name": "Kim"}},
    {"type": "say", "payload": "hello there"},
]

#: Valid messages that get no reply: words and key steps go to the partner, or nowhere.
SILENT = ("say", "key", "code_checked")
#: A message that always gets a reply: an error before a hello or when not the sharer.
PROBE = {"type": "command", "id": "probe", "command": {"type": "draw"}}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """A valid message with one field replaced, removed or added, at the top or one level in."""
    message = json.loads(json.dumps(draw(st.sampled_from(TEMPLATES))))
    target = message
    nested = [key for key, value in message.items() if isinstance(value, dict)]
    if draw(st.booleans()) and nested:
        target = message[draw(st.sampled_from(nested))]
    key = draw(st.sampled_from([*target, "extra"]))
    if draw(st.booleans()) and key in target:
        del target[key]
    else:
        target[key] = draw(json_values)
    return json.dumps(message)


frames = st.one_of(
    st.binary(max_size=64),
    st.text(max_size=200),
    json_values.map(json.dumps),
    st.fixed_dictionaries(
        {
            "type": st.sampled_from(
                ["hello", "command", "say", "key", "code_checked", "view", "HELLO", ""]
            )
        },
        optional={"version": json_values, "id": json_values, "command": json_values},
    ).map(json.dumps),
    mutated(),
    st.integers(MAX_FRAME + 1, MAX_FRAME + 2000).map(lambda size: "x" * size),
)


@dataclass
class Arena:
    """A relay, and a game under way in one of its rooms."""

    relay: RelayServer
    sam: Client
    ben: Client
    moves: int = 0


@pytest.fixture
async def arena(tmp_path: Path) -> AsyncIterator[Arena]:
    """A relay with a started game between Sam and Ben; every fuzzed client comes from this
    machine, so its address may make a game for each, and Sam moves after each frame."""
    relay = await start_relay(
        port=0,
        db=tmp_path / "relay.sqlite3",
        decks={"test-deck": make_deck()},
        quotas=Quotas(creates=1000, connections=1000, commands=1000),
    )
    sam, ben = await pair(relay.url)
    await start(sam, ben)
    yield Arena(relay, sam, ben)
    await relay.close()


def is_valid(frame: str | bytes) -> bool:
    """Whether the frame is a message the protocol allows (it may still be refused)."""
    return not isinstance(wire.read(frame), Error)


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(frame=frames, seated=st.booleans())
@example(frame=json.dumps({"type": "say", "payload": "x"}), seated=True)  # no reply due
async def test_any_frame_gets_a_reply_and_harms_no_other_room(
    arena: Arena, frame: str | bytes, seated: bool
) -> None:
    client = await Client.open(arena.relay.url)
    try:
        if seated:
            await client.hello(create={"deck": "test-deck", "name": "Kim"})
        await client.send(frame)
        if is_valid(frame) and json.loads(frame)["type"] in SILENT:
            await client.send(PROBE)  # its answer stands for the reply that is not due
        if len(frame) > MAX_FRAME:
            with pytest.raises(ConnectionClosed):
                await client.recv()
            assert client.ws.close_code == 1009
        else:
            reply = await client.recv()  # any reply must be a valid server message
            if not is_valid(frame):
                assert isinstance(reply, Error)
                assert reply.code in ("bad_json", "bad_message", "version")
    finally:
        await client.close()

    arena.moves += 1
    view = await act(arena.sam, arena.ben, {"type": "set_limit", "limit": 2 + arena.moves % 2})
    assert isinstance(view, SeatView) and view.me.limit == 2 + arena.moves % 2
    assert view.phase == "draw" and view.b.connected
