"""Decks on disk: those shipped with Reciprocity and those in a person's deck folder, found
by id or path, and checked with the warnings `reciprocity deck check` prints."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from reciprocity.deck import TAGS, Deck, DeckError, load_deck
from reciprocity.paths import user_decks_dir
from reciprocity.text import plural


def shipped_decks_dir() -> Path:
    """The folder of shipped decks: inside the installed package, or at the repository's top."""
    package = Path(__file__).resolve().parent
    installed = package / "decks"
    return installed if installed.is_dir() else package.parent / "decks"


@dataclass(frozen=True)
class DeckEntry:
    """A deck file found on disk, with the deck or the reason it cannot be used."""

    path: Path
    shipped: bool
    deck: Deck | None
    problems: tuple[str, ...] = ()


def available_decks() -> list[DeckEntry]:
    """Every shipped deck, then every deck in the user's folder, each loaded and checked."""
    entries: list[DeckEntry] = []
    for folder, shipped in ((shipped_decks_dir(), True), (user_decks_dir(), False)):
        for path in sorted(folder.glob("*.toml")):
            try:
                entries.append(DeckEntry(path, shipped, load_deck(path)))
            except DeckError as error:
                entries.append(DeckEntry(path, shipped, None, tuple(error.problems)))
    return entries


def find_deck(name: str) -> Deck:
    """A deck by id (shipped or in the user's folder) or by path; DeckError if there is none."""
    path = Path(name).expanduser()
    if path.suffix == ".toml" or path.is_file() or "/" in name:
        return load_deck(path)
    for entry in available_decks():
        if entry.deck is not None and entry.deck.id == name:
            return entry.deck
        if entry.path.stem == name and entry.problems:
            raise DeckError(list(entry.problems))
    raise DeckError([f"no deck named {name!r}; `reciprocity deck list` shows the decks there are"])


@dataclass(frozen=True)
class CheckResult:
    """What `deck check` found in one file: the deck if it is usable, problems, warnings."""

    deck: Deck | None
    problems: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


def check_deck_file(path: Path, shown: str | None = None) -> CheckResult:
    """Read and check one deck file, never raising; `shown` is how to name it in messages."""
    shown = str(path) if shown is None else shown
    try:
        deck = load_deck(path, shown)
    except DeckError as error:
        return CheckResult(None, tuple(error.problems))
    return CheckResult(deck, warnings=tuple(f"{shown}: {w}" for w in deck_warnings(deck)))


def deck_warnings(deck: Deck) -> list[str]:
    """Things that do not stop a deck working but that its author should look at."""
    return [*_tag_warnings(deck), *_thin_level_warnings(deck), *_lines_warnings(deck)]


def _tag_warnings(deck: Deck) -> list[str]:
    warnings: list[str] = []
    for number, level in enumerate(deck.levels, start=1):
        for card in level.cards:
            for tag in card.tags:
                if tag not in TAGS:
                    close = difflib.get_close_matches(tag, list(TAGS), n=1)
                    hint = f"; did you mean `{close[0]}`?" if close else "; use a shared tag"
                    warnings.append(
                        f"level {number}, card `{card.id}`: warning: tag `{tag}` is not a "
                        f"shared tag, so partners' lines may not cover it{hint}"
                    )
    return warnings


def _thin_level_warnings(deck: Deck) -> list[str]:
    """Levels (but the deepest) with fewer cards than the shares a pair needs to go deeper."""
    needed = 2 * deck.advance_after
    return [
        f"level {number}: warning: only {plural(len(level.cards), 'card')}, but a pair needs "
        f"{needed} supported shares here ({deck.advance_after} each) to go deeper; add cards"
        for number, level in enumerate(deck.levels[:-1], start=1)
        if len(level.cards) < needed
    ]


def _lines_warnings(deck: Deck) -> list[str]:
    """Levels (but the deepest) left too thin to go deeper when a partner rules out one tag.

    A level already too thin with every card in play has its own warning, so it gets none here.
    """
    needed = 2 * deck.advance_after
    warnings: list[str] = []
    for number, level in enumerate(deck.levels[:-1], start=1):
        if len(level.cards) < needed:
            continue
        tags = sorted({tag for card in level.cards for tag in card.tags})
        for tag in tags:
            left = sum(1 for card in level.cards if tag not in card.tags)
            if left < needed:
                count = plural(left, "card") if left else "no cards"
                warnings.append(
                    f"level {number} ({level.name}): warning: a partner who rules out "
                    f"'{tag}' leaves this level {count}, and a pair needs at "
                    f"least {needed} here to go deeper; add cards without '{tag}', or keep "
                    f"'{tag}' for the cards that are really about it"
                )
    return warnings
