"""The decks shipped in decks/: each is valid, well formed, and as big as the issue asks."""

from __future__ import annotations

from pathlib import Path

import pytest

from reciprocity.cli import main
from reciprocity.deck import TAGS, CardKind, Deck, load_deck
from reciprocity.library import shipped_decks_dir

SHIPPED = ["first-steps", "the-paradox", "after-betrayal", "friends", "fast-friends"]
ALL_FILES = sorted(shipped_decks_dir().glob("*.toml"))


def shipped(name: str) -> Deck:
    return load_deck(shipped_decks_dir() / f"{name}.toml")


def test_every_named_deck_is_shipped() -> None:
    missing = [name for name in SHIPPED if not (shipped_decks_dir() / f"{name}.toml").is_file()]
    assert missing == [], f"missing from {shipped_decks_dir()}: {missing}"


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: p.stem)
def test_deck_passes_check_without_warnings(capsys: pytest.CaptureFixture[str], path: Path) -> None:
    code = main(["deck", "check", str(path)])

    out, err = capsys.readouterr()
    assert (code, err) == (0, ""), err
    assert out.startswith(f"{path}: ok (")


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: p.stem)
def test_deck_id_matches_its_file_name(path: Path) -> None:
    assert load_deck(path).id == path.stem


def test_deck_ids_are_unique() -> None:
    ids = [load_deck(path).id for path in ALL_FILES]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: p.stem)
def test_deck_uses_only_shared_tags(path: Path) -> None:
    assert set(load_deck(path).tags()) <= set(TAGS)


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: p.stem)
def test_deck_mixes_questions_and_actions(path: Path) -> None:
    deck = load_deck(path)
    kinds = {card.kind for level in deck.levels for card in level.cards}
    assert kinds == {CardKind.QUESTION, CardKind.ACTION}


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: p.stem)
def test_no_card_text_repeats_in_a_deck(path: Path) -> None:
    deck = load_deck(path)
    texts = [card.text.casefold() for level in deck.levels for card in level.cards]
    assert len(texts) == len(set(texts))


def test_shipped_decks_hold_at_least_220_cards() -> None:
    assert sum(shipped(name).card_count for name in SHIPPED) >= 220


def level_sizes(deck: Deck) -> list[int]:
    return [len(level.cards) for level in deck.levels]


def test_first_steps_has_5_levels_of_at_least_12() -> None:
    sizes = level_sizes(shipped("first-steps"))
    assert len(sizes) == 5
    assert min(sizes) >= 12


def test_the_paradox_has_5_levels_of_at_least_10() -> None:
    sizes = level_sizes(shipped("the-paradox"))
    assert len(sizes) == 5
    assert min(sizes) >= 10


def test_after_betrayal_is_slow_with_content_notes() -> None:
    deck = shipped("after-betrayal")
    assert deck.depth >= 4
    assert min(level_sizes(deck)) >= 10
    assert deck.advance_after == 3
    assert deck.content_notes


def test_friends_has_at_least_4_levels_of_at_least_10() -> None:
    sizes = level_sizes(shipped("friends"))
    assert len(sizes) >= 4
    assert min(sizes) >= 10


def test_fast_friends_has_3_levels_of_12_paced_at_15_minutes() -> None:
    deck = shipped("fast-friends")
    assert level_sizes(deck) == [12, 12, 12]
    assert deck.pace_minutes == 15
