"""The key-exchange test vectors in docs/key-exchange-vectors.json, checked against the real
code: a client written from docs/protocol.md alone can check itself against that file.

Regenerate the file (only when the protocol's version changes) with
`uv run python tests/test_vectors.py > docs/key-exchange-vectors.json`.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from spake2 import SPAKE2_Symmetric  # type: ignore[import-untyped]

from reciprocity.engine import Seat
from reciprocity.net.codes import check_code
from reciprocity.net.e2e import LABEL, Handshake
from reciprocity.protocol import PROTOCOL_VERSION

VECTORS = Path(__file__).resolve().parent.parent / "docs" / "key-exchange-vectors.json"
#: The code as a partner might type it, and the room's number.
TYPED, NUMBER = " 7-Amber-HARBOR ", 7
#: Each seat's 64 bytes of "randomness" for its SPAKE2 scalar: fixed here, random in play.
ENTROPY = {Seat.A: bytes(range(64)), Seat.B: bytes(range(64, 128))}
WORDS, REPLY = "Hello, Ben. I was nervous about tonight.", "Thank you for telling me."


def _fixed(data: bytes) -> Any:
    def entropy(count: int) -> bytes:
        assert count == len(data)
        return data

    return entropy


def _hex(data: bytes) -> str:
    return data.hex()


def _b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def vectors() -> dict[str, Any]:
    """Every value a client needs to match, computed by the real code."""
    code = check_code(TYPED)
    handshakes = {seat: Handshake(code, NUMBER, _fixed(ENTROPY[seat])) for seat in Seat}
    keys = {seat: handshakes[seat].keys(seat, handshakes[seat.other].message) for seat in Seat}
    channels = {seat: keys[seat].confirm(keys[seat.other].proof) for seat in Seat}
    spake = SPAKE2_Symmetric(
        code.encode(),
        idSymmetric=f"{LABEL.decode()} room {NUMBER}".encode(),
        entropy_f=_fixed(ENTROPY[Seat.A]),
    )
    spake.start()
    shared = spake.finish(_b64url(handshakes[Seat.B].message))
    sealed = channels[Seat.A].seal(WORDS)
    opened = channels[Seat.B].open(sealed)
    receipt = channels[Seat.B].receipt(opened.counter)
    reply = channels[Seat.B].seal(REPLY)
    return {
        "protocol_version": PROTOCOL_VERSION,
        "label": LABEL.decode(),
        "code_typed": TYPED,
        "code": code,
        "spake2": {
            "password_utf8": code,
            "id_symmetric_utf8": f"{LABEL.decode()} room {NUMBER}",
            "entropy_a_hex": _hex(ENTROPY[Seat.A]),
            "entropy_b_hex": _hex(ENTROPY[Seat.B]),
            "message_a": handshakes[Seat.A].message,
            "message_b": handshakes[Seat.B].message,
            "key_hex": _hex(shared),
        },
        "keys": {
            "proof_a": keys[Seat.A].proof,
            "proof_b": keys[Seat.B].proof,
            "words_from_a_hex": _hex(channels[Seat.A].send_key),
            "words_from_b_hex": _hex(channels[Seat.B].send_key),
        },
        "sealed": [
            {"from": "a", "counter": 1, "kind": "words", "text": WORDS, "payload": sealed},
            {"from": "b", "counter": 1, "kind": "receipt", "for": 1, "payload": receipt},
            {"from": "b", "counter": 2, "kind": "words", "text": REPLY, "payload": reply},
        ],
    }


def test_the_committed_vectors_are_what_the_code_computes() -> None:
    assert json.loads(VECTORS.read_text()) == vectors(), (
        "docs/key-exchange-vectors.json differs from the code: if the protocol changed, "
        "regenerate it with `uv run python tests/test_vectors.py > docs/key-exchange-vectors.json`"
    )


def test_the_vectors_open_as_docs_protocol_md_says() -> None:
    data = vectors()
    [words, receipt, reply] = data["sealed"]
    first = _b64url(words["payload"])
    assert first[:8] == (1).to_bytes(8, "big")  # the counter, which is also the nonce
    assert len(first) == 8 + 1 + len(WORDS.encode()) + 16  # counter, kind, words, tag
    assert len(_b64url(receipt["payload"])) == 8 + 1 + 8 + 16  # counter, kind, counter, tag
    assert "=" not in words["payload"] + data["keys"]["proof_a"]  # base64url, no padding
    assert reply["counter"] == 2  # a receipt takes a counter too
    assert len(_b64url(data["spake2"]["message_a"])) == 33  # the side byte "S" and a point
    assert _b64url(data["spake2"]["message_a"])[:1] == b"S"


if __name__ == "__main__":
    print(json.dumps(vectors(), indent=2))
