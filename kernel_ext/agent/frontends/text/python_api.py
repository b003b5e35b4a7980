"""`agent.Agent`: the agent as a Python object, for scripts and notebooks.

    result = Agent(model="gpt-5.1-codex").run("add a test for parse_date")
    result.final_message, result.items, result.usage

`run()` works in plain Python and inside Jupyter alike: the session lives on a private
event loop in a background thread, so it never fights the caller's loop. `await
agent.arun(...)` runs on the caller's loop instead (don't mix the two on one Agent;
`async with Agent(...)` / `await agent.aclose()` shut such a session down).
Successive calls continue the same conversation. Approvals default to `never` (nothing
can be asked); pass `on_approval(request) -> "approved" | "denied" | ...` to decide.
"""

from __future__ import annotations

import asyncio
import os
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, AsyncIterator, Callable

from agent.core.api import CliOverrides, load_config
from agent.protocol import events as ev
from agent.protocol import ops

from .thread_events import ThreadEventMapper

if TYPE_CHECKING:
    from agent.core.api import Session

Approver = Callable[[Any], str]


@dataclass
class RunResult:
    final_message: str | None
    items: list[dict[str, Any]]
    """The turn's items in `exec --json` form: agent_message, reasoning, command_execution,
    file_change, todo_list, mcp_tool_call (MCP server tools), error."""
    usage: dict[str, int]
    session_id: str
    error: str | None = None
    aborted: bool = False
    events: list[ev.Event] = field(default_factory=list, repr=False)


class Agent:
    def __init__(self, *, model: str | None = None, approval_policy: str = "never", sandbox: str | None = None,
                 cwd: str | os.PathLike[str] | None = None, config: dict[str, Any] | None = None,
                 on_approval: Approver | None = None, on_event: Callable[[ev.Event], None] | None = None):
        raw = [f"{key}={_toml(value)}" for key, value in (config or {}).items()]
        self._cli = CliOverrides(model=model, approval_policy=approval_policy, sandbox_mode=sandbox,
                                 cwd=str(cwd) if cwd else None, raw=raw)
        self._on_approval = on_approval
        self._on_event = on_event
        self._session: Session | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @property
    def session_id(self) -> str | None:
        return self._session.conversation_id if self._session is not None else None

    def run(self, prompt: str) -> RunResult:
        """Run one task to completion and return its result (blocks)."""
        loop = self._private_loop()
        return asyncio.run_coroutine_threadsafe(self.arun(prompt), loop).result()

    async def arun(self, prompt: str) -> RunResult:
        session = self._ensure_session()
        stream = session.events()
        from agent.core.api import submit_user_text

        sub_id = submit_user_text(session, prompt)
        try:
            return await self._collect(session, stream, sub_id)
        finally:
            stream.close()

    def close(self) -> None:
        if self._session is not None and self._loop is not None:
            asyncio.run_coroutine_threadsafe(self._session.shutdown(), self._loop).result(timeout=10)
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._session = None

    async def aclose(self) -> None:
        """`close()` for an Agent used with `arun` (its session lives on the caller's loop)."""
        session, self._session = self._session, None
        if session is not None:
            await session.shutdown()

    def __enter__(self) -> Agent:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> Agent:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def _ensure_session(self) -> Session:
        if self._session is None:
            from agent.core.api import open_session

            self._session = open_session(load_config(self._cli), source="python")
        return self._session

    async def _collect(self, session: Session, stream: AsyncIterator[ev.Event], sub_id: str) -> RunResult:
        mapper = ThreadEventMapper()
        items: dict[str, dict[str, Any]] = {}
        result = RunResult(None, [], {}, session.conversation_id)
        async for event in stream:
            if event.id not in (sub_id, "0"):
                continue
            result.events.append(event)
            if self._on_event is not None:
                self._on_event(event)
            self._handle(session, event, result)
            for line in mapper.feed(event):
                data = line.model_dump(mode="json")
                if "item" in data:
                    items[data["item"]["id"]] = data["item"]
                elif data["type"] == "turn.completed":
                    result.usage = data["usage"]
            if event.msg.type in ("task_complete", "turn_aborted"):
                break
        result.items = list(items.values())
        return result

    def _handle(self, session: Session, event: ev.Event, result: RunResult) -> None:
        msg = event.msg
        if isinstance(msg, (ev.ExecApprovalRequest, ev.ApplyPatchApprovalRequest)):
            decision = self._on_approval(msg) if self._on_approval else "denied"
            session.submit(ops.Approval(call_id=msg.call_id, decision=decision))  # type: ignore[arg-type]
        elif isinstance(msg, ev.Error):
            result.error = msg.message
        elif isinstance(msg, ev.TaskComplete):
            result.final_message = msg.last_agent_message
        elif isinstance(msg, ev.TurnAborted):
            result.aborted = True

    def _private_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            loop = asyncio.new_event_loop()
            self._thread = threading.Thread(target=loop.run_forever, name="kernel-agent", daemon=True)
            self._thread.start()
            self._loop = loop
        return self._loop


def _toml(value: Any) -> str:
    import json

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value)
