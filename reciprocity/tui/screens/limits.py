"""A partner's private limit and lines."""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Label, OptionList, SelectionList, Static
from textual.widgets.option_list import Option

from reciprocity.deck import TAGS, Deck
from reciprocity.tui.widgets.lines_list import LinesList


@dataclass(frozen=True)
class LimitChoice:
    """The deepest level a partner will go today, and the topics to leave out."""

    limit: int
    lines: frozenset[str]


class LimitScreen(Screen[LimitChoice | None]):
    """Choose, unseen, how deep to go and what to leave out."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("tab", "app.focus_next", "Levels / topics", show=True),
        Binding("escape", "cancel", "Keep as it was"),
    ]

    def __init__(
        self, name: str, deck: Deck, limit: int | None, lines: tuple[str, ...] = ()
    ) -> None:
        super().__init__()
        self.partner_name = name
        self.deck = deck
        self.limit = limit or deck.depth
        self.lines = frozenset(lines)

    def compose(self) -> ComposeResult:
        """Levels on the left, topics on the right."""
        yield Label(f"{self.partner_name}, this is just for you.", classes="title", markup=False)
        yield Static(
            "Choose the deepest level you want to go today. Play never goes past the lower "
            "of your two limits, and nobody is told whose it is. You can change it at any "
            "time.",
            classes="muted",
            id="limit-help",
            markup=False,
        )
        with Horizontal(id="limit-columns"):
            with Vertical():
                yield Label("How deep, at most?", markup=False)
                yield OptionList(
                    *(
                        Option(f"{n}  {level.name}: {level.intent}", id=str(n))
                        for n, level in enumerate(self.deck.levels, start=1)
                    ),
                    id="limit-levels",
                    markup=False,
                    compact=True,
                )
            with Vertical():
                yield Label("Leave out (your lines)", markup=False)
                tags = self.deck.tags()
                if tags:
                    yield LinesList(
                        *((_tag_label(tag), tag, tag in self.lines) for tag in tags),
                        id="limit-lines",
                        compact=True,
                    )
                else:
                    yield Static("This deck has no topic tags.", classes="muted", markup=False)
        yield Static("Enter picks a level and saves.", classes="hint", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        """Start on the current limit."""
        levels = self.query_one("#limit-levels", OptionList)
        levels.highlighted = self.limit - 1
        levels.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """Enter on a level saves the choice."""
        self.action_save()

    def action_save(self) -> None:
        """Save the highlighted level and the ticked topics."""
        highlighted = self.query_one("#limit-levels", OptionList).highlighted
        limit = (highlighted if highlighted is not None else self.limit - 1) + 1
        found = self.query("#limit-lines")
        lines: frozenset[str] = frozenset()
        if found:
            selection = found.only_one(SelectionList)
            lines = frozenset(str(tag) for tag in selection.selected)
        self.dismiss(LimitChoice(limit, lines))

    def action_cancel(self) -> None:
        """Leave without changing anything."""
        self.dismiss(None)


def _tag_label(tag: str) -> Content:
    """A topic as plain text: a deck's tag is never read as markup."""
    about = TAGS.get(tag)
    return Content(f"{tag}: {about}" if about else tag)
