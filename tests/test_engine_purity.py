"""The engine is pure: importing it loads no terminal, network, event-loop or database code."""

from __future__ import annotations

import json
import subprocess
import sys

FORBIDDEN = ("textual", "websockets", "asyncio", "sqlite3")

# Prints, as JSON, every loaded module that is one of FORBIDDEN or inside one of them (also
# the C halves `_asyncio` and `_sqlite3`), after running the given imports.
PROBE = """
import json, sys
{imports}
forbidden = {forbidden!r}
roots = set(forbidden) | {{"_" + name for name in forbidden}}
loaded = sorted(
    name for name in sys.modules
    if name in roots or any(name.startswith(root + ".") for root in roots)
)
print(json.dumps(loaded))
"""


def loaded_after(*imports: str) -> list[str]:
    """The forbidden modules loaded in a fresh interpreter after these imports."""
    code = PROBE.format(imports="\n".join(imports), forbidden=FORBIDDEN)
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert isinstance(loaded, list)
    return [str(name) for name in loaded]


def test_importing_the_engine_loads_no_terminal_network_loop_or_database() -> None:
    # The package exports its names lazily: the star import asks for every one of them.
    assert loaded_after("from reciprocity.engine import *") == []


def test_the_engine_exports_each_name_from_its_module_when_first_asked() -> None:
    probe = """
import sys
import reciprocity.engine as engine
from reciprocity.engine import Seat
assert "reciprocity.engine.messages" not in sys.modules  # Seat needs only the state
from reciprocity.engine import Join
assert Join is sys.modules["reciprocity.engine.messages"].Join
exported = {name: getattr(engine, name) for name in engine.__all__}
modules = [sys.modules[f"reciprocity.engine.{module}"] for module in engine._MODULES]
for name, value in exported.items():  # each name is one object, in every module that has it
    assert all(getattr(m, name) is value for m in modules if hasattr(m, name)), name
try:
    engine.Nothing
except AttributeError as missing:
    print(missing)
"""
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "module 'reciprocity.engine' has no attribute 'Nothing'"


def test_using_the_engine_loads_none_of_them_either() -> None:
    play = """
import reciprocity.engine as e
from reciprocity.deck import Card, Deck, Level
level = Level(name="L", intent="I", cards=(Card(id="c", text="T"),))
deck = Deck(id="d", title="D", levels=(level,))
state = e.new_game(deck, 1, checkin=False)
for seat, command in [
    (e.Seat.A, e.Join(name="Ana")), (e.Seat.B, e.Join(name="Ben")),
    (e.Seat.A, e.SetLimit(limit=1)), (e.Seat.B, e.SetLimit(limit=1)),
    (e.Seat.A, e.Draw()), (e.Seat.A, e.Share()), (e.Seat.B, e.Respond()),
    (e.Seat.A, e.MarkSupported()), (e.Seat.B, e.End()),
]:
    state = e.replay(state, e.decide(state, seat, command))
assert state.phase is e.Phase.FINISHED, state.phase
"""
    assert loaded_after(play) == []


def test_the_probe_sees_a_forbidden_module_and_its_submodules() -> None:
    # Without this, an empty answer could mean the probe is blind.
    loaded = loaded_after("import sqlite3", "import asyncio.events", "import reciprocity.engine")
    assert "sqlite3" in loaded
    assert "asyncio" in loaded and "asyncio.events" in loaded
    assert "_sqlite3" in loaded
    assert {name.split(".")[0].lstrip("_") for name in loaded} <= set(FORBIDDEN)


def test_the_game_layer_and_the_relay_core_load_no_terminal_network_or_loop() -> None:
    # Both keep records, so sqlite3 is theirs to load; the rest stays out.
    loaded = loaded_after(
        "import reciprocity.game.room, reciprocity.game.history, reciprocity.game.narrate",
        "import reciprocity_server.relay",
    )
    assert [name for name in loaded if "sqlite3" not in name] == []
