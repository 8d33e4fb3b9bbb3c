"""Where the pair stands: the level, the ceiling, and each partner's progress."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.content import Content
from textual.reactive import reactive
from textual.widget import Widget

from reciprocity.engine import Seat

if TYPE_CHECKING:
    from reciprocity.seat_view import SeatView


#: At the ceiling: true for both partners, whichever limit is the lower, and saying neither.
CEILING_REACHED = "This is as deep as today's game goes."


def progress_line(view: SeatView) -> str:
    """What takes the pair deeper next, in a line: a move the facilitator's clock made, which
    waits for this turn to end; the level open to everyone; or the usual rule. At the ceiling
    (the lower limit), or in the clock's last set at the deepest level open, it says so."""
    waiting = min(view.moving_to, view.ceiling) if view.moving_to is not None else view.level
    if waiting > view.level:
        return f"You move to level {waiting} when this turn ends."
    last_set = view.clock is not None and view.clock.last
    held_back = view.open_level is not None and view.level >= view.open_level
    if view.level >= view.ceiling or (held_back and last_set):
        return CEILING_REACHED
    if held_back:
        when = "on the clock" if view.clock is not None else "when your facilitator says so"
        return f"Level {view.level + 1} opens for everyone {when}."
    return (
        f"Level {view.level + 1} opens when each of you has been met with support "
        f"{view.advance_after} times here:"
    )


class Standing(Widget):
    """Three lines: the ladder of levels, the ceiling, and progress toward the next level."""

    view: reactive[SeatView | None] = reactive(None)

    def render(self) -> Content:
        """Draw the ladder and both partners' steps."""
        view = self.view
        if view is None:
            return Content("")
        parts: list[str | tuple[str, str]] = []
        parts.append(("Level ", "bold"))
        parts.append((f"{view.level}", "bold $text-accent"))
        parts.append((f" of {view.depth}: {view.level_names[view.level - 1]}   ", "bold"))
        for number in range(1, view.depth + 1):
            if number == view.level:
                parts.append(("◉", "bold $text-accent"))
            elif number < view.level:
                parts.append(("●", "$text-accent"))
            elif number <= view.ceiling:
                parts.append(("○", "$text-muted"))
            else:
                parts.append(("·", "$text-muted"))
            if number == view.ceiling and number < view.depth:
                parts.append((" ┃ ", "$text-warning"))
            elif number < view.depth:
                parts.append(("─", "$text-muted"))
        parts.append((f"   {view.ceiling_text}\n", "$text-muted"))
        parts.append((progress_line(view), "$text-muted"))
        parts.append("\n")
        for seat in Seat:
            partner = view.partner(seat)
            steps = min(partner.progress, view.advance_after)
            marker = "▶ " if seat is view.sharer else "  "
            parts.append((marker, "bold $text-accent"))
            parts.append((f"{view.name(seat)} ", "bold" if seat is view.sharer else ""))
            parts.append(("■" * steps, "$text-success"))
            parts.append(("□" * (view.advance_after - steps), "$text-muted"))
            if not partner.connected:
                parts.append((" (reconnecting…)", "$text-warning"))
            parts.append("   ")
        return Content.assemble(*parts)
