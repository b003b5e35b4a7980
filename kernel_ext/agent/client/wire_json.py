"""Request bodies as bytes assembled from pieces encoded once.

A request body repeats almost all of the previous one: the instructions, the tool specs
and every history item. The clients keep the JSON of each (history items through a
`memo.ListMemo`, the rest through `LastJson`) and join the pieces: `encode_object(fields)`
gives exactly `json.dumps(fields).encode()` (the default separators, ASCII-only), where a
`Json` value is JSON already encoded and a `JsonArray` a list of encoded elements; both
are put in as they are, and the body is joined once.
"""

from __future__ import annotations

import json
from typing import Any


class Json(bytes):
    """Bytes that are already JSON: inserted as they are by `encode_object`."""


class JsonArray(list[bytes]):
    """The elements of an array, each already JSON."""


def dumps(value: Any) -> bytes:
    return json.dumps(value).encode()


def encode_object(fields: dict[str, Any]) -> bytes:
    """`json.dumps(fields).encode()`, with `Json` / `JsonArray` values inserted as they are."""
    pieces: list[bytes] = []
    for key, value in fields.items():
        pieces.append(b", " + dumps(key) + b": " if pieces else b"{" + dumps(key) + b": ")
        if isinstance(value, JsonArray):
            pieces += (b"[", b", ".join(value), b"]")
        else:
            pieces.append(value if isinstance(value, Json) else dumps(value))
    pieces.append(b"}" if pieces else b"{}")
    return b"".join(pieces)


class LastJson:
    """The JSON of a value that rarely changes: encoded again only when it differs from
    the previous value (equal values give the same JSON, up to key order)."""

    def __init__(self) -> None:
        self._value: Any = None
        self._json: Json | None = None

    def encode(self, value: Any) -> Json:
        if self._json is None or value != self._value:
            self._value, self._json = value, Json(dumps(value))
        return self._json
