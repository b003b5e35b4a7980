"""A plain ACP client for the tests: the SDK's client side, spawning the real
`kernel-agent acp` (the CLI in .venv/bin) with KERNEL_AGENT_HOME pointing at a config
for the scripted model server."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from pathlib import Path
from typing import Any, AsyncIterator

from acp import spawn_agent_process
from acp.schema import AllowedOutcome, DeniedOutcome, RequestPermissionResponse

from tests.cli.test_exec import agent_env

CLI = str(Path(sys.executable).with_name("kernel-agent"))


class RecordingClient:
    """Records every session/update; answers permission requests with `answer` (an
    option id, or "cancelled"), or, with `hold=True`, only once `release` is set (then as
    cancelled, as a client does after session/cancel)."""

    def __init__(self, answer: str = "approved", *, hold: bool = False):
        self.answer, self.hold = answer, hold
        self.updates: list[tuple[str, Any]] = []
        self.permissions: list[tuple[Any, list[Any]]] = []
        self.asked = asyncio.Event()
        self.release = asyncio.Event()
        self._seen = asyncio.Condition()

    async def session_update(self, session_id: str, update: Any, **kwargs: Any) -> None:
        async with self._seen:
            self.updates.append((session_id, update))
            self._seen.notify_all()

    async def request_permission(self, session_id: str, tool_call: Any, options: list[Any], **kwargs: Any) -> Any:
        self.permissions.append((tool_call, options))
        self.asked.set()
        if self.hold:
            await self.release.wait()
            return RequestPermissionResponse(outcome=DeniedOutcome(outcome="cancelled"))
        if self.answer == "cancelled":
            return RequestPermissionResponse(outcome=DeniedOutcome(outcome="cancelled"))
        return RequestPermissionResponse(outcome=AllowedOutcome(outcome="selected", option_id=self.answer))

    async def wait_for(self, kind: str) -> Any:
        """The first update of this kind (`agent_message_chunk`, ...), waiting for it."""
        async with self._seen:
            await self._seen.wait_for(lambda: any(u.session_update == kind for _, u in self.updates))
        return next(u for _, u in self.updates if u.session_update == kind)

    def of(self, kind: str) -> list[Any]:
        return [u for _, u in self.updates if u.session_update == kind]

    def text(self, kind: str) -> str:
        return "".join(u.content.text for u in self.of(kind))


@contextlib.asynccontextmanager
async def acp_agent(home: Path, client: RecordingClient, stderr_path: Path) -> AsyncIterator[Any]:
    """A connection to a fresh `kernel-agent acp` process; its stderr goes to `stderr_path`."""
    env = agent_env(home)
    with open(stderr_path, "ab") as stderr:
        async with spawn_agent_process(client, CLI, "acp", env=env, cwd=str(home),
                                       transport_kwargs={"stderr": stderr}) as (conn, process):
            yield conn
    assert "Traceback" not in stderr_path.read_text(), stderr_path.read_text()
