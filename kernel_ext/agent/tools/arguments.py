"""Reading tool arguments: typed getters whose errors go back to the model."""

from __future__ import annotations

from typing import Any

from .errors import RespondToModel


def str_arg(args: dict[str, Any], name: str, required: bool = False) -> str:
    value = args.get(name)
    if value is None and required:
        raise RespondToModel(f"failed to parse function arguments: missing field `{name}`")
    if not isinstance(value, str):
        raise RespondToModel(f"failed to parse function arguments: `{name}` must be a string")
    return value


def int_arg(args: dict[str, Any], name: str, default: Any) -> Any:
    """A non-negative integer argument (integral floats accepted); `default` when absent."""
    value = args.get(name)
    if value is None:
        return default
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise RespondToModel(f"failed to parse function arguments: `{name}` must be a non-negative integer")
    return value


def bool_arg(args: dict[str, Any], name: str, default: bool) -> bool:
    value = args.get(name)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise RespondToModel(f"failed to parse function arguments: `{name}` must be a boolean")
    return value
