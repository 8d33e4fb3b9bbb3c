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
    return _made(path, "data folder", " (RECIPROCITY_DATA_DIR)" if override else "")


def user_decks_dir() -> Path:
    """The folder for a person's own decks, which `deck list` and the deck picker include."""
    return _made(data_dir() / "decks", "decks folder")


def _made(path: Path, what: str, where: str = "") -> Path:
    """The folder, created if needed; raises `DataDirError` with one line if it cannot be."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DataDirError(f"cannot use the {what} {path}{where}: {why(error)}") from None
    return path


def why(error: OSError) -> str:
    """A few words on why a file could not be read or written, such as "no space left on
    device"."""
    return (error.strerror or str(error)).lower()
