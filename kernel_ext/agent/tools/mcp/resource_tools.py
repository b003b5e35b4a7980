"""The model's MCP resource tools (spec §4.2, §11), registered when a server is configured.

* `list_mcp_resources {server?, cursor?}` -> `{"server"?, "resources": [...], "nextCursor"?}`;
* `list_mcp_resource_templates {server?, cursor?}` -> the same with `resourceTemplates`;
* `read_mcp_resource {server, uri}` -> `{"server", "uri", "contents": [...]}`.

Without `server` the listings cover every ready server that offers resources, each
resource tagged with its `server`; a `cursor` needs its `server`. Results are JSON,
middle-truncated to the tool-output budget; failures (unknown server, a server that
failed or offers no resources, a timeout) are one line with `success = False`. Read-only:
no approval is asked. The manager comes from a getter because the session's
`McpConnections` creates it when the servers start, before the first model request.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from typing import Any, Callable

from ..base import ToolCall, ToolContext, ToolResult
from ..errors import RespondToModel
from ..truncate import TruncationPolicy, formatted_truncate_text
from .errors import McpError
from .result import result_json

ManagerGetter = Callable[[], Any]

_OPTIONAL = {"server": {"type": "string", "description": "The MCP server (all servers when omitted)."},
             "cursor": {"type": "string", "description": "The nextCursor of a previous page (needs server)."}}


def _spec(name: str, description: str, properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {"type": "function", "name": name, "description": description, "strict": False,
            "parameters": {"type": "object", "properties": properties, "required": required,
                           "additionalProperties": False}}


def _string_arg(args: dict[str, Any], key: str, *, required: bool) -> str | None:
    value = args.get(key)
    if value is None or value == "":
        if required:
            raise RespondToModel(f"missing required argument: {key}")
        return None
    if not isinstance(value, str):
        raise RespondToModel(f"argument {key} must be a string")
    return value


class _ResourceTool(ABC):
    supports_parallel = True
    name = ""

    def __init__(self, manager: ManagerGetter):
        self._manager = manager

    async def handle(self, call: ToolCall, ctx: ToolContext) -> ToolResult:
        args = call.json_arguments()
        manager = self._manager()
        if manager is None:
            return ToolResult("MCP servers are not started", success=False)
        try:
            payload = await self._run(manager, args)
        except McpError as err:
            return ToolResult(str(err) or type(err).__name__, success=False)
        text = json.dumps(payload, ensure_ascii=False)
        return ToolResult(formatted_truncate_text(text, TruncationPolicy("bytes", ctx.exec_settings.output_byte_budget)))

    @abstractmethod
    async def _run(self, manager: Any, args: dict[str, Any]) -> dict[str, Any]:
        """The result's JSON; raises McpError or RespondToModel."""


class _ListingTool(_ResourceTool):
    key = ""
    """The listing's field in the MCP result: resources | resourceTemplates."""
    method = ""
    """The manager's method: list_resources | list_resource_templates."""

    async def _run(self, manager: Any, args: dict[str, Any]) -> dict[str, Any]:
        server = _string_arg(args, "server", required=False)
        cursor = _string_arg(args, "cursor", required=False)
        pages = await getattr(manager, self.method)(server, cursor)
        if server is not None:
            page = result_json(pages.get(server, {}))
            out: dict[str, Any] = {"server": server, self.key: page.get(self.key, [])}
            if page.get("nextCursor"):
                out["nextCursor"] = page["nextCursor"]
            return out
        return {self.key: _merged(pages, self.key)}


def _merged(pages: dict[str, Any], key: str) -> list[dict[str, Any]]:
    """Every server's first page, each entry tagged with its server (a server with more
    pages says so in a `nextCursor` entry the model can follow with `server`)."""
    merged: list[dict[str, Any]] = []
    for name in sorted(pages):
        page = result_json(pages[name])
        merged.extend({"server": name, **entry} for entry in page.get(key, []) if isinstance(entry, dict))
        if page.get("nextCursor"):
            merged.append({"server": name, "nextCursor": page["nextCursor"]})
    return merged


class ListResourcesTool(_ListingTool):
    name = "list_mcp_resources"
    key = "resources"
    method = "list_resources"

    def spec(self) -> dict[str, Any]:
        return _spec(self.name, "Lists the resources MCP servers offer (files, database rows, ...). "
                     "Use read_mcp_resource to read one.", _OPTIONAL, [])


class ListResourceTemplatesTool(_ListingTool):
    name = "list_mcp_resource_templates"
    key = "resourceTemplates"
    method = "list_resource_templates"

    def spec(self) -> dict[str, Any]:
        return _spec(self.name, "Lists the parameterised resource templates MCP servers offer.", _OPTIONAL, [])


class ReadResourceTool(_ResourceTool):
    name = "read_mcp_resource"

    def spec(self) -> dict[str, Any]:
        properties = {"server": {"type": "string", "description": "The MCP server that lists the resource."},
                      "uri": {"type": "string", "description": "The resource URI."}}
        return _spec(self.name, "Reads one resource of an MCP server.", properties, ["server", "uri"])

    async def _run(self, manager: Any, args: dict[str, Any]) -> dict[str, Any]:
        server = _string_arg(args, "server", required=True)
        uri = _string_arg(args, "uri", required=True)
        assert server is not None and uri is not None
        result = result_json(await manager.read_resource(server, uri))
        return {"server": server, "uri": uri, "contents": result.get("contents", [])}


def resource_tools(manager: ManagerGetter) -> list[_ResourceTool]:
    return [ListResourcesTool(manager), ListResourceTemplatesTool(manager), ReadResourceTool(manager)]
