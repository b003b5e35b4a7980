"""An MCP tool's `inputSchema` -> the function `parameters` the model gets (spec §11). Pure.

The top level is an object with `properties` (filled when missing). Every schema node gets
a `type`: for a union, the first supported one; else inferred (`properties` / `required` /
`additionalProperties` -> object, `items` / `prefixItems` -> array, `enum` / `const` /
`format` -> string, numeric bounds -> number), else `string`. Arrays without `items` get
`{"type": "string"}` items. The input is never mutated.
"""

from __future__ import annotations

from typing import Any

SUPPORTED = ("object", "array", "string", "number", "integer", "boolean", "null")
_NUMERIC = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")
_SUBSCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions")
_SUBSCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")


def tool_parameters(input_schema: Any) -> dict[str, Any]:
    """The sanitised parameters object of a tool."""
    schema = sanitize(input_schema if isinstance(input_schema, dict) else {})
    schema["type"] = "object"
    if not isinstance(schema.get("properties"), dict):
        schema["properties"] = {}
    return schema


def sanitize(node: Any) -> dict[str, Any]:
    """One schema node (and its children) with a `type` everywhere."""
    if not isinstance(node, dict):
        return {"type": "string"}  # `true` / `false` / junk schemas
    out = dict(node)
    out["type"] = _type_of(node)
    for key in _SUBSCHEMA_MAPS:
        if isinstance(node.get(key), dict):
            out[key] = {name: sanitize(child) for name, child in node[key].items()}
    for key in _SUBSCHEMA_LISTS:
        if isinstance(node.get(key), list):
            out[key] = [sanitize(child) for child in node[key]]
    if isinstance(node.get("additionalProperties"), dict):
        out["additionalProperties"] = sanitize(node["additionalProperties"])
    if out["type"] == "array":
        items = node.get("items")
        out["items"] = [sanitize(i) for i in items] if isinstance(items, list) else sanitize(items) if isinstance(items, dict) else {"type": "string"}
    if out["type"] == "object" and "properties" in out and not isinstance(out["properties"], dict):
        out["properties"] = {}
    return out


def _type_of(node: dict[str, Any]) -> str:
    declared = node.get("type")
    if isinstance(declared, str) and declared in SUPPORTED:
        return declared
    if isinstance(declared, list):
        for choice in declared:
            if isinstance(choice, str) and choice in SUPPORTED and choice != "null":
                return choice
        if "null" in declared:
            return "null"
    if any(k in node for k in ("properties", "required", "additionalProperties")):
        return "object"
    if any(k in node for k in ("items", "prefixItems")):
        return "array"
    if any(k in node for k in ("enum", "const", "format")):
        return "string"
    if any(k in node for k in _NUMERIC):
        return "number"
    return "string"
