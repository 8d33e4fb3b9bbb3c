"""Where Reciprocity keeps its files: `$RECIPROCITY_DATA_DIR`, else the platform's data folder."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

from reciprocity import ReciprocityError


class DataDirError(ReciprocityError):
    """The data folder cannot be made; the message says which and why."""


def data_dir() -> Path:
    """The data folder, created if needed."""
    override = os.environ.get("RECIPROCITY_DATA_DIR")
    path = Path(override) if override else Path(platformdirs.user_data_dir("reciprocity"))
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        reason = (error.strerror or str(error)).lower()
        where = " (RECIPROCITY_DATA_DIR)" if override else ""
        raise DataDirError(f"cannot use the data folder {path}{where}: {reason}") from None
    return path


def user_decks_dir() -> Path:
    """The folder for a person's own decks, which `deck list` and the deck picker include."""
    path = data_dir() / "decks"
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        reason = (error.strerror or str(error)).lower()
        raise DataDirError(f"cannot use the decks folder {path}: {reason}") from None
    return path
