"""`reciprocity deck list|show|check|schema|new`: the decks there are, a preview, a check
that says precisely what to fix, the schema for editors, and a template to start from."""

from __future__ import annotations

import argparse
import shlex
import shutil
import sys
import textwrap
from collections import Counter
from collections.abc import Container, Iterable, Sequence
from pathlib import Path

from reciprocity.deck import TAGS, Card, CardKind, Deck, Level, deck_schema
from reciprocity.deck_files import (
    CheckResult,
    DeckEntry,
    available_decks,
    check_deck_file,
    find_deck,
)
from reciprocity.paths import user_decks_dir
from reciprocity.text import fit, plural

# --- `reciprocity deck ...` ------------------------------------------------------------

#: Output is wrapped to fit this many columns, or the terminal if it is narrower.
MAX_WIDTH = 80
_BOM = b"\xef\xbb\xbf"


def deck_command(args: argparse.Namespace) -> int:
    """Run `reciprocity deck ACTION` and return the exit code."""
    match args.deck_command:
        case None:
            sys.stdout.write(args.deck_help())
            return 0
        case "list":
            return list_command()
        case "show":
            return show_command(args.name, cards=args.cards)
        case "check":
            return check_command([str(path) for path in args.paths])
        case "schema":
            sys.stdout.write(deck_schema())
            return 0
        case "new":
            return new_command(args.path)
    raise ValueError(f"unknown deck command {args.deck_command!r}")  # pragma: no cover


def _out(lines: Iterable[str]) -> None:
    for line in lines:
        print(line)


def _fail(message: str) -> int:
    print(f"reciprocity: {message}", file=sys.stderr)
    return 1


def _width() -> int:
    """The width to wrap to: the terminal's, at most MAX_WIDTH and at least 40."""
    return max(40, min(MAX_WIDTH, shutil.get_terminal_size((MAX_WIDTH, 24)).columns))


def _wrap(text: str, width: int, indent: str = "", first: str | None = None) -> list[str]:
    """Wrap one paragraph; `first` replaces the indent on the first line."""
    return textwrap.wrap(
        " ".join(text.split()),
        width=width,
        initial_indent=indent if first is None else first,
        subsequent_indent=indent,
        break_on_hyphens=False,
    ) or [(indent if first is None else first).rstrip()]


def _paragraphs(text: str, width: int, indent: str = "") -> list[str]:
    """Wrap text paragraph by paragraph; a blank line separates paragraphs."""
    lines: list[str] = []
    for paragraph in (p for p in text.split("\n\n") if p.strip()):
        if lines:
            lines.append("")
        lines.extend(_wrap(paragraph, width, indent))
    return lines


def _field(label: str, value: str, width: int, label_width: int = 15) -> list[str]:
    """`Label:   value`, the value wrapped under itself."""
    return _wrap(value, width, " " * label_width, f"{label + ':':<{label_width}}")


def _list_field(label: str, items: Sequence[str], width: int, label_width: int = 15) -> list[str]:
    """`Label:   first item`, then one item a line under it; a long item wraps indented."""
    lines: list[str] = []
    for i, item in enumerate(items):
        first = f"{label + ':':<{label_width}}" if i == 0 else " " * label_width
        lines += _wrap(item, width, " " * (label_width + 2), first)
    return lines


def _table(
    header: Sequence[str], rows: Sequence[Sequence[str]], width: int, right: Container[int]
) -> list[str]:
    """An aligned table; the columns in `right` align right, and the second shrinks to fit."""
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    overflow = sum(widths) + 2 * (len(widths) - 1) - width
    if overflow > 0 and len(widths) > 1:
        widths[1] = max(len(header[1]), widths[1] - overflow)
    return [
        "  ".join(
            fit(cell, widths[i]).rjust(widths[i])
            if i in right
            else fit(cell, widths[i]).ljust(widths[i])
            for i, cell in enumerate(row)
        ).rstrip()
        for row in (header, *rows)
    ]


def _mix(cards: Sequence[Card]) -> str:
    """`10 questions, 2 actions`, leaving out a kind there is none of."""
    questions = sum(card.kind is CardKind.QUESTION for card in cards)
    parts = [plural(questions, "question"), plural(len(cards) - questions, "action")]
    return ", ".join(part for part in parts if not part.startswith("0 "))


def _quote(path: Path) -> str:
    return shlex.quote(str(path))


