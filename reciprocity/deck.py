"""Decks: pydantic models of a deck file, loading from TOML, and precise error messages.

A deck is a TOML file with a few fields about the deck, then levels from light to deep,
each holding cards::

    id = "my-deck"
    title = "My deck"
    ...

    [[levels]]
    name = "Warming up"
    intent = "Easy questions to get talking."

    [[levels.cards]]
    id = "warm-01"
    text = "What made you smile this week?"
"""

from __future__ import annotations

import json
import shlex
import tomllib
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from reciprocity import ReciprocityError

SLUG = r"^[a-z0-9]+(-[a-z0-9]+)*$"
_BOM = b"\xef\xbb\xbf"

#: The tags shipped decks use, so that a partner's "lines" mean the same in every deck.
TAGS: dict[str, str] = {
    "family": "parents, siblings, the family you grew up in",
    "childhood": "memories from growing up",
    "body": "how you feel about your body and appearance",
    "health": "illness, mental health, caring for yourself",
    "loss": "grief, death, endings",
    "money": "money, work worries, security",
    "work": "jobs, ambitions, how you spend your days",
    "beliefs": "faith, values, what you hold sacred",
    "past-relationships": "former partners and old loves",
    "conflict": "arguments, anger, how you fight",
    "fears": "what frightens you, rejection, being hurt",
    "trust": "trust, betrayal and rebuilding it",
    "future": "plans, hopes, where life is going",
    "regret": "things you wish had gone differently",
    "touch": "action cards with physical contact, such as holding hands",
    "eye-contact": "action cards with sustained eye contact",
    "romance": "romantic and sexual closeness, kept warm and never crude",
}


class CardKind(StrEnum):
    """A question to talk about, or an action to do together."""

    QUESTION = "question"
    ACTION = "action"


Slug = Annotated[str, Field(pattern=SLUG, min_length=1, max_length=40)]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class Card(_Model):
    """One card: something to answer or to do together."""

    id: Slug = Field(description="Unique in the deck, such as `warm-01`.")
    text: str = Field(min_length=1, max_length=400, description="What the sharer reads.")
    kind: CardKind = Field(default=CardKind.QUESTION, description="`question` or `action`.")
    tags: tuple[Slug, ...] = Field(
        default=(), description="Topic tags, so partners can leave topics out."
    )


class Level(_Model):
    """One level of depth; level 1 is the lightest."""

    name: str = Field(min_length=1, max_length=60)
    intent: str = Field(min_length=1, max_length=200, description="One line: what it is for.")
    cards: tuple[Card, ...] = Field(min_length=1)


class Deck(_Model):
    """A deck of cards in levels, from light to deep."""

    id: Slug
    title: str = Field(min_length=1, max_length=80)
    description: str = Field(default="", max_length=1000)
    author: str = Field(default="", max_length=120)
    language: str = Field(default="en", pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]+)*$")
    advance_after: int = Field(
        default=2,
        ge=1,
        le=10,
        description="Supported shares each partner needs at a level before the pair goes deeper.",
    )
    pace_minutes: int | None = Field(
        default=None, ge=1, le=240, description="Optional facilitator pacing: minutes per level."
    )
    move_on_clock: bool = Field(
        default=False,
        strict=True,
        description="In a facilitated session, every pair moves to each level the clock opens "
        "(never past their own limits). Needs `pace_minutes`.",
    )
    content_notes: tuple[str, ...] = Field(
        default=(), description="Shown before play, such as `infidelity`."
    )
    levels: tuple[Level, ...] = Field(min_length=1, max_length=10)

    @model_validator(mode="after")
    def _unique_card_ids(self) -> Deck:
        seen: dict[str, int] = {}
        for number, level in enumerate(self.levels, start=1):
            for card in level.cards:
                if card.id in seen:
                    raise ValueError(
                        f"level {number}, card `{card.id}`: this id is already used in level "
                        f"{seen[card.id]}; give each card its own id"
                    )
                seen[card.id] = number
        return self

    @model_validator(mode="after")
    def _clock_has_pace(self) -> Deck:
        if self.move_on_clock and self.pace_minutes is None:
            raise ValueError(
                "`move_on_clock = true` needs `pace_minutes`, the minutes each level lasts"
            )
        return self

    @property
    def depth(self) -> int:
        """The deepest level's number."""
        return len(self.levels)

    @property
    def card_count(self) -> int:
        """How many cards the deck holds in all."""
        return sum(len(level.cards) for level in self.levels)

    def card(self, card_id: str) -> Card:
        """The card with this id; raises KeyError if there is none."""
        for level in self.levels:
            for card in level.cards:
                if card.id == card_id:
                    return card
        raise KeyError(card_id)

    def tags(self) -> list[str]:
        """Every tag used in the deck, sorted."""
        return sorted({tag for level in self.levels for card in level.cards for tag in card.tags})


class DeckError(ReciprocityError):
    """A deck that cannot be used. Each problem is one line naming the file and the place."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def parse_deck(text: str, source: str = "<deck>") -> Deck:
    """Parse TOML text into a Deck, or raise DeckError with one line per problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise DeckError([f"{source}: this is not valid TOML: {error}"]) from None
    try:
        return Deck.model_validate(data)
    except ValidationError as error:
        problems = [item for item in error.errors() if not _is_cascade(item)]
        raise DeckError([f"{source}: {_describe(data, item)}" for item in problems]) from None


