"""Taking back a partner's seat with the code: the seated screen's side. No I/O.

A partner who quit, or whose laptop died, comes back from any screen with the code. The relay
holds such a joiner apart for the away seat, as for a free one, and the screen still seated
checks it with `JoinerCheck` (`PlayerCore._check_joiner`), as a host checks a first joiner.
A proof that matched gives a `Candidate`: the old keys hold until the relay says the seat
moved to that joiner (`seat_moved`, naming its SPAKE2 message). Then `switch_keys` seals the
words not yet answered again, with the new keys, for the new screen: their text is held in
memory for this, never on disk.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

from reciprocity.net.e2e import Channel
from reciprocity.protocol import ClientMessage, Say

#: What the seated screen says once the partner's seat was taken back on another screen.
BACK_ELSEWHERE = "{partner} is back, on another screen."


@dataclass(frozen=True, slots=True)
class Candidate:
    """A joiner for the partner's seat (its SPAKE2 message), and the keys agreed with it once
    its proof matched (None until then)."""

    pake: str
    channel: Channel | None


def switch_keys(
    channel: Channel, outbox: deque[ClientMessage], texts: Iterable[str]
) -> tuple[deque[ClientMessage], dict[int, str], dict[int, str]]:
    """Seal the unanswered words `texts` again, in order, with `channel`, and drop from the
    outbox what the old keys sealed: it could never open on the new screen (the head stays,
    as it may be on its way out already). Returns the outbox, and the sealed words and their
    text by counter."""
    head, rest = list(outbox)[:1], list(outbox)[1:]
    unanswered: dict[int, str] = {}
    resealed: dict[int, str] = {}
    for text in texts:
        unanswered[channel.sent + 1] = channel.seal(text)
        resealed[channel.sent] = text
    kept = [message for message in rest if not isinstance(message, Say)]
    words = [Say(payload=payload) for payload in unanswered.values()]
    return deque([*head, *kept, *words]), unanswered, resealed
