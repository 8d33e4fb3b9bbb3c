"""Replaying 10,000 events into a game state. Prints figures; not a test.

A long game is played with random legal commands on a large generated deck, then its events
are folded again from the start. The baseline, measured in the same run, is a loop that only
walks the events without applying them.

    uv run python bench/replay.py [--events 10000] [--repeats 7]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from reciprocity.deck import Card, Deck, Level
from reciprocity.engine import (
    CheckIn,
    Draw,
    Event,
    Forgive,
    IllegalMove,
    Join,
    LetGo,
    MarkStung,
    MarkSupported,
    NameHurt,
    NotYet,
    Pass,
    Pause,
    Ready,
    Repair,
    Respond,
    Seat,
    SetLimit,
    Share,
    apply,
    decide,
    new_game,
    replay,
)


def big_deck(levels: int = 5, cards: int = 1500) -> Deck:
    """A generated deck large enough for a very long game."""
    return Deck(
        id="bench",
        title="Bench",
        levels=tuple(
            Level(
                name=f"L{lv}",
                intent="bench",
                cards=tuple(Card(id=f"c{lv}-{n}", text="?") for n in range(cards)),
            )
            for lv in range(1, levels + 1)
        ),
    )


def long_game(count: int, seed: int = 1) -> tuple[Deck, list[Event]]:
    """Play random legal commands until `count` events have happened."""
    deck = big_deck()
    state = new_game(deck, seed)
    rng = random.Random(seed)
    commands = [
        Draw(),
        Share(),
        Pass(),
        Respond(),
        MarkSupported(),
        MarkStung(),
        NameHurt(),
        Repair(),
        LetGo(),
        Forgive(),
        NotYet(),
        Pause(),
        Ready(),
    ]
    setup = [
        (seat, command)
        for seat, name in ((Seat.A, "Sam"), (Seat.B, "Ben"))
        for command in (Join(name=name), SetLimit(limit=5), CheckIn(score=4))
    ]
    events: list[Event] = []
    for seat, command in setup:
        produced = decide(state, seat, command)
        for event in produced:
            state = apply(state, event)
        events += produced
    while len(events) < count:
        seat = rng.choice(list(Seat))
        command = rng.choice(commands)
        if isinstance(command, Pause) and rng.random() < 0.9:
            continue
        try:
            produced = decide(state, seat, command)
        except IllegalMove:
            continue
        for event in produced:
            state = apply(state, event)
        events += produced
    return deck, events[:count]


def main() -> None:
    """Time the fold, best and median of several repeats."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    deck, events = long_game(args.events)
    start_state = new_game(deck, 1)
    fold, walk = [], []
    for _ in range(args.repeats):
        began = time.perf_counter()
        final = replay(start_state, events)
        fold.append(time.perf_counter() - began)
        began = time.perf_counter()
        for event in events:
            type(event)
        walk.append(time.perf_counter() - began)
    print(f"events replayed    {len(events)} (turns in the game: {final.turns})")
    print(
        f"replay             median {statistics.median(fold) * 1000:6.1f} ms"
        f"   best {min(fold) * 1000:6.1f} ms   target: at most 100 ms"
    )
    print(f"baseline (walk)    median {statistics.median(walk) * 1000:6.1f} ms")
    per_event = statistics.median(fold) / len(events) * 1e6
    print(f"per event          {per_event:.1f} µs")


if __name__ == "__main__":
    main()
