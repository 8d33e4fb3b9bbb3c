"""Each seat's view as frames: whole when a connection takes a seat (or asks), and after that
only what changed, with the sender's ack folded in.

A view is the room's table (the same for both seats) and a seat's own part (`Room.table`,
`Room.own`). The relay keeps, for each room, the table it last sent and, for each connected
seat, that seat's own part and the connection it went to: a connection it has not sent to yet
gets a whole `view`, the others a `delta` of the top-level fields that changed. What the
seats share is encoded once, and each seat's frame is put together from it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from reciprocity.engine import Seat
from reciprocity_server.outputs import Encoded, Send

_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


@dataclass(eq=False, slots=True)
class Shown:
    """What a room's seats were last sent: the table, its `seq`, and each seat's own part with
    the connection it went to. Parts are kept flat (`_flat`: only their values, in order, as
    tuples), as the relay holds one for every room."""

    seq: int = 0
    table: tuple[Any, ...] | None = None
    own: dict[Seat, tuple[int, tuple[Any, ...]]] = field(default_factory=dict)

    def forget(self, seat: Seat) -> None:
        """The seat's next frame is a whole view (its screen asked for one)."""
        self.own.pop(seat, None)


def view_frames(
    shown: Shown,
    table: dict[str, Any],
    own: dict[Seat, dict[str, Any]],
    conns: dict[Seat, int],
    ack: tuple[int, str] | None = None,
) -> list[Send]:
    """The frames that bring each connected seat (`conns`) up to date with `table` and its own
    part (`own`); `ack` is the connection that sent the command and the command's id.

    A seat with nothing new gets no frame, unless it is owed the ack. `shown` is updated.
    """
    seq = table.pop("seq")
    before = shown.table
    flat = _flat(table)
    shared: str | None = None
    whole: str | None = None
    sends: list[Send] = []
    for seat, conn in conns.items():
        mine = own[seat]
        last = shown.own.get(seat)
        mine_flat = _flat(mine)
        acked = ack is not None and ack[0] == conn
        if before is None or last is None or last[0] != conn:
            if whole is None:
                whole = _encode(table)[1:-1]
            text = f'{{"type":"view","seq":{seq},{whole},{_encode(mine)[1:-1]}}}'
        else:
            if shared is None:
                shared = _encode(_changed(table, flat, before))[1:-1]
            changes = _encode(_changed(mine, mine_flat, last[1]))[1:-1]
            if not shared and not changes and not acked and seq == shown.seq:
                continue
            body = f"{shared},{changes}" if shared and changes else shared or changes
            said = _encode(ack[1]) if acked and ack is not None else "null"
            text = (
                f'{{"type":"delta","seq":{seq},"since":{shown.seq},"ack":{said},'
                f'"changes":{{{body}}}}}'
            )
        sends.append(Send(conn, Encoded(text)))
        shown.own[seat] = (conn, mine_flat)
    shown.seq, shown.table = seq, flat
    for seat in [seat for seat in shown.own if seat not in conns]:
        del shown.own[seat]
    return sends


def _flat(part: dict[str, Any]) -> tuple[Any, ...]:
    """A part's values in order, each JSON object in it as a tuple: what it is compared by
    (arrays stay lists: the deck's are shared by every room)."""
    return tuple([_flat(value) if type(value) is dict else value for value in part.values()])


def _changed(
    part: dict[str, Any], flat: tuple[Any, ...], before: tuple[Any, ...]
) -> dict[str, Any]:
    """The fields of `part` whose flat values differ from `before`'s."""
    return {
        key: part[key] for key, now, then in zip(part, flat, before, strict=True) if now != then
    }
