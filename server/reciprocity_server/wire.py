"""Reading a client's frame strictly: text only, standard JSON, strict types.

A frame is one JSON object in a text frame. Binary frames, duplicate keys and the non-standard
constants `NaN`, `Infinity` and `-Infinity` are refused as `bad_json`; every field must have
its own JSON type (no `"5"` for 5, no `true` for 1, no `"yes"` for true, no `3.0` for 3), or
the frame is refused as `bad_message`. An error never echoes the frame's content.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from reciprocity.protocol import CLIENT, PROTOCOL_VERSION, ClientMessage, Error
from reciprocity_server.outputs import error

BAD_JSON = error("bad_json", "That was not valid JSON.")
BINARY = error("bad_json", "Frames are JSON in text frames, not binary frames.")


class _NotStandard(ValueError):
    """A duplicate key or a non-standard constant."""


def read(frame: str | bytes) -> ClientMessage | Error:
    """The client message a frame carries, or the error to reply with."""
    if not isinstance(frame, str):
        return BINARY
    try:
        data = _DECODER.decode(frame)
    except (ValueError, RecursionError):
        return BAD_JSON
    try:
        return CLIENT.validate_json(frame, strict=True)
    except ValidationError as invalid:
        return _invalid(data, invalid)


def version_error(version: int) -> Error:
    """The error for a hello in another version of the protocol."""
    if version < PROTOCOL_VERSION:
        return error(
            "version",
            f"This relay needs a newer Reciprocity: it speaks protocol version "
            f"{PROTOCOL_VERSION}, not {version}. Please upgrade Reciprocity.",
        )
    return error(
        "version",
        f"This relay runs an older Reciprocity: it speaks protocol version {PROTOCOL_VERSION}, "
        f"not {version}. Ask whoever runs it to upgrade.",
    )


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    unique = dict(pairs)
    if len(unique) != len(pairs):
        raise _NotStandard("duplicate key")
    return unique


def _no_constant(name: str) -> None:
    raise _NotStandard(name)


#: One decoder for every frame (`json.loads` with hooks builds a new one each call).
_DECODER = json.JSONDecoder(object_pairs_hook=_unique, parse_constant=_no_constant)


def _invalid(data: object, invalid: ValidationError) -> Error:
    problems = invalid.errors(include_input=False, include_url=False)
    if isinstance(data, dict) and data.get("type") == "hello":
        version = data.get("version")
        if type(version) is int and version != PROTOCOL_VERSION:
            return version_error(version)
    first = problems[0] if problems else None
    where = ".".join(str(part) for part in first["loc"]) if first else ""
    what = first["msg"] if first else "not a message"
    detail = f"{where}: {what}" if where else what
    return error("bad_message", f"That message is not valid ({detail[:200]}).")
