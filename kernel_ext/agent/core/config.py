"""Configuration: `<home>/config.toml`, `-c key=value` overrides, profiles and CLI flags.

Contract (spec §10.1–10.3, §3.5, §7.1–7.2, adapted):

* `load_config(cli, home=, env=)` reads `<home>/config.toml` when it exists, applies the
  `-c` overrides (`CliOverrides.raw`) onto the raw table, validates it against
  `ConfigToml` (unknown keys are errors at every level we define) and resolves a frozen
  `Config`. Every problem is a `ConfigError` whose message names the offending dotted key
  and its source (the file path, the `-c` text, a profile or the command line).
* Precedence for the keys a profile may set: CLI flag > `-c` override of the top-level
  key > selected profile > top-level file value > default. (Codex lets a profile beat a
  top-level `-c`; we let what was typed on the command line win.)
* Providers: the built-ins of `builtin_providers(env)` plus the user's
  `[model_providers.<id>]` tables with *new* ids; a user table reusing a built-in id is
  ignored with a note in `Config.warnings`, as in Codex.
* Defaults that differ from Codex: `sandbox_mode` defaults to `workspace-write` (the agent
  works in the notebook's directory, so read-only would make it useless by default);
  `approval_policy` defaults to `on-request`, or `untrusted` when the cwd (or a parent)
  is marked `trust_level = "untrusted"` under `[projects]`.
"""

from __future__ import annotations

import dataclasses
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Mapping, Sequence

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from agent.client.providers import ModelProviderInfo, builtin_providers
from agent.core.home import agent_home
from agent.exec.limits import DEFAULT_LIMITS
from agent.protocol.policy import (
    AskForApproval,
    ReasoningEffort,
    ReasoningSummary,
    SandboxMode,
    SandboxPolicy,
    Verbosity,
    sandbox_policy_for_mode,
)

CONFIG_FILE = "config.toml"
DEFAULT_MODEL = "gpt-5.1-codex"
DEFAULT_PROVIDER = "openai"
LOCAL_PROVIDER_MODELS = {"ollama": "gpt-oss:20b", "lmstudio": "openai/gpt-oss-20b"}
"""Default model when none is configured and a local provider is selected (spec §3.5)."""
DEFAULT_APPROVAL_POLICY = "on-request"
DEFAULT_SANDBOX_MODE = "workspace-write"
DEFAULT_PROJECT_DOC_MAX_BYTES = 32 * 1024
COMMAND_LINE = "command line"

HistoryPersistence = Literal["save-all", "none"]
TrustLevel = Literal["trusted", "untrusted"]


class ConfigError(Exception):
    """A configuration problem. `key` is the dotted key at fault, `source` where it came from."""

    def __init__(self, message: str, *, key: str | None = None, source: str | None = None):
        super().__init__(f"{source}: {message}" if source else message)
        self.key = key
        self.source = source


# --------------------------------------------------------------------------- file model


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


class ConfigProfile(_Table):
    """`[profiles.<name>]`: the keys a profile may set."""

    model: str | None = None
    model_provider: str | None = None
    approval_policy: AskForApproval | None = None
    sandbox_mode: SandboxMode | None = None
    model_reasoning_effort: ReasoningEffort | None = None
    model_reasoning_summary: ReasoningSummary | None = None
    model_verbosity: Verbosity | None = None


PROFILE_KEYS = tuple(ConfigProfile.model_fields)


