"""What end-to-end encryption costs: joining with the key exchange, and sealed words.

Prints figures; not a test. A relay runs in this process on a loopback port, and everything
is measured in the same run as its baseline:

- **Time to join.** A host opens a room and a partner joins it, until the partner has its
  first view. With the key exchange: two `WebSocketConnection`s, as `reciprocity host` and
  `join` use them (SPAKE2, key confirmation, then admission). Baseline: the same hellos with
  raw websockets, the host admitting the joiner at once, with no SPAKE2 and no confirmation.
  The SPAKE2 and HKDF work alone is measured too.
- **Words.** One seat sends N messages of typed words to the other through the relay, and
  the clock stops when the last one has been read. Sealed: each is sealed with the sender's
  `Channel` and opened with the receiver's. Baseline: the same words sent in the clear.
  Sealing and opening alone, without the network, are measured too, and so is saving the
  session file, which a screen does after each message it seals or opens.

    uv run python bench/e2e.py [--joins 30] [--messages 2000] [--size 280]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from reciprocity_server.serve import RelayServer, start_relay
from websockets.asyncio.client import ClientConnection, connect

from reciprocity.engine import Seat
from reciprocity.kept import save_session
from reciprocity.net.client import JoinCode
from reciprocity.net.driver import WebSocketConnection
from reciprocity.net.e2e import Channel, Handshake
from reciprocity.protocol import PROTOCOL_VERSION, CreateRoom

DECK = "first-steps"
#: Messages in flight at once (the relay drops a reader 64 messages behind).
WINDOW = 32


async def _raw(url: str) -> ClientConnection:
    return await connect(url, compression=None)


async def _hello(ws: ClientConnection, **part: object) -> dict[str, object]:
    await ws.send(json.dumps({"type": "hello", "version": PROTOCOL_VERSION, **part}))
    welcome: dict[str, object] = json.loads(await ws.recv())
    return welcome


async def _until(ws: ClientConnection, kind: str) -> dict[str, object]:
    while True:
        message: dict[str, object] = json.loads(await ws.recv())
        if message["type"] == kind:
            return message


async def seated(url: str) -> tuple[ClientConnection, ClientConnection]:
    """A host and a joiner with raw websockets, the joiner admitted with no SPAKE2 and no
    proofs (only the stand-in message a verdict names).

    Returns once the joiner has its first view."""
    host, joiner = await _raw(url), await _raw(url)
    welcome = await _hello(host, create={"deck": DECK, "name": "Sam"})
    await _until(host, "view")
    await _hello(joiner, join={"number": welcome["number"], "name": "Ben"})
    await joiner.send(json.dumps({"type": "key", "step": "pake", "payload": "none"}))
    await _until(host, "partner_key")
    admit = {"type": "code_checked", "matched": True, "pake": "none", "proof": "stand-in"}
    await host.send(json.dumps(admit))
    await _until(joiner, "view")
    return host, joiner


async def join_plain(url: str) -> float:
    """Seconds for a host to open a room and a joiner to be seated, with no key exchange."""
    start = time.perf_counter()
    host, joiner = await seated(url)
    elapsed = time.perf_counter() - start
    await host.close()
    await joiner.close()
    return elapsed


async def join_sealed(url: str, sessions: Path) -> float:
    """Seconds for the same, as the real clients do it: SPAKE2 and key confirmation."""
    start = time.perf_counter()
    host = WebSocketConnection(url, CreateRoom(deck=DECK, name="Sam"), sessions=sessions)
    await host.open()
    running = asyncio.create_task(host.run(lambda update: None))
    assert host.code is not None
    joiner = WebSocketConnection(url, JoinCode(host.code, "Ben"), sessions=sessions)
    await joiner.open()  # returns once admitted, with its first view
    elapsed = time.perf_counter() - start
    host.close()
    await running
    await joiner.aclose()
    return elapsed


def pake_alone(repeats: int) -> float:
    """Seconds for both sides' SPAKE2 and key derivation, with no network."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        a, b = Handshake("7-amber-harbor", 7), Handshake("7-amber-harbor", 7)
        keys_a, keys_b = a.keys(Seat.A, b.message), b.keys(Seat.B, a.message)
        keys_a.confirm(keys_b.proof)
        keys_b.confirm(keys_a.proof)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def channels() -> tuple[Channel, Channel]:
    a, b = Handshake("7-amber-harbor", 7), Handshake("7-amber-harbor", 7)
    keys_a, keys_b = a.keys(Seat.A, b.message), b.keys(Seat.B, a.message)
    return keys_a.confirm(keys_b.proof), keys_b.confirm(keys_a.proof)