# --- deck list -------------------------------------------------------------------------


def list_command() -> int:
    """Print the decks there are, as a table, with notes on the broken ones."""
    _out(deck_list_lines(available_decks(), user_decks_dir(), _width()))
    return 0


def deck_list_lines(entries: Sequence[DeckEntry], folder: Path, width: int) -> list[str]:
    """The table `deck list` prints, then a line for each deck that needs attention."""
    rows = [
        [e.deck.id, e.deck.title, str(e.deck.depth), str(e.deck.card_count), _source(e)]
        for e in entries
        if e.deck is not None
    ]
    header = ["DECK", "TITLE", "LEVELS", "CARDS", "FROM"]
    lines = _table(header, rows, width, right={2, 3}) if rows else []
    notes = [*_broken_notes(entries), *_shadow_notes(entries, width)]
    if notes:
        lines += ["", *notes]
    lines += ["", "Your decks folder:", f"  {folder}"]
    if not any(not e.shipped for e in entries):
        lines += ["It is empty. Start a deck there with:"]
        lines += [f"  reciprocity deck new {_quote(folder / 'my-deck.toml')}"]
    lines += ["", "Preview one with: reciprocity deck show DECK"]
    return lines


def _source(entry: DeckEntry) -> str:
    return "shipped" if entry.shipped else "yours"


def _broken_notes(entries: Sequence[DeckEntry]) -> list[str]:
    notes: list[str] = []
    for entry in entries:
        if entry.deck is None:
            notes += [
                f"{entry.path.name} ({_source(entry)}) has problems; to see them, run:",
                f"  reciprocity deck check {_quote(entry.path)}",
            ]
    return notes


def _shadow_notes(entries: Sequence[DeckEntry], width: int) -> list[str]:
    """Notes on decks whose id an earlier deck already uses, so `--deck ID` picks the other."""
    first: dict[str, DeckEntry] = {}
    notes: list[str] = []
    for entry in entries:
        if entry.deck is None:
            continue
        if entry.deck.id in first:
            notes += _wrap(
                f"{entry.path.name} ({_source(entry)}) has the same id as "
                f"{first[entry.deck.id].path.name}, which `--deck {entry.deck.id}` picks; "
                "give it its own id",
                width,
                "  ",
                "",
            )
        else:
            first[entry.deck.id] = entry
    return notes


# --- deck show -------------------------------------------------------------------------


def show_command(name: str, *, cards: bool = False) -> int:
    """Print a preview of a deck, and every card with `cards`."""
    deck = find_deck(name)
    _out(deck_preview_lines(deck, _width(), cards=cards))
    if not cards:
        print(f"\nEvery card: reciprocity deck show {shlex.quote(name)} --cards")
    return 0


def deck_preview_lines(deck: Deck, width: int, *, cards: bool = False) -> list[str]:
    """What `deck show` prints: about the deck, its levels (and cards), and its tags."""
    all_cards = [card for level in deck.levels for card in level.cards]
    lines = [fit(deck.title, width), "=" * min(width, len(deck.title))]
    if deck.description.strip():
        lines += ["", *_paragraphs(deck.description, width)]
    lines += [""]
    lines += _field("Deck id", deck.id, width)
    lines += _field("Author", deck.author or "not given", width)
    lines += _field("Language", deck.language, width)
    lines += _field(
        "Cards", f"{len(all_cards)} in {plural(deck.depth, 'level')}: {_mix(all_cards)}", width
    )
    lines += _field(
        "Going deeper",
        f"after {plural(deck.advance_after, 'supported share')} each at a level",
        width,
    )
    pacing = f"{plural(deck.pace_minutes, 'minute')} a level" if deck.pace_minutes else "none"
    if deck.move_on_clock:
        pacing += "; in a session, every pair moves on with the clock"
    lines += _field("Pacing", pacing, width)
    lines += _list_field("Content notes", deck.content_notes or ("none",), width)
    for number, level in enumerate(deck.levels, start=1):
        lines += ["", *_level_lines(number, level, width, cards=cards)]
    return [*lines, "", *_tag_lines(all_cards, width)]


def _level_lines(number: int, level: Level, width: int, *, cards: bool) -> list[str]:
    count = f"{plural(len(level.cards), 'card')}: {_mix(level.cards)}"
    head = f"Level {number}: {level.name} ({count})"
    lines = [*_wrap(head, width, "  ", ""), *_wrap(level.intent, width, "  ")]
    if cards:
        for card in level.cards:
            lines += ["", *_card_lines(card, width)]
    return lines


