"""What hosting or joining a game needs, as a form or the command line gives it: plain data,
light to import, for the screens that fill it in and `hosting.open_game` that acts on it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reciprocity.deck import Deck


@dataclass(frozen=True)
class HostChoice:
    """What hosting needs: the deck, the host's name, and where the relay is."""

    deck: Deck
    name: str
    #: A running relay's address, or None to start one in this program.
    relay: str | None
    checkin: bool
    #: True when the partners talk on a call and do not type their answers.
    aloud: bool
    #: The port of the relay started here when `relay` is None.
    port: int = 8765
    #: The address of the web page that lets a partner join from a browser (`--web`), if any.
    web: str | None = None


@dataclass(frozen=True)
class JoinChoice:
    """What joining needs: the code, the partner's name, and where the relay is."""

    code: str
    name: str
    relay: str
    #: True when the partners talk on a call and do not type their answers.
    aloud: bool
