"""`McpTool`: one MCP server tool as a model tool (spec §11).

A call: parse the arguments (not a JSON object -> an error, the server is not called) ->
approval (`approval_requirement`) -> `mcp_tool_call_begin` -> `tools/call` through the
manager with the server's `tool_timeout_sec` -> `mcp_tool_call_end` -> the result for the
model (result.py). Cancelling the turn cancels the call (the manager sends
`notifications/cancelled`). The tool reports itself (`quiet`): no generic tool events.

Approvals, from the tool's annotations (hints from the server, as in Codex):
`readOnlyHint` never asks; `destructiveHint` asks unless the policy is `never`; any other
tool asks under `untrusted` and `on-request` and runs under `never` and `on-failure`.
The request is an `exec_approval_request` whose command is `["mcp", server, tool,
arguments JSON]`, so every front end shows it and answers it as it does commands;
`approved_for_session` remembers server + tool.
"""

from __future__ import annotations

import json
import time
from typing import Any, Literal

from agent.protocol import events as ev
from agent.protocol.items import InputText, Message
from agent.protocol.policy import AskForApproval

from ..base import ToolCall, ToolContext, ToolResult
from .errors import McpError
from .naming import QualifiedTool
from .result import model_output, result_json
from .schema import tool_parameters

APPROVED = ("approved", "approved_for_session")
DENIED_TEXT = "the user denied this MCP tool call"


def approval_requirement(annotations: Any, policy: AskForApproval) -> Literal["skip", "ask"]:
    """Whether a call of a tool with these annotations asks under `policy`."""
    if _hint(annotations, "readOnlyHint", "read_only_hint"):
        return "skip"
    if policy == "never":
        return "skip"
    if _hint(annotations, "destructiveHint", "destructive_hint"):
        return "ask"
    return "ask" if policy in ("untrusted", "on-request") else "skip"


def _hint(annotations: Any, wire: str, attribute: str) -> bool:
    """A hint explicitly set to true (a dict uses the wire name, mcp_types the attribute)."""
    value = annotations.get(wire) if isinstance(annotations, dict) else getattr(annotations, attribute, None)
    return value is True


def session_key(server: str, tool: str) -> str:
    return json.dumps({"kind": "mcp", "server": server, "tool": tool})


def parse_arguments(payload: str) -> dict[str, Any] | None:
    """The call's arguments (None when empty); raises ValueError with the reason."""
    if not payload.strip():
        return None
    value = json.loads(payload)
    if not isinstance(value, dict):
        raise ValueError("expected a JSON object")
    return value


def _input_schema(tool: Any) -> Any:
    return getattr(tool, "input_schema", None) or getattr(tool, "inputSchema", None)


class McpTool:
    supports_parallel = False
    quiet = True

    def __init__(self, qualified: QualifiedTool, manager: Any, *, timeout_s: float, accepts_images: bool = True):
        self.name = qualified.name
        self.server = qualified.server
        self.tool = qualified.tool
        self._manager = manager
        self._timeout_s = timeout_s
        self._accepts_images = accepts_images

    def spec(self) -> dict[str, Any]:
        return {"type": "function", "name": self.name, "description": self.tool.description or "",
                "strict": False, "parameters": tool_parameters(_input_schema(self.tool))}

    async def handle(self, call: ToolCall, ctx: ToolContext) -> ToolResult:
        try:
            arguments = parse_arguments(call.payload)
        except ValueError as err:  # json.JSONDecodeError is a ValueError
            return ToolResult(f"err: {err}", success=False)
        if not await self._approved(call.call_id, arguments, ctx):
            return ToolResult(DENIED_TEXT, success=False)
        invocation = ev.McpInvocation(server=self.server, tool=self.tool.name, arguments=arguments)
        await ctx.emit(ev.McpToolCallBegin(call_id=call.call_id, invocation=invocation))
        started = time.monotonic()
        result, error = await self._call(arguments)
        duration = ev.Duration.from_seconds(time.monotonic() - started)
        await ctx.emit(ev.McpToolCallEnd(call_id=call.call_id, invocation=invocation, duration=duration,
                                         result={"Err": error} if error is not None else {"Ok": result}))
        if error is not None:
            return ToolResult(f"err: {error}", success=False)
        return self._to_model(result or {}, ctx)

    async def _call(self, arguments: dict[str, Any] | None) -> tuple[dict[str, Any] | None, str | None]:
        try:
            raw = await self._manager.call_tool(self.server, self.tool.name, arguments, timeout_s=self._timeout_s)
        except McpError as err:
            return None, str(err) or type(err).__name__
        return result_json(raw), None

    def _to_model(self, result: dict[str, Any], ctx: ToolContext) -> ToolResult:
        out = model_output(result, byte_budget=ctx.exec_settings.output_byte_budget, accepts_images=self._accepts_images)
        if out.images:
            note = InputText(text=f"Image(s) returned by MCP tool {self.tool.name} of server {self.server}:")
            ctx.add_pending_input(Message(role="user", content=[note, *out.images]))
        return ToolResult(out.text, success=out.success)

    async def _approved(self, call_id: str, arguments: dict[str, Any] | None, ctx: ToolContext) -> bool:
        if approval_requirement(getattr(self.tool, "annotations", None), ctx.approval_policy) == "skip":
            return True
        key = session_key(self.server, self.tool.name)
        if key in ctx.session_approvals:
            return True
        shown = json.dumps(arguments, ensure_ascii=False) if arguments is not None else "{}"
        request = ev.ExecApprovalRequest(
            call_id=call_id, turn_id=ctx.turn_id, command=["mcp", self.server, self.tool.name, shown],
            cwd=str(ctx.cwd), reason=f"MCP server '{self.server}' wants to run its tool '{self.tool.name}'",
        )
        decision = await ctx.request_approval(request)
        if decision == "approved_for_session":
            ctx.session_approvals.add(key)
        return decision in APPROVED
