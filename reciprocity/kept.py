"""What this program keeps on this computer for one person, readable only by them.

The one writer of owner-only files: kept network sessions (keys, counters, the resume
token; never words), private notes, the facilitator's codes, and the settings file (the
theme). Files are 0600 in 0700 folders, and are written whole or not at all.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
from datetime import datetime
from pathlib import Path
from typing import Any

from reciprocity import ReciprocityError
from reciprocity.paths import data_dir

#: The small file of a person's preferences (the theme), in the data folder.
SETTINGS = "settings.json"


class SessionInUse(ReciprocityError):
    """Another process here plays the seat of this kept session."""

    def __init__(self) -> None:
        super().__init__("this game is open in another window here; go on playing there")


def private_folder(folder: Path) -> Path:
    """The folder, made if needed, that only its owner can open (0700)."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder.chmod(0o700)
    return folder


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


# --- kept sessions ------------------------------------------------------------------------


def session_path(folder: Path, token: str) -> Path:
    """The file that keeps the session of the seat with this resume token."""
    return folder / f"{hashlib.sha256(token.encode()).hexdigest()[:16]}.json"


def save_session(path: Path, session: dict[str, Any]) -> None:
    """Write a session so that only its owner can read it (0600, in a 0700 folder)."""
    private_folder(path.parent)
    write_private(path, json.dumps(session))


def lock_session(path: Path) -> int:
    """Hold the session kept at `path` for this process, with a lock beside it; returns the
    lock's descriptor, for `release_session`. Raises `SessionInUse` if another holds it."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path.with_suffix(".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise SessionInUse() from None
    return fd


def release_session(path: Path, lock: int, *, keep: bool = False) -> None:
    """Let the lock go, and remove the kept session and its lock file unless `keep`."""
    try:
        if not keep:
            path.unlink(missing_ok=True)
            path.with_suffix(".lock").unlink(missing_ok=True)
    finally:
        os.close(lock)


def load_session(path: Path) -> dict[str, Any]:
    """A kept session; raises `ReciprocityError` if it cannot be read."""
    try:
        session = json.loads(path.read_text())
    except (OSError, ValueError, RecursionError) as error:
        raise ReciprocityError(f"cannot read the saved game {path}: {error}") from None
    if not isinstance(session, dict):
        raise ReciprocityError(f"cannot read the saved game {path}: not a saved game")
    return session


# --- private notes ------------------------------------------------------------------------


def save_note(folder: Path, name: str, note: str) -> Path:
    """Write a partner's private note to a new timestamped `.txt` file in `folder`.

    This is the only place where words a player typed are written to disk, and it happens only
    when they chose to keep a note. Returns the new file's path; an existing file is never
    replaced.
    """
    private_folder(folder)
    now = datetime.now()
    slug = re.sub(r"[^a-z0-9]+", "-", name.casefold()).strip("-")[:24] or "note"
    stem = f"{now:%Y-%m-%d_%H-%M-%S}_{slug}"
    text = f"A note from {name}, {now:%d %B %Y, %H:%M}\n\n{note.strip()}\n"
    for attempt in range(1, 1000):
        path = folder / (f"{stem}.txt" if attempt == 1 else f"{stem}-{attempt}.txt")
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            os.fchmod(file.fileno(), 0o600)
            file.write(text)
        return path
    raise FileExistsError(f"Could not find a free file name for a note in {folder}")


def kept_setting(name: str) -> str | None:
    """A preference kept in the settings file, or None when there is none (or the file is
    unreadable: a preference is never worth an error)."""
    try:
        settings = json.loads((data_dir() / SETTINGS).read_text(encoding="utf-8"))
    except (OSError, ValueError, ReciprocityError):
        return None
    value = settings.get(name) if isinstance(settings, dict) else None
    return value if isinstance(value, str) else None


def keep_setting(name: str, value: str) -> None:
    """Keep a preference in the settings file, beside the others."""
    path = data_dir() / SETTINGS
    try:
        settings = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        settings = {}
    if not isinstance(settings, dict):
        settings = {}
    write_private(path, json.dumps({**settings, name: value}, indent=2) + "\n")
