"""The JSON schema of the wire: `python -m reciprocity_server.schema > docs/protocol.schema.json`.

It is generated from the two `TypeAdapter`s in `reciprocity.protocol`, `CLIENT` (what a client
sends) and `SERVER` (what the relay sends), so it can never describe other messages. It is one
JSON Schema 2020-12 document with standard keywords only: every definition sits in the root's
`$defs`, so each `$ref` resolves from the file alone; `#/$defs/ClientMessage` and
`#/$defs/ServerMessage` are the two directions.
"""

from __future__ import annotations

import json
from typing import Any

from reciprocity.protocol import CLIENT, PROTOCOL_VERSION, SERVER

#: Keywords pydantic writes that JSON Schema does not define.
_NOT_STANDARD = frozenset({"discriminator"})


def protocol_schema() -> dict[str, Any]:
    """Both directions' message unions, in one document, for the protocol version they are."""
    defs: dict[str, Any] = {}
    for name, adapter in (("ClientMessage", CLIENT), ("ServerMessage", SERVER)):
        schema = _standard(adapter.json_schema())
        for key, definition in schema.pop("$defs", {}).items():
            if defs.setdefault(key, definition) != definition:
                raise ValueError(f"two different definitions are both called {key}")
        defs[name] = schema
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"Reciprocity relay protocol, version {PROTOCOL_VERSION}",
        "description": "Every frame is one of these messages: a ClientMessage from a client, "
        "a ServerMessage from the relay. See docs/protocol.md.",
        "oneOf": [{"$ref": "#/$defs/ClientMessage"}, {"$ref": "#/$defs/ServerMessage"}],
        "$defs": dict(sorted(defs.items())),
    }


def _standard(node: Any) -> Any:
    """The schema without the keywords JSON Schema does not define."""
    if isinstance(node, dict):
        return {k: _standard(v) for k, v in node.items() if k not in _NOT_STANDARD}
    if isinstance(node, list):
        return [_standard(item) for item in node]
    return node


def schema_text() -> str:
    """The schema as the committed file holds it."""
    return json.dumps(protocol_schema(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    print(schema_text(), end="")
