"""From `config.toml`, `-c` overrides, a profile and CLI flags to one `Config`.

Precedence for the keys a profile may set: CLI flag > `-c` override of the top-level key >
selected profile > top-level file value > default. (Codex lets a profile beat a top-level
`-c`; we let what was typed on the command line win.)
"""

from __future__ import annotations

import dataclasses
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

from pydantic import ValidationError

from agent.client.providers import ModelProviderInfo, builtin_providers
from agent.core.home import agent_home
from agent.protocol.policy import AskForApproval

from .errors import ConfigError, check_choice, validation_error
from .file_schema import (
    ConfigProfile,
    ConfigToml,
    HistoryToml,
    SandboxLimits,
    SandboxWorkspaceWrite,
    ShellEnvironmentPolicy,
    TrustLevel,
)
from .enforce import enforce_requirements
from .managed import managed_keys, merged_raw, refuse_conflicts
from .mcp_servers import resolve_mcp_servers
from .permissions import ResolvedPermissions, resolve_permissions, workspace_of
from .rules_files import load_rules_files
from .overrides import COMMAND_LINE, CliOverrides, Sources, apply_overrides
from .schema import (
    CHOICES,
    CONFIG_FILE,
    DEFAULT_APPROVAL_POLICY,
    DEFAULT_MODEL,
    DEFAULT_PROJECT_DOC_MAX_BYTES,
    DEFAULT_PROVIDER,
    DEFAULT_REASONING_SUMMARY,
    DEFAULT_SANDBOX_MODE,
    DEFAULT_SHELL_TIMEOUT_MS,
    LOCAL_PROVIDER_MODELS,
    Config,
    build_sandbox_policy,
    default_accepts_images,
)
from .system_files import read_system_files


