"""The decks shipped in decks/: each is valid, well formed, and as big as the issue asks."""

from __future__ import annotations

from pathlib import Path

import pytest

from reciprocity.cli import main
from reciprocity.deck import TAGS, CardKind, Deck, load_deck
from reciprocity.deck_files import shipped_decks_dir

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
    assert deck.move_on_clock  # as the paper's sets: every pair moves on with the clock


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: p.stem)
def test_ruling_out_any_one_tag_leaves_every_level_enough_to_play(path: Path) -> None:
    # Stricter than `deck check`, which spares the deepest level: pairs may stay there long.
    deck = load_deck(path)
    needed = 2 * deck.advance_after
    thin = [
        (number, tag, sum(tag not in card.tags for card in level.cards))
        for number, level in enumerate(deck.levels, start=1)
        for tag in {tag for card in level.cards for tag in card.tags}
        if sum(tag not in card.tags for card in level.cards) < needed
    ]
    assert thin == []


def level_of(deck: Deck, card_id: str) -> int:
    for number, level in enumerate(deck.levels, start=1):
        if any(card.id == card_id for card in level.cards):
            return number
    raise AssertionError(f"{card_id} is not in {deck.id}")


def test_after_betrayal_says_first_who_it_is_not_for_and_where_to_find_help() -> None:
    deck = shipped("after-betrayal")
    first = deck.content_notes[0]
    assert "afraid" in first
    assert all(word in first for word in ("helpline", "doctor", "counsellor"))
    assert "afraid" in deck.description


def test_after_betrayal_offers_outside_help_and_privacy_early() -> None:
    deck = shipped("after-betrayal")
    assert level_of(deck, "ahead-13") <= 2
    assert level_of(deck, "ahead-07") <= 2


def test_the_paradox_credits_the_line_it_paraphrases() -> None:
    description = shipped("the-paradox").description
    assert "price of admission for intimacy" in description
    assert "paraphrased from an essay" in description


def test_friends_has_content_notes() -> None:
    assert len(shipped("friends").content_notes) >= 3


def test_fast_friends_openings_vary() -> None:
    cards = [card for level in shipped("fast-friends").levels for card in level.cards]
    openers = [card.text.split()[0] for card in cards]
    assert max(openers.count(word) for word in set(openers)) <= len(cards) // 4