class ConfigToml(_Table):
    """The whole `config.toml` (every key optional; `None` means "not set")."""

    model: str | None = None
    model_provider: str | None = None
    model_providers: dict[str, ModelProviderInfo] | None = None
    approval_policy: AskForApproval | None = None
    sandbox_mode: SandboxMode | None = None
    sandbox_workspace_write: SandboxWorkspaceWrite | None = None
    sandbox_limits: SandboxLimits | None = None
    model_reasoning_effort: ReasoningEffort | None = None
    model_reasoning_summary: ReasoningSummary | None = None
    model_verbosity: Verbosity | None = None
    model_context_window: int | None = Field(default=None, gt=0)
    model_auto_compact_token_limit: int | None = Field(default=None, gt=0)
    model_supports_reasoning_summaries: bool | None = None
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
    kernel_variables_unmasked: list[str] | None = None
    """Kernel variable names whose values the kernel tools show unmasked (no key-shape or
    secret-name masking); known secret values are still replaced."""


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class CliOverrides:
    """What the command line (or a front end) asks for; `None`/empty means "not given"."""

    model: str | None = None
    model_provider: str | None = None
    approval_policy: str | None = None
    sandbox_mode: str | None = None
    cwd: str | Path | None = None
    profile: str | None = None
    add_dirs: Sequence[str | Path] = ()
    """Extra writable roots (`--add-dir`)."""
    raw: Sequence[str] = ()
    """The `-c key=value` strings, in order."""


def parse_cli_override(text: str) -> tuple[list[str], Any]:
    """Parse one `-c key=value`: a dotted key path and a TOML value (or a raw string)."""
    key, sep, value = text.partition("=")
    source = f"-c {text!r}"
    if not sep:
        raise ConfigError("expected key=value", key=key.strip() or None, source=source)
    path = _parse_key_path(key.strip())
    if not path or any(part == "" for part in path):
        raise ConfigError("empty key in override", key=key.strip(), source=source)
    return path, _parse_value(value)


def _parse_key_path(key: str) -> list[str]:
    """A TOML dotted key (quoted parts allowed), else a plain split at dots."""
    try:
        node: Any = tomllib.loads(f"{key} = 0")
    except tomllib.TOMLDecodeError:
        return key.split(".")
    path: list[str] = []
    while isinstance(node, dict):
        if len(node) != 1:
            return key.split(".")
        (name, node), = node.items()
        path.append(name)
    return path


def _parse_value(value: str) -> Any:
    try:
        parsed = tomllib.loads(f"_ = {value}")
    except tomllib.TOMLDecodeError:
        return value.strip().strip("\"'")
    if list(parsed) != ["_"]:
        return value.strip().strip("\"'")
    return parsed["_"]


def _set_path(table: dict[str, Any], path: Sequence[str], value: Any) -> None:
    node = table
    for name in path[:-1]:
        child = node.get(name)
        if not isinstance(child, dict):
            child = node[name] = {}
        node = child
    node[path[-1]] = value


def _read_toml(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"invalid TOML: {exc}", source=str(path)) from None
    except UnicodeDecodeError:
        raise ConfigError("invalid TOML: the file is not valid UTF-8", source=str(path)) from None
    except OSError as exc:
        raise ConfigError(f"cannot read the file: {exc.strerror}", source=str(path)) from None


# --------------------------------------------------------------------------- validation


@dataclass(frozen=True)
class _Sources:
    """Knows where each raw value came from, to name it in error messages."""

    file: Path
    overrides: tuple[tuple[tuple[str, ...], str], ...] = ()

    def override_text(self, path: Sequence[str], *, exact: bool = False) -> str | None:
        path = tuple(path)
        for opath, text in reversed(self.overrides):
            n = min(len(opath), len(path))
            if opath == path or (not exact and opath[:n] == path[:n]):
                return text
        return None

    def of(self, path: Sequence[str]) -> str:
        text = self.override_text(path)
        return f"-c {text!r}" if text is not None else str(self.file)


