"""A compact preview of a deck: what it is for, its levels, its content notes and its tags.

Used by the decks screen and the new-game screen. Set `deck` (or `data_bind` it); the preview
scrolls by itself when the deck is longer than the room it has.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.reactive import reactive
from textual.widgets import Static

from reciprocity.text import plural

if TYPE_CHECKING:
    from reciprocity.deck import Deck

#: What the preview shows before a deck is chosen.
NO_DECK = "Choose a deck to see what it holds."


def deck_facts(deck: Deck) -> str:
    """The deck in one line: `5 levels · 60 cards · deeper after 2 each · 15 min a level`."""
    facts = [
        plural(deck.depth, "level"),
        plural(deck.card_count, "card"),
        f"deeper after {deck.advance_after} each",
    ]
    if deck.pace_minutes:
        facts.append(f"{deck.pace_minutes} min a level")
    return " · ".join(facts)


def preview_content(deck: Deck | None) -> Content:
    """What the preview shows for a deck, or a hint when there is none."""
    if deck is None:
        return Content.from_markup("[$text-muted]$hint", hint=NO_DECK)
    parts: list[Content] = [
        Content.from_markup("[b $text-primary]$title[/]", title=deck.title),
        Content.from_markup("[$text-muted]$facts", facts=deck_facts(deck)),
    ]
    if deck.author:
        parts.append(Content.from_markup("[$text-muted]by $author", author=deck.author))
    if deck.content_notes:
        notes = "; ".join(deck.content_notes)
        parts += [
            Content(""),
            Content.from_markup(
                "[b $text-warning]Content notes:[/] [$text-warning]$notes", notes=notes
            ),
        ]
    if deck.description.strip():
        parts += [Content(""), Content(" ".join(deck.description.split()))]
    parts += [Content(""), *_levels(deck)]
    tags = deck.tags()
    if tags:
        parts += [
            Content(""),
            Content.from_markup("[b]Tags:[/] [$text-muted]$tags", tags=", ".join(tags)),
        ]
    return Content("\n").join(parts)


def _levels(deck: Deck) -> Iterable[Content]:
    for number, level in enumerate(deck.levels, start=1):
        yield Content.from_markup(
            "[b]$number  $name[/] [$text-muted]· $count",
            number=str(number),
            name=level.name,
            count=plural(len(level.cards), "card"),
        )
        yield Content.from_markup("[$text-muted]$intent", intent=level.intent)


class DeckPreview(VerticalScroll):
    """A deck's title, description, levels, content notes and tags, scrolling when long."""

    deck: reactive[Deck | None] = reactive(None)

    def __init__(
        self,
        deck: Deck | None = None,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.set_reactive(DeckPreview.deck, deck)

    def compose(self) -> ComposeResult:
        """The preview's text."""
        yield Static(preview_content(self.deck), classes="deck-preview-body", markup=False)

    def watch_deck(self, deck: Deck | None) -> None:
        """Show another deck, from its top."""
        if not self.is_mounted:
            return
        self.query_one(".deck-preview-body", Static).update(preview_content(deck))
        self.scroll_home(animate=False)