def _card_lines(card: Card, width: int) -> list[str]:
    head = " · ".join([card.id, card.kind.value, *([", ".join(card.tags)] if card.tags else [])])
    return [*_wrap(head, width, "      ", "  "), *_wrap(card.text, width, "    ")]


def _tag_lines(cards: Sequence[Card], width: int) -> list[str]:
    counts = Counter(tag for card in cards for tag in card.tags)
    if not counts:
        return ["Tags used:     none, so a partner's lines leave every card in"]
    items = [f"{tag}{'' if tag in TAGS else '*'} ({n})" for tag, n in sorted(counts.items())]
    lines = _wrap_items(items, width, " " * 15, f"{'Tags used:':<15}")
    if any(tag not in TAGS for tag in counts):
        lines += _wrap("* not a shared tag; `reciprocity deck check` says more", width, " " * 15)
    return lines


def _wrap_items(items: Sequence[str], width: int, indent: str, first: str) -> list[str]:
    """Items joined by commas and wrapped between items, never inside one."""
    lines = [first]
    fresh = True
    for i, item in enumerate(items):
        piece = item + ("," if i < len(items) - 1 else "")
        if not fresh and len(lines[-1]) + 1 + len(piece) > width:
            lines.append(indent)
            fresh = True
        lines[-1] += piece if fresh else " " + piece
        fresh = False
    return lines


# --- deck check ------------------------------------------------------------------------


def check_command(paths: Sequence[str]) -> int:
    """Check deck files: one line per problem or warning, `PATH: ok (...)` for good ones."""
    broken = False
    unknown_tags = False
    for shown in paths:
        result = check_deck_file(Path(shown).expanduser(), shown)
        for line in (*result.problems, *result.warnings):
            print(line, file=sys.stderr)
        unknown_tags |= result.deck is not None and not set(result.deck.tags()) <= set(TAGS)
        if result.deck is None:
            broken = True
        else:
            print(_ok_line(shown, result))
    if unknown_tags:
        for line in _wrap(f"The shared tags are: {', '.join(TAGS)}.", _width()):
            print(line, file=sys.stderr)
    return 1 if broken else 0


def _ok_line(shown: str, result: CheckResult) -> str:
    assert result.deck is not None
    counts = f"{plural(result.deck.depth, 'level')}, {plural(result.deck.card_count, 'card')}"
    warned = f", with {plural(len(result.warnings), 'warning')}" if result.warnings else ""
    return f"{shown}: ok ({counts}){warned}"


# --- deck new --------------------------------------------------------------------------


def new_command(target: str) -> int:
    """Write a commented deck template to a new file, then say what to do next."""
    path = Path(target).expanduser()
    problem = _new_path_problem(path, target)
    if problem:
        return _fail(problem)
    try:
        with path.open("x", encoding="utf-8") as file:
            file.write(deck_template(_slug(path.stem), shlex.quote(path.name)))
    except FileExistsError:
        return _fail(f"{target} already exists; choose another name, or move it aside first")
    except OSError as error:
        return _fail(f"{target}: cannot write it ({error.strerror or error})")
    _out(_new_lines(path, target, _width()))
    return 0


def _new_path_problem(path: Path, target: str) -> str | None:
    """Why `deck new` cannot write to this path, or None."""
    if path.is_dir():
        example = shlex.quote(str(Path(target) / "my-deck.toml"))
        return f"{target} is a folder; give the new file's name too, such as {example}"
    if path.suffix != ".toml":
        suggestion = Path(target).parent / f"{Path(target).stem}.toml"
        return f"{target}: a deck file's name ends in .toml; try {suggestion}"
    if not path.parent.is_dir():
        return f"{target}: the folder {path.parent} does not exist; create it first"
    return None


def _new_lines(path: Path, shown: str, width: int) -> list[str]:
    quoted = shlex.quote(shown)
    lines = [
        *_wrap(f"Wrote {shown}: a deck of 2 levels with example cards to make your own.", width),
        "",
        "Next: open it in a text editor and change what you like. Then check it:",
        f"  reciprocity deck check {quoted}",
        "and play it:",
        f"  reciprocity play --deck {quoted}",
        "",
    ]
    folder = user_decks_dir().resolve()
    if path.resolve().parent == folder:
        lines += _wrap("It is in your decks folder, so `reciprocity deck list` shows it.", width)
    else:
        lines += _wrap(
            "To see it in `reciprocity deck list` and the game's deck picker, move it into "
            "your decks folder:",
            width,
        )
        lines += [f"  {folder}"]
    return lines


