"""The rules of Reciprocity as a pure state machine.

`decide(state, seat, command)` returns the events a command causes, or raises `IllegalMove`;
`apply(state, event)` folds one event into the state. The engine knows nothing of terminals,
sockets, clocks or disks.

The names below are imported from their modules when first used (PEP 562): a screen that needs
only `Seat` does not build every command and event class on its way to the first paint.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reciprocity.engine.dealing import drawable_levels
    from reciprocity.engine.errors import IllegalMove
    from reciprocity.engine.messages import (
        CardDealt,
        CardPassed,
        CheckedIn,
        CheckIn,
        Command,
        Draw,
        End,
        EndSession,
        Event,
        FacilitatorCommand,
        Forgive,
        GameEnded,
        GameFinished,
        GameStarted,
        Held,
        Hold,
        HurtNamed,
        Join,
        Joined,
        LetGo,
        LevelChanged,
        LevelOpened,
        LimitSet,
        MarkedReady,
        MarkStung,
        MarkSupported,
        NameHurt,
        NotYet,
        OpenLevel,
        Pass,
        Pause,
        Paused,
        Ready,
        Release,
        Released,
        Repair,
        Repaired,
        Respond,
        Responded,
        Resumed,
        SetLimit,
        Share,
        Shared,
        Stung,
        TurnEnded,
    )
    from reciprocity.engine.rules import (
        TRANSITIONS,
        Actor,
        Transition,
        apply,
        decide,
        decide_for_facilitator,
        decided,
        legal_commands,
        new_game,
        replay,
        turn_actor,
    )
    from reciprocity.engine.state import IN_PLAY, Felt, GameState, Outcome, Partner, Phase, Seat

#: The engine's modules, the lightest first: an exported name comes from the first that has it
#: (the later ones import the earlier ones' names, so each name is the same object in all).
_MODULES = ("state", "errors", "messages", "dealing", "rules")


def __getattr__(name: str) -> Any:
    """Import an exported name from the first of `_MODULES` that has it, and keep it here."""
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    for module in _MODULES:
        found = import_module(f"{__name__}.{module}")
        if hasattr(found, name):
            value = getattr(found, name)
            globals()[name] = value
            return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")  # pragma: no cover


__all__ = [
    "IN_PLAY",
    "TRANSITIONS",
    "Actor",
    "CardDealt",
    "CardPassed",
    "CheckIn",
    "CheckedIn",
    "Command",
    "Draw",
    "End",
    "EndSession",
    "Event",
    "FacilitatorCommand",
    "Felt",
    "Forgive",
    "GameEnded",
    "GameFinished",
    "GameStarted",
    "GameState",
    "Held",
    "Hold",
    "HurtNamed",
    "IllegalMove",
    "Join",
    "Joined",
    "LetGo",
    "LevelChanged",
    "LevelOpened",
    "LimitSet",
    "MarkStung",
    "MarkSupported",
    "MarkedReady",
    "NameHurt",
    "NotYet",
    "OpenLevel",
    "Outcome",
    "Partner",
    "Pass",
    "Pause",
    "Paused",
    "Phase",
    "Ready",
    "Release",
    "Released",
    "Repair",
    "Repaired",
    "Respond",
    "Responded",
    "Resumed",
    "Seat",
    "SetLimit",
    "Share",
    "Shared",
    "Stung",
    "Transition",
    "TurnEnded",
    "apply",
    "decide",
    "decide_for_facilitator",
    "decided",
    "drawable_levels",
    "legal_commands",
    "new_game",
    "replay",
    "turn_actor",
]