def _dotted(loc: Sequence[Any]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


_TOML_TYPES = {
    "string_type": "expected a string",
    "int_type": "expected an integer",
    "bool_type": "expected true or false",
    "list_type": "expected an array",
    "tuple_type": "expected an array",
    "dict_type": "expected a table",
    "model_type": "expected a table",
    "model_attributes_type": "expected a table",
}
"""pydantic error types reworded in TOML terms."""


def _describe(error: Mapping[str, Any], key: str) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return f"unknown key '{key}'"
    if kind == "missing":
        return f"missing required key '{key}'"
    if kind == "literal_error":
        choices = re.findall(r"'([^']*)'", error.get("ctx", {}).get("expected", ""))
        return f"invalid value for '{key}': {error['input']!r} (expected one of: {', '.join(choices)})"
    message = _TOML_TYPES.get(kind) or error["msg"][:1].lower() + error["msg"][1:]
    return f"invalid value for '{key}': {message}"


def _validation_error(exc: ValidationError, sources: _Sources) -> ConfigError:
    """One ConfigError listing every problem, a line each, prefixed by its source."""
    problems = [
        (_dotted(error["loc"]), sources.of([p for p in error["loc"] if isinstance(p, str)]), error)
        for error in exc.errors()
    ]
    error = ConfigError("\n".join(f"{source}: {_describe(e, key)}" for key, source, e in problems), key=problems[0][0])
    error.source = problems[0][1]
    return error


def _validate(raw: dict[str, Any], sources: _Sources) -> ConfigToml:
    try:
        return ConfigToml.model_validate(raw)
    except ValidationError as exc:
        raise _validation_error(exc, sources) from None


def _check_choice(key: str, value: Any, annotation: Any, source: str) -> Any:
    """Validate one enum-like value given outside the file (CLI flag, `with_overrides`)."""
    try:
        return TypeAdapter(annotation).validate_python(value, strict=True)
    except ValidationError as exc:
        error = exc.errors()[0]
        raise ConfigError(_describe(error, key), key=key, source=source) from None


_CHOICES: dict[str, Any] = {
    "approval_policy": AskForApproval,
    "sandbox_mode": SandboxMode,
    "model_reasoning_effort": ReasoningEffort | None,
    "model_reasoning_summary": ReasoningSummary,
    "model_verbosity": Verbosity | None,
}


# --------------------------------------------------------------------------- layering


@dataclass(frozen=True)
class _Layers:
    """CLI flags > `-c` top-level overrides > profile > top-level file values."""

    toml: ConfigToml
    sources: _Sources
    flags: Mapping[str, Any]
    profile_name: str | None
    profile: ConfigProfile | None

    def pick(self, key: str) -> tuple[Any, str | None]:
        flag = self.flags.get(key)
        if flag is not None:
            return flag, COMMAND_LINE
        top = getattr(self.toml, key)
        override = self.sources.override_text([key], exact=True)
        if top is not None and override is not None:
            return top, f"-c {override!r}"
        scoped = getattr(self.profile, key, None) if self.profile else None
        if scoped is not None:
            return scoped, f"{self.sources.file} (profile '{self.profile_name}')"
        return top, (str(self.sources.file) if top is not None else None)

    def value(self, key: str) -> Any:
        return self.pick(key)[0]


def _select_profile(toml: ConfigToml, cli: CliOverrides, sources: _Sources) -> tuple[str | None, ConfigProfile | None]:
    name, source = cli.profile, COMMAND_LINE
    if name is None:
        name, source = toml.profile, sources.of(["profile"])
    if name is None:
        return None, None
    profiles = toml.profiles or {}
    if name not in profiles:
        known = ", ".join(sorted(profiles)) or "none are defined"
        raise ConfigError(f"unknown profile '{name}' for 'profile' (known profiles: {known})", key="profile", source=source)
    return name, profiles[name]


def _cli_flags(cli: CliOverrides) -> dict[str, Any]:
    flags: dict[str, Any] = {"model": cli.model, "model_provider": cli.model_provider}
    for key in ("approval_policy", "sandbox_mode"):
        value = getattr(cli, key)
        flags[key] = None if value is None else _check_choice(key, value, _CHOICES[key], COMMAND_LINE)
    return flags


def _merge_providers(toml: ConfigToml, env: Mapping[str, str], sources: _Sources) -> tuple[dict[str, ModelProviderInfo], list[str]]:
    merged = builtin_providers(env)
    warnings = []
    for provider_id, info in (toml.model_providers or {}).items():
        if provider_id in merged:
            warnings.append(
                f"{sources.of(['model_providers', provider_id])}: [model_providers.{provider_id}] is ignored: "
                f"'{provider_id}' is a built-in provider; use a new id"
                + (" (or OPENAI_BASE_URL to change the OpenAI endpoint)" if provider_id == "openai" else "")
            )
            continue
        merged[provider_id] = info
    return merged, warnings


def _resolve_provider(layers: _Layers, providers: Mapping[str, ModelProviderInfo]) -> str:
    provider_id, source = layers.pick("model_provider")
    provider_id = provider_id or DEFAULT_PROVIDER
    if provider_id not in providers:
        raise ConfigError(
            f"invalid value for 'model_provider': {provider_id!r} (known providers: {', '.join(sorted(providers))})",
            key="model_provider",
            source=source,
        )
    return provider_id


def _absolute(base: Path, path: str | Path) -> Path:
    return Path(os.path.normpath(os.path.join(base, os.path.expanduser(str(path)))))


def _workspace(toml: ConfigToml, cli: CliOverrides, cwd: Path) -> SandboxWorkspaceWrite:
    table = toml.sandbox_workspace_write or SandboxWorkspaceWrite()
    roots: list[str] = []
    for root in [*table.writable_roots, *cli.add_dirs]:
        absolute = str(_absolute(cwd, root))
        if absolute not in roots:
            roots.append(absolute)
    return table.model_copy(update={"writable_roots": tuple(roots)})


def build_sandbox_policy(mode: SandboxMode, workspace: SandboxWorkspaceWrite) -> SandboxPolicy:
    """The `SandboxPolicy` for a mode; the workspace settings only matter for workspace-write."""
    return sandbox_policy_for_mode(mode, **workspace.model_dump())


def _trust_levels(toml: ConfigToml, cwd: Path) -> dict[str, TrustLevel]:
    levels: dict[str, TrustLevel] = {}
    for path, project in (toml.projects or {}).items():
        if project.trust_level is not None:
            levels[str(_absolute(cwd, path))] = project.trust_level
    return levels


def _default_approval(trust: Mapping[str, TrustLevel], cwd: Path) -> AskForApproval:
    for folder in (cwd, *cwd.parents):
        level = trust.get(str(folder))
        if level is not None:
            return "untrusted" if level == "untrusted" else DEFAULT_APPROVAL_POLICY
    return DEFAULT_APPROVAL_POLICY


# --------------------------------------------------------------------------- result


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
    model_reasoning_summary: ReasoningSummary = "auto"
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
    shell_timeout_ms: int = 120_000
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
    warnings: list[str] = field(default_factory=list)

    def with_overrides(self, **fields: Any) -> Config:
        """A copy with `fields` replaced; the provider and sandbox policy follow their ids/modes."""
        for key, annotation in _CHOICES.items():
            if key in fields:
                fields[key] = _check_choice(key, fields[key], annotation, "override")
        if "model_provider_id" in fields and "model_provider" not in fields:
            provider_id = fields["model_provider_id"]
            if provider_id not in self.model_providers:
                known = ", ".join(sorted(self.model_providers))
                raise ConfigError(
                    f"invalid value for 'model_provider': {provider_id!r} (known providers: {known})",
                    key="model_provider",
                    source="override",
                )
            fields["model_provider"] = self.model_providers[provider_id]
        if {"sandbox_mode", "sandbox_workspace_write"} & fields.keys() and "sandbox_policy" not in fields:
            fields["sandbox_policy"] = build_sandbox_policy(
                fields.get("sandbox_mode", self.sandbox_mode),
                fields.get("sandbox_workspace_write", self.sandbox_workspace_write),
            )
        return dataclasses.replace(self, **fields)


# --------------------------------------------------------------------------- loading


def load_config(
    cli: CliOverrides | None = None,
    *,
    home: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> Config:
    """Read, override, validate and resolve the configuration (see the module docstring)."""
    cli = CliOverrides() if cli is None else cli
    env = os.environ if env is None else env
    home = agent_home(env) if home is None else Path(os.path.abspath(home))
    path = home / CONFIG_FILE
    raw = _read_toml(path)
    applied = []
    for text in cli.raw:
        keys, value = parse_cli_override(text)
        _set_path(raw, keys, value)
        applied.append((tuple(keys), text))
    sources = _Sources(path, tuple(applied))
    toml = _validate(raw, sources)
    flags = _cli_flags(cli)
    profile_name, profile = _select_profile(toml, cli, sources)
    layers = _Layers(toml, sources, flags, profile_name, profile)
    return _resolve(layers, cli, home, env)


def _resolve(layers: _Layers, cli: CliOverrides, home: Path, env: Mapping[str, str]) -> Config:
    toml = layers.toml
    cwd = Path(cli.cwd if cli.cwd is not None else os.getcwd()).expanduser().resolve()
    providers, warnings = _merge_providers(toml, env, layers.sources)
    provider_id = _resolve_provider(layers, providers)
    trust = _trust_levels(toml, cwd)
    mode = layers.value("sandbox_mode") or DEFAULT_SANDBOX_MODE
    workspace = _workspace(toml, cli, cwd)
    history = toml.history or HistoryToml()
    return Config(
        model=layers.value("model") or LOCAL_PROVIDER_MODELS.get(provider_id, DEFAULT_MODEL),
        model_provider_id=provider_id,
        model_provider=providers[provider_id],
        model_providers=providers,
        cwd=cwd,
        home=home,
        profile=layers.profile_name,
        approval_policy=layers.value("approval_policy") or _default_approval(trust, cwd),
        sandbox_mode=mode,
        sandbox_workspace_write=workspace,
        sandbox_policy=build_sandbox_policy(mode, workspace),
        model_reasoning_effort=layers.value("model_reasoning_effort"),
        model_reasoning_summary=layers.value("model_reasoning_summary") or "auto",
        model_verbosity=layers.value("model_verbosity"),
        model_context_window=toml.model_context_window,
        model_auto_compact_token_limit=toml.model_auto_compact_token_limit,
        model_supports_reasoning_summaries=bool(toml.model_supports_reasoning_summaries),
        instructions=toml.instructions,
        developer_instructions=toml.developer_instructions,
        instructions_file=_absolute(home, toml.instructions_file) if toml.instructions_file else None,
        compact_prompt=toml.compact_prompt,
        project_doc_max_bytes=_or(toml.project_doc_max_bytes, DEFAULT_PROJECT_DOC_MAX_BYTES),
        tool_output_token_limit=toml.tool_output_token_limit,
        shell_timeout_ms=toml.shell_timeout_ms or 120_000,
        parallel_tool_calls=bool(toml.parallel_tool_calls),
        hide_agent_reasoning=bool(toml.hide_agent_reasoning),
        show_raw_agent_reasoning=bool(toml.show_raw_agent_reasoning),
        history_persistence=history.persistence,
        history_max_bytes=history.max_bytes,
        shell_environment_policy=toml.shell_environment_policy or ShellEnvironmentPolicy(),
        notify=tuple(toml.notify or ()),
        sandbox_hidden_paths=tuple(toml.sandbox_hidden_paths or ()),
        sandbox_limits=toml.sandbox_limits or SandboxLimits(),
        kernel_variables_unmasked=tuple(toml.kernel_variables_unmasked or ()),
        projects=trust,
        warnings=warnings,
    )


def _or(value: Any, default: Any) -> Any:
    return default if value is None else value