def _slug(name: str) -> str:
    """A valid deck id made from a file name: `My Deck (2)` becomes `my-deck-2`."""
    words = "".join(c if c.isascii() and c.isalnum() else " " for c in name.lower()).split()
    return "-".join(words)[:40].strip("-") or "my-deck"


def deck_template(deck_id: str = "my-deck", filename: str = "my-deck.toml") -> str:
    """A commented deck to start from, which passes `deck check` as it stands."""
    title = deck_id.replace("-", " ").capitalize()
    tags = "\n".join(_wrap_items(list(TAGS), 79, "#          ", "#          "))
    return _TEMPLATE.format(deck_id=deck_id, title=title, tags=tags, filename=filename)


_TEMPLATE = """\
# A Reciprocity deck. Lines starting with # are notes for you, not the game.
# Change anything you like, keeping the shape: name = "text in double quotes".
# When you are done, check the file (it says exactly what to fix, if anything):
#     reciprocity deck check {filename}
# The deck guide, docs/decks.md in Reciprocity's repository, explains it all.

# --- About the deck -----------------------------------------------------------

# The deck's id: lowercase letters, digits and hyphens, up to 40 characters.
# Once the file is in your decks folder (`reciprocity deck list` says where),
# you can choose the deck by its id: reciprocity play --deck {deck_id}
id = "{deck_id}"

# The name people see when they choose a deck.
title = "{title}"

# A few sentences on who the deck is for and how it feels to play.
description = "For two people who want to know each other a little better."

# Your name, or your practice's (optional).
author = ""

# The language the cards are written in: "en", "de", "pt-BR" and so on.
language = "en"

# How many of their shares EACH partner needs met with support at a level
# before the pair goes one level deeper: 1 to 10. 2 is usual; 3 is slower.
advance_after = 2

# Optional: minutes per level, for a facilitator who opens levels on a timer.
# To use it, delete the # at the start of the next line.
# pace_minutes = 15
# And, with it: in a facilitated session, move every pair to each level as the
# clock opens it (as the 36-question study's sets do), never past their limits.
# move_on_clock = true

# Topics players should know about before they start; shown before play.
# For example: content_notes = ["grief and loss", "infidelity"]
content_notes = []

# --- Levels -------------------------------------------------------------------
# Each [[levels]] starts a level, lightest first, deepest last (up to 10).
# A level has a name, a one-line intent and its cards.
#
# Each [[levels.cards]] adds a card to the level above it:
#   id   - unique in the deck: lowercase letters, digits and hyphens.
#   text - what the sharer reads, up to 400 characters.
#   kind - "question" (talk about it) or "action" (do it together).
#   tags - optional topics, so a partner can keep them out of the game.
#          Use the shared tags:
{tags}

[[levels]]
name = "Warming up"
intent = "Easy questions to get you both talking."

[[levels.cards]]
id = "warm-01"
kind = "question"
text = "What small thing made today a little better than it might have been?"

[[levels.cards]]
id = "warm-02"
kind = "question"
text = "If you had a free afternoon tomorrow, where would you spend it?"

[[levels.cards]]
id = "warm-03"
kind = "question"
tags = ["childhood"]
text = "What game did you play for hours as a child, and who played with you?"

[[levels.cards]]
id = "warm-04"
kind = "action"
text = "Each say one thing you noticed about the other today, no explaining."

[[levels.cards]]
id = "warm-05"
kind = "question"
text = "Which song, smell or place puts you in a good mood without fail?"

[[levels]]
name = "A little closer"
intent = "What you carry, and what you value in each other."

[[levels.cards]]
id = "close-01"
kind = "question"
text = "What have you been carrying lately that you haven't said out loud yet?"

[[levels.cards]]
id = "close-02"
kind = "question"
tags = ["family"]
text = "Who in your family showed you what kindness looks like, and how?"

[[levels.cards]]
id = "close-03"
kind = "action"
tags = ["eye-contact"]
text = "Look at each other for thirty seconds in silence. Then say how it felt."
"""
