"""The model's MCP resource tools against the fault server's `resources` mode."""

from __future__ import annotations

import json
from types import SimpleNamespace

from agent.tools.base import ExecSettings, ToolCall
from agent.tools.mcp.resource_tools import resource_tools
from agent.tools.registry import ToolRegistry

from .conftest import fault


def registry(manager) -> ToolRegistry:
    return ToolRegistry(resource_tools(lambda: manager))


async def run(reg: ToolRegistry, name: str, args, budget: int = 10_000):
    ctx = SimpleNamespace(exec_settings=ExecSettings(output_byte_budget=budget))
    payload = args if isinstance(args, str) else json.dumps(args)
    return await reg.dispatch(ToolCall("c1", name, "function", payload), ctx)


async def test_specs_are_read_only_parallel_function_tools():
    reg = registry(None)
    specs = {s["name"]: s["parameters"] for s in reg.specs()}
    assert list(specs) == ["list_mcp_resources", "list_mcp_resource_templates", "read_mcp_resource"]
    assert specs["read_mcp_resource"]["required"] == ["server", "uri"]
    assert specs["list_mcp_resources"]["required"] == [] and set(specs["list_mcp_resources"]["properties"]) == {"server", "cursor"}
    assert all(reg.supports_parallel(name) for name in specs)
    assert not any(getattr(reg.get(name), "quiet", False) for name in specs)


async def test_listing_one_server_follows_its_cursor(start):
    reg = registry((await start(fault("resources"))).manager)
    first = await run(reg, "list_mcp_resources", {"server": "fault"})
    page = json.loads(first.output)
    assert first.success and page["server"] == "fault" and page["nextCursor"] == "page2"
    assert [r["uri"] for r in page["resources"]] == ["file:///notes/a.txt"]
    second = json.loads((await run(reg, "list_mcp_resources", {"server": "fault", "cursor": "page2"})).output)
    assert [r["uri"] for r in second["resources"]] == ["file:///notes/b.txt"] and "nextCursor" not in second


async def test_listing_every_server_tags_entries_and_skips_servers_without_resources(start):
    run_ = await start(fault("resources"), fault("ok", name="plain"))
    reg = registry(run_.manager)
    out = json.loads((await run(reg, "list_mcp_resources", {})).output)
    assert out["resources"] == [
        {"server": "fault", "uri": "file:///notes/a.txt", "name": "a.txt", "mimeType": "text/plain"},
        {"server": "fault", "nextCursor": "page2"},
    ]
    templates = json.loads((await run(reg, "list_mcp_resource_templates", "")).output)
    assert templates == {"resourceTemplates": [{"server": "fault", "uriTemplate": "file:///notes/{name}", "name": "note"}]}


async def test_read_returns_the_contents(start):
    reg = registry((await start(fault("resources"))).manager)
    result = await run(reg, "read_mcp_resource", {"server": "fault", "uri": "file:///notes/b.txt"})
    assert result.success
    assert json.loads(result.output) == {"server": "fault", "uri": "file:///notes/b.txt", "contents": [
        {"uri": "file:///notes/b.txt", "mimeType": "text/plain", "text": "contents of file:///notes/b.txt"}]}


async def test_failures_are_one_line(start):
    run_ = await start(fault("resources"), fault("ok", name="plain"), fault("crash-on-start", name="broken"))
    reg = registry(run_.manager)
    cases = [
        ("read_mcp_resource", {"server": "nope", "uri": "x"}, "unknown MCP server 'nope'"),
        ("list_mcp_resources", {"server": "plain"}, "MCP server plain offers no resources"),
        ("list_mcp_resources", {"server": "broken"}, "MCP server broken failed to start"),
        ("list_mcp_resources", {"cursor": "page2"}, "a cursor needs the server it came from"),
        ("read_mcp_resource", {"server": "fault", "uri": "file:///etc/passwd"}, "no resource file:///etc/passwd"),
        ("read_mcp_resource", {"server": "fault"}, "missing required argument: uri"),
        ("read_mcp_resource", {"server": 3, "uri": "x"}, "argument server must be a string"),
        ("list_mcp_resources", "[1]", "failed to parse function arguments"),
    ]
    for name, args, expected in cases:
        result = await run(reg, name, args)
        assert not result.success and expected in result.output and "\n" not in result.output, (name, result.output)


async def test_output_is_truncated_to_the_budget(start):
    reg = registry((await start(fault("resources"))).manager)
    result = await run(reg, "list_mcp_resources", {"server": "fault"}, budget=40)
    assert result.success and "truncated" in result.output and len(result.output.encode()) < 200


async def test_before_start_up_there_is_no_manager():
    result = await run(registry(None), "list_mcp_resources", {})
    assert not result.success and result.output == "MCP servers are not started"