async def words(url: str, count: int, text: str, sealed: bool) -> float:
    """Seconds for `count` messages to go from one seat to the other and be read."""
    host, joiner = await seated(url)
    await _until(host, "view")
    send, receive = channels()
    # At most WINDOW messages in flight, so the relay never drops the reader as too slow.
    window = asyncio.Semaphore(WINDOW)

    async def read() -> None:
        for _ in range(count):
            payload = str((await _until(joiner, "words"))["payload"])
            if sealed:
                receive.open(payload)
            window.release()

    start = time.perf_counter()
    reader = asyncio.create_task(read())
    for _ in range(count):
        await window.acquire()
        payload = send.seal(text) if sealed else text
        await host.send(json.dumps({"type": "say", "payload": payload}))
    await reader
    elapsed = time.perf_counter() - start
    await host.close()
    await joiner.close()
    return elapsed


def seal_alone(count: int, text: str) -> tuple[float, float]:
    """Seconds to seal `count` messages, and to open them, with no network."""
    send, receive = channels()
    start = time.perf_counter()
    payloads = [send.seal(text) for _ in range(count)]
    sealing = time.perf_counter() - start
    start = time.perf_counter()
    for payload in payloads:
        receive.open(payload)
    return sealing, time.perf_counter() - start


def keeping(count: int, folder: Path) -> float:
    """Seconds per save of the session file, as a screen does after each seal (with fsync)."""
    send, _ = channels()
    path = folder / "sessions" / "bench.json"
    start = time.perf_counter()
    for _ in range(count):
        save_session(path, {"channel": send.state()})
    return (time.perf_counter() - start) / count


async def _alternate(
    runs: int, first: Callable[[], Awaitable[float]], second: Callable[[], Awaitable[float]]
) -> tuple[list[float], list[float]]:
    """Run two measurements in turn, so that a busy moment touches both alike."""
    a, b = [], []
    for _ in range(runs):
        a.append(await first())
        b.append(await second())
    return a, b


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


async def main(joins: int, messages: int, size: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        relay: RelayServer = await start_relay(port=0, db=Path(folder) / "relay.sqlite3")
        sessions = Path(folder) / "sessions"
        try:
            await join_plain(relay.url)  # warm-up
            await join_sealed(relay.url, sessions)
            plain, sealed = await _alternate(
                joins, lambda: join_plain(relay.url), lambda: join_sealed(relay.url, sessions)
            )
            print(f"Time to join ({joins} runs each, alternating; median, p90)")
            for label, times in (("without key exchange", plain), ("with SPAKE2", sealed)):
                p90 = sorted(times)[int(len(times) * 0.9) - 1]
                print(f"  {label:<24} {_ms(statistics.median(times)):>10}  {_ms(p90):>10}")
            extra = statistics.median(sealed) - statistics.median(plain)
            print(f"  difference               {_ms(extra):>10}")
            print(f"  SPAKE2 + HKDF alone, both sides: {_ms(pake_alone(joins))}")

            text = "x" * size
            rounds = 3
            clear, boxed = await _alternate(
                rounds,
                lambda: words(relay.url, messages, text, sealed=False),
                lambda: words(relay.url, messages, text, sealed=True),
            )
            print(f"\nWords through the relay ({messages} messages of {size} chars, best of 3)")
            for label, times in (("unsealed", clear), ("sealed", boxed)):
                best = min(times)
                print(f"  {label:<24} {messages / best:>10.0f} msg/s  ({_ms(best)} in all)")
            sealing, opening = seal_alone(messages * 5, text)
            per = messages * 5
            print(
                f"  sealing alone: {per / sealing:,.0f} msg/s; opening alone: {per / opening:,.0f}"
                " msg/s"
            )
            kept = keeping(200, Path(folder))
            print(f"  keeping the session file after a seal (fsync): {_ms(kept)} a message")
        finally:
            await relay.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--joins", type=int, default=30)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--size", type=int, default=280)
    options = parser.parse_args()
    asyncio.run(main(options.joins, options.messages, options.size))
