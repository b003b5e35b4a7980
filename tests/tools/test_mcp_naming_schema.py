"""MCP tool names and input-schema sanitising (spec §11)."""

from __future__ import annotations

import hashlib
from types import SimpleNamespace

from agent.tools.mcp.naming import qualified_name, qualify_tools
from agent.tools.mcp.schema import sanitize, tool_parameters


def tool(name: str) -> SimpleNamespace:
    return SimpleNamespace(name=name)


def test_short_names_are_prefixed_and_kept():
    assert qualified_name("time", "get_current_time") == "mcp__time__get_current_time"


def test_invalid_characters_become_underscores():
    assert qualified_name("srv", "read.file/v2") == "mcp__srv__read_file_v2"


def test_long_names_keep_24_chars_and_the_sha1_of_the_full_name():
    full = "mcp__server__" + "x" * 60
    name = qualified_name("server", "x" * 60)
    assert len(name) == 64
    assert name == full[:24] + hashlib.sha1(full.encode()).hexdigest()
    assert qualified_name("server", "x" * 51) == "mcp__server__" + "x" * 51  # exactly 64: kept


def test_duplicates_are_skipped_with_a_warning_and_the_rest_sorted():
    tools, warnings = qualify_tools([("b", tool("z")), ("a", tool("x.y")), ("a", tool("x_y")), ("a", tool("m"))])
    assert [t.name for t in tools] == ["mcp__a__m", "mcp__a__x_y", "mcp__b__z"]
    assert tools[1].tool.name == "x.y"  # the first one wins; the server is called with its own name
    assert len(warnings) == 1 and "'x_y'" in warnings[0] and "mcp__a__x_y" in warnings[0]


def test_missing_properties_are_filled_and_the_top_is_an_object():
    assert tool_parameters({"type": "object"}) == {"type": "object", "properties": {}}
    assert tool_parameters(None) == {"type": "object", "properties": {}}
    assert tool_parameters({"properties": "junk"})["properties"] == {}


def test_every_node_gets_a_type_inferred_or_string():
    schema = tool_parameters({"properties": {
        "obj": {"required": ["a"]},
        "arr": {"prefixItems": [{"const": 1}]},
        "enum": {"enum": ["a", "b"]},
        "num": {"minimum": 0},
        "any": {"description": "whatever"},
        "nested": {"type": "object", "properties": {"deep": {"additionalProperties": {"maximum": 3}}}},
    }})
    props = schema["properties"]
    assert props["obj"]["type"] == "object"
    assert props["arr"]["type"] == "array" and props["arr"]["prefixItems"] == [{"const": 1, "type": "string"}]
    assert props["enum"]["type"] == "string"
    assert props["num"]["type"] == "number"
    assert props["any"]["type"] == "string"
    deep = props["nested"]["properties"]["deep"]
    assert deep["type"] == "object" and deep["additionalProperties"] == {"maximum": 3, "type": "number"}


def test_arrays_without_items_get_string_items_and_unions_take_the_first_supported_type():
    assert sanitize({"type": "array"}) == {"type": "array", "items": {"type": "string"}}
    assert sanitize({"type": "array", "items": {"enum": [1]}})["items"] == {"enum": [1], "type": "string"}
    assert sanitize({"type": ["null", "integer", "string"]})["type"] == "integer"
    assert sanitize({"type": ["whatever", "boolean"]})["type"] == "boolean"
    assert sanitize({"anyOf": [{"type": "array"}, {}]})["anyOf"] == [{"type": "array", "items": {"type": "string"}}, {"type": "string"}]


def test_the_input_is_not_mutated():
    original = {"properties": {"a": {}}}
    tool_parameters(original)
    assert original == {"properties": {"a": {}}}
