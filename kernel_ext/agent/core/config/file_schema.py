"""What `config.toml` may contain: strict pydantic tables (unknown keys are errors).

Every key of `ConfigToml` is optional; `None` means "not set" so resolution can tell a
value written in the file from a default. Some tables (`SandboxWorkspaceWrite`,
`SandboxLimits`, `ShellEnvironmentPolicy`) are also the resolved values in `Config`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from agent.client.providers import ModelProviderInfo
from agent.exec.limits import DEFAULT_LIMITS
from agent.protocol.policy import AskForApproval, ReasoningEffort, ReasoningSummary, SandboxMode, Verbosity

HistoryPersistence = Literal["save-all", "none"]
TrustLevel = Literal["trusted", "untrusted"]


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class SandboxWorkspaceWrite(_Table):
    """`[sandbox_workspace_write]`; in `Config` the roots are absolute."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    writable_roots: tuple[str, ...] = Field(default=(), strict=False)
    network_access: bool = False
    exclude_tmpdir_env_var: bool = False
    exclude_slash_tmp: bool = False


class SandboxLimits(_Table):
    """`[sandbox_limits]`: resource limits of every sandboxed command (0 = no limit;
    see agent.exec.limits for how each one is enforced)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    max_processes: int = Field(default=DEFAULT_LIMITS.max_processes, ge=0)
    max_memory_mb: int = Field(default=DEFAULT_LIMITS.max_memory_mb, ge=0)
    """Per process (RLIMIT_DATA), and per command where a memory cgroup is writable."""
    max_file_size_mb: int = Field(default=DEFAULT_LIMITS.max_file_size_mb, ge=0)
    cpu_seconds: int = Field(default=0, ge=0)


class HistoryToml(_Table):
    persistence: HistoryPersistence = "save-all"
    max_bytes: int | None = Field(default=None, ge=0)


class ShellEnvironmentPolicy(_Table):
    """`[shell_environment_policy]` (spec §10.3), also the resolved value in `Config`."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    inherit: Literal["all", "core", "none"] = "all"
    ignore_default_excludes: bool = False
    exclude: tuple[str, ...] = Field(default=(), strict=False)
    set: dict[str, str] = Field(default_factory=dict)
    include_only: tuple[str, ...] = Field(default=(), strict=False)


class ProjectToml(_Table):
    trust_level: TrustLevel | None = None


class McpServerToml(_Table):
    """`[mcp_servers.<name>]` (spec §11): a stdio server (`command`) or a streamable HTTP
    one (`url`, `bearer_token_env_var`, `http_headers`, `env_http_headers`)."""

    command: str | None = None
    args: list[str] = Field(default_factory=list)
    env: dict[str, str] = Field(default_factory=dict)
    env_vars: list[str] = Field(default_factory=list)
    cwd: str | None = None
    enabled: bool = True
    enabled_tools: list[str] | None = None
    disabled_tools: list[str] = Field(default_factory=list)
    startup_timeout_sec: float = Field(default=30.0, gt=0, strict=False)
    tool_timeout_sec: float = Field(default=120.0, gt=0, strict=False)
    sandbox: bool = True
    network: bool = False
    url: str | None = None
    bearer_token_env_var: str | None = None
    http_headers: dict[str, str] | None = None
    env_http_headers: dict[str, str] | None = None


class PermissionNetworkToml(_Table):
    """`[permissions.<name>.network]`."""

    enabled: bool = False


class PermissionProfileToml(_Table):
    """`[permissions.<name>]`: a Codex permission profile (checked and mapped by
    agent.core.config.permissions: `filesystem` maps a path or special key to "read",
    "write" or "none", `:project_roots` to a table of cwd subpaths)."""

    extends: str | None = None
    filesystem: dict[str, str | dict[str, str]] = Field(default_factory=dict)
    network: PermissionNetworkToml | None = None


class ConfigProfile(_Table):
    """`[profiles.<name>]`: the keys a profile may set."""

    model: str | None = None
    model_provider: str | None = None
    approval_policy: AskForApproval | None = None
    sandbox_mode: SandboxMode | None = None
    default_permissions: str | None = None
    model_reasoning_effort: ReasoningEffort | None = None
    model_reasoning_summary: ReasoningSummary | None = None
    model_verbosity: Verbosity | None = None
    model_accepts_images: bool | None = None
    mcp_servers: dict[str, McpServerToml] | None = None
    """Replaces the top-level `[mcp_servers]` table entry by entry (same name: the profile's wins)."""


class ConfigToml(_Table):
    """The whole `config.toml` (every key optional; `None` means "not set")."""

    model: str | None = None
    model_provider: str | None = None
    model_providers: dict[str, ModelProviderInfo] | None = None
    approval_policy: AskForApproval | None = None
    sandbox_mode: SandboxMode | None = None
    sandbox_workspace_write: SandboxWorkspaceWrite | None = None
    default_permissions: str | None = None
    """A permission profile: `:read-only`, `:workspace`, `:danger-full-access` or a name
    under `[permissions]` (not together with `sandbox_mode`; see config.permissions)."""
    permissions: dict[str, PermissionProfileToml] | None = None
    sandbox_limits: SandboxLimits | None = None
    model_reasoning_effort: ReasoningEffort | None = None
    model_reasoning_summary: ReasoningSummary | None = None
    model_verbosity: Verbosity | None = None
    model_context_window: int | None = Field(default=None, gt=0)
    model_auto_compact_token_limit: int | None = Field(default=None, gt=0)
    model_supports_reasoning_summaries: bool | None = None
    model_accepts_images: bool | None = None
    """Whether the model takes images as input (MCP image results, `view_image`); unset: by
    the provider's wire API (schema.default_accepts_images)."""
    instructions: str | None = None
    developer_instructions: str | None = None
    instructions_file: str | None = None
    compact_prompt: str | None = None
    project_doc_max_bytes: int | None = Field(default=None, ge=0)
    tool_output_token_limit: int | None = Field(default=None, gt=0)
    shell_timeout_ms: int | None = Field(default=None, gt=0)
    parallel_tool_calls: bool | None = None
    hide_agent_reasoning: bool | None = None
    show_raw_agent_reasoning: bool | None = None
    history: HistoryToml | None = None
    shell_environment_policy: ShellEnvironmentPolicy | None = None
    profile: str | None = None
    profiles: dict[str, ConfigProfile] | None = None
    projects: dict[str, ProjectToml] | None = None
    notify: list[str] | None = None
    sandbox_hidden_paths: list[str] | None = None
    """Extra paths (beyond credentials and Jupyter's control files) that neither sandboxed
    commands nor in-process tools may read; `~` is the home directory."""
    mcp_servers: dict[str, McpServerToml] | None = None
    """`[mcp_servers.<name>]`: MCP servers whose tools the model may call (resolution.mcp_servers)."""
    kernel_variables_unmasked: list[str] | None = None
    """Kernel variable names whose values the kernel tools show unmasked (no key-shape or
    secret-name masking); known secret values are still replaced."""
