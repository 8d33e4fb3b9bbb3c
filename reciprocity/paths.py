"""Where Reciprocity keeps its files: `$RECIPROCITY_DATA_DIR`, else the platform's data folder."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs


def data_dir() -> Path:
    """The data folder, created if needed."""
    override = os.environ.get("RECIPROCITY_DATA_DIR")
    path = Path(override) if override else Path(platformdirs.user_data_dir("reciprocity"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def user_decks_dir() -> Path:
    """The folder for a person's own decks, which `deck list` and the deck picker include."""
    path = data_dir() / "decks"
    path.mkdir(parents=True, exist_ok=True)
    return path