def load_config(
    cli: CliOverrides | None = None,
    *,
    home: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> Config:
    """Read, override, validate and resolve the configuration (see the package docstring)."""
    cli = CliOverrides() if cli is None else cli
    env = os.environ if env is None else env
    home = agent_home(env) if home is None else Path(os.path.abspath(home))
    path = home / CONFIG_FILE
    system = read_system_files(env)  # first: a malformed system file stops everything (fail closed)
    raw = _read_toml(path)
    sources = apply_overrides(raw, cli.raw, path)
    toml = _validate(raw, sources)
    if system.managed is not None:
        toml = _validate(merged_raw(raw, system.managed_raw), sources)
    profile_name, profile = _select_profile(toml, cli, sources)
    flags = _cli_flags(cli)
    overridden = refuse_conflicts(system, _validate(raw, sources), sources, profile_name, profile, flags, cli.add_dirs)
    layers = _Layers(toml, sources, flags, profile_name, profile, managed_keys(system))
    config = _resolve(layers, cli, home, env)
    config = dataclasses.replace(config, warnings=[*overridden, *config.warnings])
    chosen = {key for key in ("model", "model_provider", "approval_policy", "sandbox_mode") if layers.pick(key)[1]}
    if config.permission_profile is not None:
        chosen.add("sandbox_mode")  # a permission profile chose the sandbox policy's kind
    config = dataclasses.replace(config, managed=layers.managed, requirements=system.requirements)
    return enforce_requirements(config, chosen)


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


def _validate(raw: dict[str, Any], sources: Sources) -> ConfigToml:
    try:
        return ConfigToml.model_validate(raw)
    except ValidationError as exc:
        raise validation_error(exc, sources) from None


@dataclass(frozen=True)
class _Layers:
    """CLI flags > `-c` top-level overrides > profile > top-level file values."""

    toml: ConfigToml
    sources: Sources
    flags: Mapping[str, Any]
    profile_name: str | None
    profile: ConfigProfile | None
    managed: Mapping[str, str] = field(default_factory=dict)
    """Dotted key -> managed_config.toml; `toml` already holds the managed values."""

    def pick(self, key: str) -> tuple[Any, str | None]:
        """The winning value of `key` and where it came from (None: not set anywhere).
        A managed key wins over everything (conflicting values were refused before)."""
        if key in self.managed:
            return getattr(self.toml, key), self.managed[key]
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


def _select_profile(toml: ConfigToml, cli: CliOverrides, sources: Sources) -> tuple[str | None, ConfigProfile | None]:
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
        flags[key] = None if value is None else check_choice(key, value, CHOICES[key], COMMAND_LINE)
    return flags


def _merge_providers(toml: ConfigToml, env: Mapping[str, str], sources: Sources,
                     managed: Mapping[str, str] = {}) -> tuple[dict[str, ModelProviderInfo], list[str]]:
    """Built-ins plus the user's new ids; a user table reusing a built-in id is ignored with a
    warning (a managed `[model_providers.<id>]` may replace a built-in)."""
    merged = builtin_providers(env)
    warnings = []
    for provider_id, info in (toml.model_providers or {}).items():
        if provider_id in merged and f"model_providers.{provider_id}" not in managed:
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


def _trust_levels(toml: ConfigToml, cwd: Path) -> dict[str, TrustLevel]:
    levels: dict[str, TrustLevel] = {}
    for path, project in (toml.projects or {}).items():
        if project.trust_level is not None:
            levels[str(_absolute(cwd, path))] = project.trust_level
    return levels


def _default_approval(trust: Mapping[str, TrustLevel], cwd: Path) -> AskForApproval:
    """`untrusted` when the cwd or its nearest marked parent is untrusted, else the default."""
    for folder in (cwd, *cwd.parents):
        level = trust.get(str(folder))
        if level is not None:
            return "untrusted" if level == "untrusted" else DEFAULT_APPROVAL_POLICY
    return DEFAULT_APPROVAL_POLICY


def _resolve(layers: _Layers, cli: CliOverrides, home: Path, env: Mapping[str, str]) -> Config:
    toml = layers.toml
    cwd = Path(cli.cwd if cli.cwd is not None else os.getcwd()).expanduser().resolve()
    providers, warnings = _merge_providers(toml, env, layers.sources, layers.managed)
    provider_id = _resolve_provider(layers, providers)
    trust = _trust_levels(toml, cwd)
    mode = layers.value("sandbox_mode") or DEFAULT_SANDBOX_MODE
    workspace = _workspace(toml, cli, cwd)
    permissions = _permissions(layers, cli, cwd, env)
    if permissions is not None:
        mode, workspace = permissions.mode, workspace_of(permissions.policy)
    history = toml.history or HistoryToml()
    mcp_servers, mcp_warnings = resolve_mcp_servers(_mcp_tables(layers), cwd)
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
        sandbox_policy=permissions.policy if permissions else build_sandbox_policy(mode, workspace),
        model_reasoning_effort=layers.value("model_reasoning_effort"),
        model_reasoning_summary=layers.value("model_reasoning_summary") or DEFAULT_REASONING_SUMMARY,
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
        shell_timeout_ms=toml.shell_timeout_ms or DEFAULT_SHELL_TIMEOUT_MS,
        parallel_tool_calls=bool(toml.parallel_tool_calls),
        hide_agent_reasoning=bool(toml.hide_agent_reasoning),
        show_raw_agent_reasoning=bool(toml.show_raw_agent_reasoning),
        history_persistence=history.persistence,
        history_max_bytes=history.max_bytes,
        shell_environment_policy=toml.shell_environment_policy or ShellEnvironmentPolicy(),
        notify=tuple(toml.notify or ()),
        sandbox_hidden_paths=tuple(toml.sandbox_hidden_paths or ()) + (permissions.denied if permissions else ()),
        sandbox_limits=toml.sandbox_limits or SandboxLimits(),
        kernel_variables_unmasked=tuple(toml.kernel_variables_unmasked or ()),
        projects=trust,
        mcp_servers=mcp_servers,
        permission_profile=permissions.name if permissions else None,
        permission_denied_paths=permissions.denied if permissions else (),
        exec_rules=load_rules_files(home, env),
        model_accepts_images=_or(layers.value("model_accepts_images"), default_accepts_images(providers[provider_id])),
        warnings=warnings + mcp_warnings,
    )


def _permissions(layers: _Layers, cli: CliOverrides, cwd: Path, env: Mapping[str, str]) -> ResolvedPermissions | None:
    """The `default_permissions` profile (config.permissions), or None when it is not set.
    Setting it together with `sandbox_mode` (any layer, or `-s/--sandbox`) or
    `[sandbox_workspace_write]` is an error, as in Codex."""
    name, source = layers.pick("default_permissions")
    if name is None:
        return None
    mode, mode_source = layers.pick("sandbox_mode")
    if mode is not None or layers.toml.sandbox_workspace_write is not None:
        other = "sandbox_mode" if mode is not None else "[sandbox_workspace_write]"
        where = mode_source or layers.sources.of(["sandbox_workspace_write"])
        raise ConfigError(f"set either default_permissions or sandbox_mode, not both ({other} is set in {where})",
                          key="default_permissions", source=source)
    return resolve_permissions(name, source, layers.toml.permissions or {}, cwd, env, cli.add_dirs)


def _mcp_tables(layers: _Layers) -> dict[str, Any]:
    """name -> (table, source): the top-level tables, replaced by the profile's of the same name."""
    tables = {name: (table, layers.sources.of(["mcp_servers", name])) for name, table in (layers.toml.mcp_servers or {}).items()}
    for name, table in ((layers.profile.mcp_servers if layers.profile else None) or {}).items():
        tables[name] = (table, f"{layers.sources.file} (profile '{layers.profile_name}')")
    return tables


def _or(value: Any, default: Any) -> Any:
    return default if value is None else value
