"""Dealing cards: which levels the sharer may draw from, and which card comes. No I/O.

A card is never one dealt before in the game, nor one carrying either partner's lines. Cards
come from a generator seeded with the game's seed and the number of draws so far, so a replay
needs no randomness: the card is in the event.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

from reciprocity.engine.errors import IllegalMove
from reciprocity.engine.messages import CardDealt, CardPassed
from reciprocity.engine.state import GameState, Phase


def drawable_levels(state: GameState) -> list[int]:
    """The levels the sharer may draw from now, lightest first; empty when no card is left.

    Normally the current level. After a pass, one level lighter too. When the current level
    has no card left, the nearest lighter and deeper levels (within reach) that do.
    """
    if state.phase is not Phase.DRAW:
        return []
    here = state.level
    offered = {here}
    if state.passed_this_turn and here > 1:
        offered.add(here - 1)
    if not _any_card(state, here):
        lighter = next((lv for lv in range(here - 1, 0, -1) if _any_card(state, lv)), None)
        deeper = next((lv for lv in range(here + 1, state.reach + 1) if _any_card(state, lv)), None)
        offered |= {lv for lv in (lighter, deeper) if lv is not None}
    return sorted(lv for lv in offered if _any_card(state, lv))


def deal(state: GameState, level: int | None) -> CardDealt:
    offered = drawable_levels(state)
    if not offered:
        raise IllegalMove("No cards are left for this game. You could end it here.")
    wanted = state.level if level is None else level
    if wanted not in offered:
        choices = " or ".join(str(lv) for lv in offered)
        if not eligible(state, state.level):
            raise IllegalMove(
                f"No cards are left at level {state.level}. You can draw from level {choices}."
            )
        raise IllegalMove(f"You can draw from level {choices}.")
    cards = eligible(state, wanted)
    card = random.Random(f"{state.seed}:{state.draws}").choice(cards)
    return CardDealt(seat=state.sharer, card=card, level=wanted)


def eligible(state: GameState, level: int) -> list[str]:
    """Cards at a level not dealt yet and carrying none of either partner's lines."""
    return list(_eligible(state, level))


def _any_card(state: GameState, level: int) -> bool:
    """Whether a level has a card `eligible` would offer; it stops at the first."""
    return any(True for _ in _eligible(state, level))


def _eligible(state: GameState, level: int) -> Iterator[str]:
    if not 1 <= level <= state.deck.depth:
        return
    dealt, lines = state.dealt, state.lines
    for card in state.deck.levels[level - 1].cards:
        if card.id not in dealt and lines.isdisjoint(card.tags):
            yield card.id


def passed_card(state: GameState) -> CardPassed:
    assert state.card is not None and state.card_level is not None
    return CardPassed(seat=state.sharer, card=state.card, level=state.card_level)
