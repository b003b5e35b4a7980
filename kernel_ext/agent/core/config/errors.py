"""`ConfigError` and the wording of validation problems, each naming its dotted key."""

from __future__ import annotations

import re
from typing import Any, Mapping, Protocol, Sequence

from pydantic import TypeAdapter, ValidationError


class ConfigError(Exception):
    """A configuration problem. `key` is the dotted key at fault, `source` where it came from."""

    def __init__(self, message: str, *, key: str | None = None, source: str | None = None):
        super().__init__(f"{source}: {message}" if source else message)
        self.key = key
        self.source = source


class SourceNamer(Protocol):
    """Names where the raw value at a key path came from (see `overrides.Sources`)."""

    def of(self, path: Sequence[str]) -> str: ...


_TOML_TYPES = {
    "string_type": "expected a string",
    "int_type": "expected an integer",
    "bool_type": "expected true or false",
    "list_type": "expected an array",
    "tuple_type": "expected an array",
    "dict_type": "expected a table",
    "model_type": "expected a table",
    "model_attributes_type": "expected a table",
}
"""pydantic error types reworded in TOML terms."""


def dotted(loc: Sequence[Any]) -> str:
    """A pydantic error location as a dotted TOML key (`a.b[0]`)."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def describe(error: Mapping[str, Any], key: str) -> str:
    """One pydantic error in TOML terms, naming `key`."""
    kind = error["type"]
    if kind == "extra_forbidden":
        return f"unknown key '{key}'"
    if kind == "missing":
        return f"missing required key '{key}'"
    if kind == "literal_error":
        choices = re.findall(r"'([^']*)'", error.get("ctx", {}).get("expected", ""))
        return f"invalid value for '{key}': {error['input']!r} (expected one of: {', '.join(choices)})"
    message = _TOML_TYPES.get(kind) or error["msg"][:1].lower() + error["msg"][1:]
    return f"invalid value for '{key}': {message}"


def validation_error(exc: ValidationError, sources: SourceNamer) -> ConfigError:
    """One ConfigError listing every problem, a line each, prefixed by its source."""
    problems = [
        (dotted(error["loc"]), sources.of([p for p in error["loc"] if isinstance(p, str)]), error)
        for error in exc.errors()
    ]
    error = ConfigError("\n".join(f"{source}: {describe(e, key)}" for key, source, e in problems), key=problems[0][0])
    error.source = problems[0][1]
    return error


def check_choice(key: str, value: Any, annotation: Any, source: str) -> Any:
    """Validate one enum-like value given outside the file (CLI flag, `with_overrides`)."""
    try:
        return TypeAdapter(annotation).validate_python(value, strict=True)
    except ValidationError as exc:
        error = exc.errors()[0]
        raise ConfigError(describe(error, key), key=key, source=source) from None
