"""Shared fixtures. Every test gets its own temporary data folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from postgres_cluster import Cluster
from reciprocity_server.records import RelayStore
from reciprocity_server.records_postgres import PostgresRelayStore
from reciprocity_server.storage import RelayRecords

from reciprocity.deck import Card, CardKind, Deck, Level


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point RECIPROCITY_DATA_DIR at a fresh temporary folder for every test."""
    folder = tmp_path / "data"
    monkeypatch.setenv("RECIPROCITY_DATA_DIR", str(folder))
    yield folder


def make_deck(levels: int = 3, cards: int = 6, advance_after: int = 2) -> Deck:
    """A small deck for tests: card `l{level}-{n}`, every third one tagged `family`."""
    return Deck(
        id="test-deck",
        title="Test deck",
        advance_after=advance_after,
        levels=tuple(
            Level(
                name=f"Level {lv}",
                intent=f"Depth {lv}",
                cards=tuple(
                    Card(
                        id=f"l{lv}-{n}",
                        text=f"Card {n} at level {lv}?",
                        kind=CardKind.ACTION if n == cards else CardKind.QUESTION,
                        tags=("family",) if n % 3 == 0 else (),
                    )
                    for n in range(1, cards + 1)
                ),
            )
            for lv in range(1, levels + 1)
        ),
    )


@pytest.fixture
def deck() -> Deck:
    """A three-level test deck with six cards a level."""
    return make_deck()


@pytest.fixture(scope="session")
def postgres() -> Iterator[Cluster]:
    """One throwaway PostgreSQL cluster for the whole run, started by the first test that
    asks for it."""
    cluster = Cluster()
    yield cluster
    cluster.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def relay_db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The relay's records, once as a SQLite file and once as a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "relay.sqlite3")
    cluster: Cluster = request.getfixturevalue("postgres")
    return cluster.fresh()


def open_records(db: str) -> RelayRecords:
    """The relay's records `db` names (a file or a `postgresql://` URL), as its shell opens
    them."""
    if db.startswith("postgresql://"):
        return PostgresRelayStore(db)
    return RelayStore(Path(db))
