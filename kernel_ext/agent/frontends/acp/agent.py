"""The ACP methods, over our sessions (one per ACP session).

`initialize` negotiates the protocol version (ours is PROTOCOL_VERSION; a client asking
for another gets ours, per the spec) and offers: loading sessions, images and embedded
context in prompts; no audio; the client's stdio and HTTP MCP servers, not SSE ones
(frontends/acp/mcp_servers.py). `session/new` opens a session in the client's cwd with
the agent's config (config.toml, `-p`, `-c`) plus the client's MCP servers;
`session/load` reopens one of our recorded sessions by id and replays its history as
updates before answering. Client file-system and terminal capabilities are not used: our
sandboxed tools stay the one place that decides what runs (docs/acp.md).

Every failure a client can cause is a JSON-RPC error with one clear message; the process
goes on serving.
"""

from __future__ import annotations

import argparse
import logging
import re
from pathlib import Path
from typing import Any

from acp import PROTOCOL_VERSION, RequestError
from acp.schema import (
    AgentCapabilities,
    Implementation,
    InitializeResponse,
    LoadSessionResponse,
    McpCapabilities,
    NewSessionResponse,
    PromptCapabilities,
    PromptResponse,
    SessionMode,
    SessionModeState,
    SetSessionModeResponse,
)

from agent.core.api import CliOverrides, ConfigError, SetupError, load_config

from .bridge import Bridge
from .mcp_servers import with_client_servers
from .modes import Mode, mode_override, session_modes
from .prompt_input import user_items

log = logging.getLogger(__name__)
SESSION_ID = re.compile(r"^[0-9a-fA-F-]{8,64}$")
"""What `session/load` accepts: one of our session ids (never a path)."""


class KernelAgentAcp:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.client: Any = None
        self.bridges: dict[str, Bridge] = {}
        self.modes: dict[str, dict[str, Mode]] = {}

    def on_connect(self, conn: Any) -> None:
        self.client = conn

    async def initialize(self, protocol_version: int, client_capabilities: Any = None, client_info: Any = None,
                         **kwargs: Any) -> InitializeResponse:
        from agent._version import __version__

        return InitializeResponse(
            protocol_version=protocol_version if protocol_version == PROTOCOL_VERSION else PROTOCOL_VERSION,
            agent_capabilities=AgentCapabilities(
                load_session=True, prompt_capabilities=PromptCapabilities(image=True, embedded_context=True, audio=False),
                mcp_capabilities=McpCapabilities(http=True, sse=False)),
            agent_info=Implementation(name="kernel-agent", title="kernel-agent", version=__version__),
            auth_methods=[],
        )

    async def authenticate(self, method_id: str, **kwargs: Any) -> None:
        raise RequestError.invalid_params({"details": "kernel-agent offers no ACP authentication; "
                                           "set the provider's API key (kernel-agent login)"})

    async def new_session(self, cwd: str, mcp_servers: list[Any] | None = None, **kwargs: Any) -> NewSessionResponse:
        from agent.core.api import open_session

        config = self._config(cwd, mcp_servers)
        bridge = self._bridge(lambda: open_session(config, source="acp"))
        bridge.start()
        return NewSessionResponse(session_id=bridge.id, modes=self._modes_of(bridge.id, config))

    async def load_session(self, cwd: str, session_id: str, mcp_servers: list[Any] | None = None,
                           **kwargs: Any) -> LoadSessionResponse:
        from agent.core.api import resume_session

        if not SESSION_ID.match(session_id):
            raise RequestError.invalid_params({"details": f"not a session id: {session_id[:80]!r}"})
        config = self._config(cwd, mcp_servers)
        old = self.bridges.pop(session_id, None)
        if old is not None:
            await old.close()
        bridge = self._bridge(lambda: resume_session(config, session_id))
        await bridge.replay()
        bridge.start()
        return LoadSessionResponse(modes=self._modes_of(bridge.id, config))

    async def prompt(self, session_id: str, prompt: list[Any], **kwargs: Any) -> PromptResponse:
        bridge = self._known(session_id)
        stop_reason = await bridge.prompt(user_items(prompt))
        return PromptResponse(stop_reason=stop_reason)

    async def cancel(self, session_id: str, **kwargs: Any) -> None:
        bridge = self.bridges.get(session_id)
        if bridge is None:
            log.info("session/cancel for an unknown session %s: ignored", session_id[:80])
            return
        bridge.cancel()

    async def set_session_mode(self, session_id: str, mode_id: str, **kwargs: Any) -> SetSessionModeResponse:
        bridge = self._known(session_id)
        mode = self.modes[session_id].get(mode_id)
        if mode is None:
            raise RequestError.invalid_params({"details": f"unknown mode {mode_id[:80]!r}; one of: "
                                               + ", ".join(self.modes[session_id])})
        try:  # the session's held managed keys and requirements decide (one line when refused)
            bridge.session.config.with_overrides(approval_policy=mode.approval, sandbox_policy=mode.sandbox)
        except ConfigError as err:
            raise RequestError.invalid_params({"details": str(err)}) from None
        bridge.set_mode(mode_override(mode))
        return SetSessionModeResponse()

    async def close(self) -> None:
        """The client went away: end every session (each recording is flushed)."""
        for bridge in list(self.bridges.values()):
            await bridge.close()
        self.bridges.clear()

    # --- helpers -------------------------------------------------------------------------

    def _config(self, cwd: str, mcp_servers: list[Any] | None) -> Any:
        if not Path(cwd).is_absolute() or not Path(cwd).is_dir():
            raise RequestError.invalid_params({"details": f"cwd must be an absolute path to a directory: {cwd[:200]!r}"})
        args = self.args
        try:
            config = load_config(CliOverrides(cwd=cwd, profile=args.profile, raw=list(args.raw_overrides)))
        except ConfigError as err:
            raise RequestError.internal_error({"details": f"config: {err}"}) from None
        return with_client_servers(config, mcp_servers or [])

    def _bridge(self, opener: Any) -> Bridge:
        try:
            session = opener()
        except SetupError as err:
            raise RequestError.invalid_params({"details": str(err)}) from None
        bridge = Bridge(session, self.client, session.conversation_id)
        self.bridges[bridge.id] = bridge
        return bridge

    def _modes_of(self, session_id: str, config: Any) -> SessionModeState:
        modes, current = session_modes(config)
        self.modes[session_id] = {mode.id: mode for mode in modes}
        return SessionModeState(current_mode_id=current, available_modes=[
            SessionMode(id=mode.id, name=mode.name, description=mode.description) for mode in modes])

    def _known(self, session_id: str) -> Bridge:
        bridge = self.bridges.get(session_id)
        if bridge is None:
            raise RequestError.invalid_params({"details": f"unknown session {session_id[:80]!r}: "
                                               "call session/new or session/load first"})
        return bridge
