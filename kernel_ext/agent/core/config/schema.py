"""The resolved, typed `Config` of one session and its defaults.

Defaults that differ from Codex: `sandbox_mode` defaults to `workspace-write` (the agent
works in the notebook's directory, so read-only would make it useless by default);
`approval_policy` defaults to `on-request` (resolution picks `untrusted` for a project
marked so under `[projects]`, see `resolution`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from agent.client.providers import ModelProviderInfo
from agent.tools.exec_rules import RuleSet
from agent.protocol.policy import (
    AskForApproval,
    ReasoningEffort,
    ReasoningSummary,
    SandboxMode,
    SandboxPolicy,
    Verbosity,
    sandbox_policy_for_mode,
)

from .errors import ConfigError, check_choice
from .enforce import change_refusal
from .file_schema import (
    HistoryPersistence,
    SandboxLimits,
    SandboxWorkspaceWrite,
    ShellEnvironmentPolicy,
    TrustLevel,
)
from .requirements import Requirements

CONFIG_FILE = "config.toml"
DEFAULT_MODEL = "gpt-5.1-codex"
DEFAULT_PROVIDER = "openai"
LOCAL_PROVIDER_MODELS = {"ollama": "gpt-oss:20b", "lmstudio": "openai/gpt-oss-20b"}
"""Default model when none is configured and a local provider is selected (spec §3.5)."""
DEFAULT_APPROVAL_POLICY = "on-request"
DEFAULT_SANDBOX_MODE = "workspace-write"
DEFAULT_PROJECT_DOC_MAX_BYTES = 32 * 1024
DEFAULT_SHELL_TIMEOUT_MS = 120_000
DEFAULT_REASONING_SUMMARY = "auto"

CHOICES: dict[str, Any] = {
    "approval_policy": AskForApproval,
    "sandbox_mode": SandboxMode,
    "model_reasoning_effort": ReasoningEffort | None,
    "model_reasoning_summary": ReasoningSummary,
    "model_verbosity": Verbosity | None,
}
"""The enum-like keys checked when given outside the file, with their types."""


def default_accepts_images(provider: ModelProviderInfo) -> bool:
    """`model_accepts_images` when unset: True on the Responses API (OpenAI's and Azure's
    models take images), False on Chat Completions (the wire of Ollama, LM Studio and most
    OpenAI-compatible servers, whose models are often text-only and answer a request with
    an image part with an error). The model name is not consulted."""
    return provider.wire_api == "responses"


def build_sandbox_policy(mode: SandboxMode, workspace: SandboxWorkspaceWrite) -> SandboxPolicy:
    """The `SandboxPolicy` for a mode; the workspace settings only matter for workspace-write."""
    return sandbox_policy_for_mode(mode, **workspace.model_dump())


@dataclass(frozen=True)
class McpServer:
    """One resolved `[mcp_servers.<name>]` stdio or streamable HTTP server (spec §11); the session turns the
    enabled ones into `agent.tools.mcp.server_config.McpServerConfig` (the same fields,
checked by a test: the layers may not import each other's module cheaply). `env` holds the
    variables the server gets on top of a minimal environment (its only secrets); `cwd` is
    absolute when set."""

    name: str
    command: str = ""
    """The stdio server's program ("" for a streamable HTTP server)."""
    args: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    env_vars: tuple[str, ...] = ()
    cwd: str | None = None
    enabled: bool = True
    enabled_tools: tuple[str, ...] | None = None
    disabled_tools: tuple[str, ...] = ()
    startup_timeout_sec: float = 30.0
    tool_timeout_sec: float = 120.0
    sandbox: bool = True
    network: bool = False
    url: str | None = None
    """A streamable HTTP server (then `command` is empty and the stdio keys are unused)."""
    bearer_token_env_var: str | None = None
    http_headers: tuple[tuple[str, str], ...] = ()
    env_http_headers: tuple[tuple[str, str], ...] = ()
    """Header name -> the environment variable holding its value."""


@dataclass(frozen=True)
class Config:
    """The resolved configuration of one session. Build it with `load_config()`.

    `sandbox_mode` defaults to `workspace-write`, unlike Codex's `read-only`: the agent
    is meant to edit files in the notebook's directory.
    """

    model: str
    model_provider_id: str
    model_provider: ModelProviderInfo
    cwd: Path
    home: Path
    approval_policy: AskForApproval = DEFAULT_APPROVAL_POLICY
    sandbox_mode: SandboxMode = DEFAULT_SANDBOX_MODE
    sandbox_workspace_write: SandboxWorkspaceWrite = field(default_factory=SandboxWorkspaceWrite)
    sandbox_policy: SandboxPolicy = field(
        default_factory=lambda: build_sandbox_policy(DEFAULT_SANDBOX_MODE, SandboxWorkspaceWrite())
    )
    model_providers: Mapping[str, ModelProviderInfo] = field(default_factory=dict)
    """Every known provider (built-ins plus the user's new ids)."""
    profile: str | None = None
    model_reasoning_effort: ReasoningEffort | None = None
    """None: the model family's default."""
    model_reasoning_summary: ReasoningSummary = DEFAULT_REASONING_SUMMARY
    model_verbosity: Verbosity | None = None
    model_context_window: int | None = None
    model_auto_compact_token_limit: int | None = None
    model_supports_reasoning_summaries: bool = False
    instructions: str | None = None
    developer_instructions: str | None = None
    instructions_file: Path | None = None
    """Absolute; a relative path in the file is taken relative to the home folder."""
    compact_prompt: str | None = None
    project_doc_max_bytes: int = DEFAULT_PROJECT_DOC_MAX_BYTES
    tool_output_token_limit: int | None = None
    shell_timeout_ms: int = DEFAULT_SHELL_TIMEOUT_MS
    """Default timeout of a command the model runs (it may ask for another per call)."""
    parallel_tool_calls: bool = False
    hide_agent_reasoning: bool = False
    show_raw_agent_reasoning: bool = False
    history_persistence: HistoryPersistence = "save-all"
    history_max_bytes: int | None = None
    shell_environment_policy: ShellEnvironmentPolicy = field(default_factory=ShellEnvironmentPolicy)
    notify: tuple[str, ...] = ()
    sandbox_hidden_paths: tuple[str, ...] = ()
    """Extra paths hidden from commands and file tools (see agent.exec.hidden)."""
    sandbox_limits: SandboxLimits = field(default_factory=SandboxLimits)
    """Resource limits of sandboxed commands (see agent.exec.limits)."""
    kernel_variables_unmasked: tuple[str, ...] = ()
    """Variables the kernel tools show without masking (see agent.tools.secret_mask)."""
    projects: Mapping[str, TrustLevel] = field(default_factory=dict)
    """Absolute project path -> trust level."""
    mcp_servers: tuple[McpServer, ...] = ()
    """The stdio MCP servers, enabled or not, sorted by name (resolution.mcp_servers)."""
    exec_rules: RuleSet = field(default_factory=RuleSet)
    """The exec-policy rules of `<system_dir>/rules` then `<home>/rules` (config/rules_files.py); held for the session."""
    permission_profile: str | None = None
    """The `default_permissions` profile in force (None: `sandbox_mode` decides; config.permissions)."""
    permission_denied_paths: tuple[str, ...] = ()
    """The profile's "none" paths (absolute; also in `sandbox_hidden_paths`)."""
    managed: Mapping[str, str] = field(default_factory=dict)
    """Dotted key -> the managed_config.toml that fixes it (config/managed.py); held for the session."""
    requirements: Requirements = field(default_factory=Requirements)
    """The admin's requirements.toml as read at load (config/requirements.py); held for the session."""
    model_accepts_images: bool = True
    """Whether the model is sent images: MCP image results become `input_image`s and `view_image`
    is offered; when False an MCP image becomes a note and `view_image` is not offered
    (resolution: `model_accepts_images`, else `default_accepts_images`)."""
    mcp_refused: tuple[tuple[str, str], ...] = ()
    """(server name, the one line saying why) for each MCP server a requirement refused (not started)."""
    warnings: list[str] = field(default_factory=list)

    def with_overrides(self, **fields: Any) -> Config:
        """A copy with `fields` replaced; the provider and sandbox policy follow their ids/modes.
        A change the held managed keys or requirements forbid raises ConfigError (one line,
        config/enforce.py `change_refusal`)."""
        for key, annotation in CHOICES.items():
            if key in fields:
                fields[key] = check_choice(key, fields[key], annotation, "override")
        if "model_provider_id" in fields and "model_provider" not in fields:
            fields["model_provider"] = self._provider(fields["model_provider_id"])
        if {"sandbox_mode", "sandbox_workspace_write"} & fields.keys() and "sandbox_policy" not in fields:
            fields["sandbox_policy"] = build_sandbox_policy(
                fields.get("sandbox_mode", self.sandbox_mode),
                fields.get("sandbox_workspace_write", self.sandbox_workspace_write),
            )
        refusal = change_refusal(self, model=fields.get("model"), model_provider_id=fields.get("model_provider_id"),
                                 approval_policy=fields.get("approval_policy"), sandbox_policy=fields.get("sandbox_policy"))
        if refusal is not None:
            raise ConfigError(refusal)
        return dataclasses.replace(self, **fields)

    def key_rules(self) -> dict[str, Any]:
        """Keyword arguments for `auth.resolve_api_key` under the admin's `allow_user_login`."""
        managed = f"model_providers.{self.model_provider_id}" in self.managed or "model_provider" in self.managed
        return {"lockdown": self.requirements.login_refusal(), "managed_provider": managed}

    def lockdown(self) -> list[tuple[str, str]]:
        """Status rows for the admin's lock-down: ("managed", "model, model_provider (<file>)")
        and ("requirements", "approval policies untrusted; ... (<file>)"); empty without one."""
        by_file: dict[str, list[str]] = {}
        for key, path in self.managed.items():
            by_file.setdefault(path, []).append(key)
        rows = [("managed", f"{', '.join(keys)} ({path})") for path, keys in by_file.items()]
        if self.requirements.active:
            rows.append(("requirements", f"{self.requirements.summary() or 'nothing'} ({self.requirements.source})"))
        return rows

    def _provider(self, provider_id: str) -> ModelProviderInfo:
        if provider_id not in self.model_providers:
            known = ", ".join(sorted(self.model_providers))
            raise ConfigError(
                f"invalid value for 'model_provider': {provider_id!r} (known providers: {known})",
                key="model_provider",
                source="override",
            )
        return self.model_providers[provider_id]
