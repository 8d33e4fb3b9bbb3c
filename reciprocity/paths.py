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


def write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read (0600), whole or not at all.

    The text goes to a draft beside it, synced, then takes the file's place, so a crash leaves
    the old file or the new one; a draft that could not be written whole is removed.
    """
    draft = path.with_name(f".{path.name}.draft")
    try:
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            os.fchmod(descriptor, 0o600)
            file.write(text)
            file.flush()
            os.fsync(descriptor)
        os.replace(draft, path)
    except BaseException:
        draft.unlink(missing_ok=True)
        raise
