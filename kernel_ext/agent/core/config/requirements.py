"""`requirements.toml`: the admin's constraints (a strict schema) and the one-line refusals.

`RequirementsToml` is what the file may contain (unknown keys are errors); `Requirements`
is the frozen, parsed form a `Config` holds for the whole session (`Config.requirements`;
an empty `Requirements()` constrains nothing). Each `*_refusal` method returns None when a
value is allowed, else ONE line naming the requirement and the file, e.g.
`approval_policy 'never' is not allowed by /etc/kernel-agent/requirements.toml
(allowed_approval_policies = ["untrusted", "on-request"])`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Sequence

from pydantic import BaseModel, ConfigDict, model_validator

from agent.protocol.policy import AskForApproval, SandboxMode

REQUIREMENTS_FILE = "requirements.toml"


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class McpServerRequirement(_Table):
    """`[mcp_servers.<name>]`: the identity an allowed server must have (exactly one key)."""

    command: str | None = None
    url: str | None = None

    @model_validator(mode="after")
    def _one_identity(self) -> McpServerRequirement:
        if (self.command is None) == (self.url is None):
            raise ValueError("set exactly one of 'command' (a stdio server) or 'url' (an HTTP server)")
        return self


class RequirementsToml(_Table):
    """The whole `requirements.toml`; a list left out constrains nothing."""

    allowed_approval_policies: list[AskForApproval] | None = None
    allowed_sandbox_modes: list[SandboxMode] | None = None
    allowed_model_providers: list[str] | None = None
    allowed_models: list[str] | None = None
    mcp_servers: dict[str, McpServerRequirement] | None = None
    run_python_requires_approval: bool = False
    allow_network_access: bool = True
    allow_user_login: bool = True


def _toml_list(values: Sequence[str]) -> str:
    return "[" + ", ".join(json.dumps(v) for v in values) + "]"


@dataclass(frozen=True)
class Requirements:
    """The parsed requirements and the file they came from (`source`; None: no file)."""

    source: str | None = None
    allowed_approval_policies: tuple[str, ...] | None = None
    allowed_sandbox_modes: tuple[str, ...] | None = None
    allowed_model_providers: tuple[str, ...] | None = None
    allowed_models: tuple[str, ...] | None = None
    mcp_servers: tuple[tuple[str, str, str], ...] | None = None
    """(name, "command" | "url", value) of each allowed MCP server; None: any server."""
    run_python_requires_approval: bool = False
    allow_network_access: bool = True
    allow_user_login: bool = True

    @classmethod
    def from_toml(cls, toml: RequirementsToml, source: str) -> Requirements:
        def tup(values: list[str] | None) -> tuple[str, ...] | None:
            return None if values is None else tuple(values)

        servers = None if toml.mcp_servers is None else tuple(
            (name, "command", s.command) if s.command is not None else (name, "url", s.url or "")
            for name, s in sorted(toml.mcp_servers.items()))
        return cls(source=source, allowed_approval_policies=tup(toml.allowed_approval_policies),
                   allowed_sandbox_modes=tup(toml.allowed_sandbox_modes),
                   allowed_model_providers=tup(toml.allowed_model_providers), allowed_models=tup(toml.allowed_models),
                   mcp_servers=servers, run_python_requires_approval=toml.run_python_requires_approval,
                   allow_network_access=toml.allow_network_access, allow_user_login=toml.allow_user_login)

    @property
    def active(self) -> bool:
        """Whether a requirements file was read."""
        return self.source is not None

    def _allowed(self, what: str, value: str, field: str) -> str | None:
        allowed = getattr(self, field)
        if allowed is None or value in allowed:
            return None
        return f"{what} {value!r} is not allowed by {self.source} ({field} = {_toml_list(allowed)})"

    def approval_refusal(self, policy: str) -> str | None:
        return self._allowed("approval_policy", policy, "allowed_approval_policies")

    def sandbox_refusal(self, policy: Any) -> str | None:
        """`policy`: a SandboxPolicy; its kind (`type`) must be allowed, and network access
        must be off when `allow_network_access = false`."""
        refusal = self._allowed("sandbox mode", policy.type, "allowed_sandbox_modes")
        if refusal is None and getattr(policy, "network_access", False):
            refusal = self.network_refusal("network access for commands (sandbox_workspace_write.network_access, or a permission profile's [network] enabled)")
        return refusal

    def network_refusal(self, what: str) -> str | None:
        if self.allow_network_access:
            return None
        return f"{what} is not allowed by {self.source} (allow_network_access = false)"

    def provider_refusal(self, provider_id: str) -> str | None:
        return self._allowed("model_provider", provider_id, "allowed_model_providers")

    def model_refusal(self, model: str) -> str | None:
        return self._allowed("model", model, "allowed_models")

    def login_refusal(self) -> str | None:
        if self.allow_user_login:
            return None
        return f"logging in with your own key is not allowed by {self.source} (allow_user_login = false)"

    def mcp_refusal(self, server: Any) -> str | None:
        """`server`: a resolved McpServer. Refused when it is not on the allowlist (name and
        identity), or when it asks for network or no sandbox while network is not allowed."""
        if self.mcp_servers is not None:
            kind, value = ("url", server.url) if server.url else ("command", server.command)
            if (server.name, kind, value) not in self.mcp_servers:
                names = ", ".join(name for name, _, _ in self.mcp_servers) or "none"
                return (f"MCP server '{server.name}' ({kind} {value!r}) is not allowed by {self.source} "
                        f"(allowed [mcp_servers]: {names})")
        if not server.url and not server.sandbox:
            return self.network_refusal(f"MCP server '{server.name}' with sandbox = false")
        if not server.url and server.network:
            return self.network_refusal(f"MCP server '{server.name}' with network = true")
        return None

    def summary(self) -> str:
        """The requirements in a few words, for status lines ("" when nothing is required)."""
        parts = []
        for label, field in (("approval policies", "allowed_approval_policies"), ("sandbox modes", "allowed_sandbox_modes"),
                             ("providers", "allowed_model_providers"), ("models", "allowed_models")):
            values = getattr(self, field)
            if values is not None:
                parts.append(f"{label} {', '.join(values) or '(none)'}")
        if self.mcp_servers is not None:
            parts.append(f"MCP servers {', '.join(n for n, _, _ in self.mcp_servers) or '(none)'}")
        if self.run_python_requires_approval:
            parts.append("run_python always asks")
        if not self.allow_network_access:
            parts.append("no network access")
        if not self.allow_user_login:
            parts.append("no user login")
        return "; ".join(parts)
