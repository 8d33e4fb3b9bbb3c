"""The card on the table, or the step of the repair loop in a gentle voice."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.content import Content
from textual.reactive import reactive
from textual.widget import Widget

from reciprocity.engine import Phase

OPENERS = (
    "Thank you for telling me.",
    "I've felt that too.",
    "That took courage.",
    "I'd love to hear more.",
)

if TYPE_CHECKING:
    from reciprocity.seat_view import SeatView


class CardPanel(Widget):
    """The card's words, large and calm; during a repair, what the step is for."""

    view: reactive[SeatView | None] = reactive(None)

    def render(self) -> Content:
        """The card or the repair step."""
        view = self.view
        self.set_class(view is not None and view.phase in _REPAIR_STEPS, "repair")
        if view is None:
            return Content("")
        if view.phase in _REPAIR_STEPS:
            return _repair_text(view)
        if view.card is None:
            sharer = view.name(view.sharer)
            if not view.drawable:
                return Content.styled(f"No cards are left for {sharer} to draw.", "$text-muted")
            return Content.styled(f"{sharer} draws the next card.", "$text-muted")
        parts: list[str | tuple[str, str]] = []
        kind = "Do this together" if view.card.kind == "action" else "Question"
        parts.append((f"{kind} · level {view.card.level}\n\n", "$text-muted"))
        parts.append((view.card.text, "bold"))
        return Content.assemble(*parts)


_REPAIR_STEPS = (Phase.NAME_HURT, Phase.REPAIR, Phase.FORGIVE)


def _repair_text(view: SeatView) -> Content:
    sharer, listener = view.name(view.sharer), view.name(view.sharer.other)
    parts: list[str | tuple[str, str]] = []
    if view.phase is Phase.NAME_HURT:
        parts.append(("That stung. Thank you for saying so.\n\n", "bold"))
        parts.append(
            f"{sharer}, you can tell {listener} how it felt, in your own words, "
            "or simply say: that hurt."
        )
    elif view.phase is Phase.REPAIR:
        parts.append((f"{listener}, {sharer} was hurt.\n\n", "bold"))
        parts.append(
            "A repair works best now, and it is a brave thing to do. Say what was going on "
            "for you, own your part, and say sorry if it fits. Being open here is how "
            "the two of you grow closer."
        )
    else:
        parts.append((f"{listener} has tried to repair.\n\n", "bold"))
        parts.append(
            f'{sharer}, do you forgive? "Not yet" is an honest answer, and it will be '
            "respected. Nothing here will push you."
        )
    return Content.assemble(*parts)
