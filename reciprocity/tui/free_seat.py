"""Freeing a seat from the facilitator's dashboard.

A pair's player is gone (a laptop died, a screen froze): the facilitator frees their seat, on
the selected row, after naming whose and saying yes. Their old screen stops; whoever then
joins with the pair's code takes the seat, once the partner's screen has checked the code, as
for any joiner. The game goes on where it was.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reciprocity.engine import Seat
from reciprocity.tui.screens.confirm import ConfirmScreen
from reciprocity.tui.screens.whose import WhoseScreen

if TYPE_CHECKING:
    from textual.app import App

    from reciprocity.net.driver import FacilitatorConnection
    from reciprocity.protocol import RoomStatus

NOT_UNDER_WAY = "Only a seat of a game under way, with both players joined, can be freed."


async def free_a_seat(
    app: App[object], connection: FacilitatorConnection, room: RoomStatus, code: str
) -> None:
    """Ask whose seat of `room` (whose code is `code`) to free, confirm, and free it."""
    names = {seat: name for seat, name in zip(Seat, room.names, strict=True) if name}
    if room.state in ("ended", "unused") or len(names) < 2:
        app.notify(NOT_UNDER_WAY, markup=False)
        return
    seat = await app.push_screen_wait(WhoseScreen(f"Free whose seat in {code}?", names))
    if seat is None:
        return
    gone, partner = names[seat], names[seat.other]
    question = (
        f"Free {gone}'s seat? {gone}'s screen stops. Whoever joins with {code} takes it, "
        f"once {partner}'s screen has checked the code."
    )
    if await app.push_screen_wait(ConfirmScreen(question, yes="Free it")):
        connection.free_seat(room.number, seat)
        app.notify(f"{gone}'s seat is free: join with {code} to take it.", markup=False)
