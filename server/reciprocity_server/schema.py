"""The JSON schema of the wire: `python -m reciprocity_server.schema > docs/protocol.schema.json`.

It is generated from the two `TypeAdapter`s in `reciprocity.protocol`, `CLIENT` (what a client
sends) and `SERVER` (what the relay sends), so it can never describe other messages.
"""

from __future__ import annotations

import json
from typing import Any

from reciprocity.protocol import CLIENT, PROTOCOL_VERSION, SERVER


def protocol_schema() -> dict[str, Any]:
    """Both directions' message unions, with the protocol version they belong to."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Reciprocity relay protocol",
        "version": PROTOCOL_VERSION,
        "client": CLIENT.json_schema(),
        "server": SERVER.json_schema(),
    }


def schema_text() -> str:
    """The schema as the committed file holds it."""
    return json.dumps(protocol_schema(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    print(schema_text(), end="")