def load_deck(path: Path, shown: str | None = None) -> Deck:
    """Read and validate a deck file; `shown` is how messages name it (default: the path)."""
    shown = str(path) if shown is None else shown
    return parse_deck(_read_text(path, shown), shown)


def _read_text(path: Path, shown: str) -> str:
    """The text of a deck file, or DeckError saying plainly why it cannot be read."""
    if path.is_dir():
        raise DeckError(
            [
                f"{shown}: is a folder, not a deck file; to check the decks in it, give their "
                f"paths, such as {shlex.quote(str(path))}/*.toml"
            ]
        )
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DeckError([f"{shown}: no such file; check the path and the spelling"]) from None
    except OSError as error:
        raise DeckError([f"{shown}: cannot read it ({error.strerror or error})"]) from None
    if data.startswith(_BOM):
        raise DeckError(
            [f"{shown}: starts with an invisible byte-order mark; save it as UTF-8 without BOM"]
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise DeckError(
            [f"{shown}: line {line} is not UTF-8 text; save the file as UTF-8 in your editor"]
        ) from None


def deck_schema() -> str:
    """The JSON schema of a deck file, for editors to validate and complete against."""
    schema = Deck.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Reciprocity deck"
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def _describe(data: Any, item: Any) -> str:
    """Turn one pydantic error into 'level 3, card `deep-07`: text: what to change'."""
    loc: tuple[int | str, ...] = tuple(item["loc"])
    place: list[str] = []
    field = ""
    node = data
    i = 0
    while i < len(loc):
        key = loc[i]
        if key == "levels" and i + 1 < len(loc) and isinstance(loc[i + 1], int):
            index = int(loc[i + 1])
            place.append(f"level {index + 1}")
            node = _child(_child(node, "levels"), index)
            i += 2
        elif key == "cards" and i + 1 < len(loc) and isinstance(loc[i + 1], int):
            index = int(loc[i + 1])
            node = _child(_child(node, "cards"), index)
            card_id = node.get("id") if isinstance(node, dict) else None
            place.append(f"card `{card_id}`" if isinstance(card_id, str) else f"card {index + 1}")
            i += 2
        else:
            field = ".".join(str(part) for part in loc[i:])
            break
    message = _friendly(item, field)
    where = ", ".join(place)
    return f"{where}: {message}" if where else message


_RANGES = {"advance_after": (1, 10), "pace_minutes": (1, 240)}


def _is_cascade(item: Any) -> bool:
    """A list that is only 'too short' because its broken items were dropped."""
    return item["type"] == "too_short" and bool(item.get("input"))


def _child(node: Any, key: str | int) -> Any:
    try:
        return node[key]
    except (KeyError, IndexError, TypeError):
        return None


def _friendly(item: Any, field: str) -> str:
    kind = item["type"]
    ctx = item.get("ctx") or {}
    name = field.split(".")[0] if field else ""
    if kind == "missing":
        return f"`{field}` is missing; add it"
    if kind == "extra_forbidden":
        return f"`{field}` is not a deck field; remove it or check its spelling"
    if kind == "string_pattern_mismatch" and name in {"id", "tags"}:
        what = "a tag" if name == "tags" else f"`{field}`"
        return (
            f"{what} must be lowercase letters, digits and single hyphens "
            f"(like `deep-07`), not {item['input']!r}"
        )
    if kind == "enum":
        expected = ctx.get("expected", "one of the allowed values")
        return f"`{field}` must be {expected}, not {item['input']!r}"
    if kind == "tuple_type" and name == "tags":
        return '`tags` must be a list, like `tags = ["family"]`'
    if kind == "tuple_type" and name == "levels":
        return "`levels` must be tables: write each level as `[[levels]]` (double brackets)"
    if kind == "tuple_type" and name == "cards":
        return "`cards` must be tables: write each card as `[[levels.cards]]`"
    if kind in {"model_type", "dataclass_type", "dict_type"}:
        return f"`{field or 'this'}` must be a table of fields, like `[[levels.cards]]`"
    if kind in {"greater_than_equal", "less_than_equal"} and name in _RANGES:
        low, high = _RANGES[name]
        return f"`{field}` must be a whole number from {low} to {high}"
    if kind in {"int_type", "int_parsing", "int_from_float"}:
        return f"`{field}` must be a whole number, not {item['input']!r}"
    if kind == "bool_type":
        return f"`{field}` must be true or false, not {item['input']!r}"
    if kind in {"string_type"}:
        return f'`{field}` must be text in quotes, like `{name} = "..."`'
    if kind == "too_short" and name in {"cards", "levels"}:
        return f"`{field}` is empty; add at least one"
    if kind == "string_too_short":
        return f"`{field}` is empty; write something"
    if kind == "string_too_long":
        return f"`{field}` is too long; keep it to {ctx.get('max_length')} characters"
    if kind == "value_error":
        return str(ctx.get("error", item["msg"]))
    prefix = f"`{field}`: " if field else ""
    return prefix + str(item["msg"]).rstrip(".").lower()
