"""The limits an operator may tune, with their defaults. Nothing else here, so the command
line can offer them without loading the relay."""

from __future__ import annotations

from dataclasses import dataclass

#: New games an address may create per `limits.CREATE_WINDOW` (ten minutes), by default.
CREATES = 10
#: Connections an address may hold open at once, by default.
CONNECTIONS = 32
#: Commands a seat may send per second, by default; more get a calm `rate_limited`.
COMMANDS = 20


@dataclass(frozen=True, slots=True)
class Quotas:
    """The limits an operator may tune (`reciprocity serve --creates-per-address`,
    `--connections-per-address`, `--commands-per-second`)."""

    creates: int = CREATES
    connections: int = CONNECTIONS
    commands: int = COMMANDS


DEFAULT_QUOTAS = Quotas()
