"""Holding a session to its managed keys and requirements (`Config.managed`, `Config.requirements`).

* `enforce_requirements(config, chosen)` at `load_config`: a value the user (or the managed
  file) chose that a requirement forbids raises `ConfigError` with one line naming the
  requirement and the file; a DEFAULT that violates one is replaced by the first allowed
  value, said in `Config.warnings` (the user chose nothing, so nothing of theirs is
  dropped). MCP servers a requirement refuses are not started (disabled) and each gets
  one line in `Config.warnings` and `Config.mcp_refused`.
* `change_refusal(config, ...)` at runtime: the one line refusing a change of the session's
  settings (a managed key to another value, or a value a requirement forbids), else None.
  It only consults what the `Config` holds, never the environment or the files.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Collection

from .errors import ConfigError
from .managed import managed_line

Config = Any
"""A `schema.Config` (not imported: schema imports this module)."""


def enforce_requirements(config: Config, chosen: Collection[str]) -> Config:
    """`config` checked against its requirements (see the module docstring)."""
    req = config.requirements
    if not req.active:
        return config
    changes: dict[str, Any] = {}
    warnings: list[str] = []
    _check(config, chosen, "model_provider", config.model_provider_id, req.allowed_model_providers,
           req.provider_refusal, "model_provider_id", changes, warnings)
    if "model_provider_id" in changes:
        changes["model_provider"] = config.model_providers[changes["model_provider_id"]]
    _check(config, chosen, "model", config.model, req.allowed_models, req.model_refusal, "model", changes, warnings)
    _check(config, chosen, "approval_policy", config.approval_policy, req.allowed_approval_policies,
           req.approval_refusal, "approval_policy", changes, warnings)
    _check(config, chosen, "sandbox_mode", config.sandbox_policy.type, req.allowed_sandbox_modes,
           lambda mode: req._allowed("sandbox mode", mode, "allowed_sandbox_modes"), "sandbox_mode", changes, warnings)
    if changes:
        config = config.with_overrides(**changes, warnings=[*config.warnings, *warnings])
    refusal = req.sandbox_refusal(config.sandbox_policy)
    if refusal is not None:
        raise ConfigError(refusal, key="sandbox_workspace_write.network_access")
    return refuse_mcp_servers(config)


def _check(config: Config, chosen: Collection[str], key: str, value: str, allowed: tuple[str, ...] | None,
           refusal_of: Any, field: str, changes: dict[str, Any], warnings: list[str]) -> None:
    refusal = refusal_of(value)
    if refusal is None or allowed is None:
        return
    if key in chosen:
        raise ConfigError(refusal, key=key)
    usable = [v for v in allowed if key != "model_provider" or v in config.model_providers]
    if not usable:
        raise ConfigError(f"{refusal}; no allowed value can be used", key=key)
    changes[field] = usable[0]
    warnings.append(f"{key}: the default {value!r} is not allowed by {config.requirements.source}; "
                    f"using {usable[0]!r} ({key} is not set)")


def refuse_mcp_servers(config: Config) -> Config:
    """`config` with each MCP server its requirements refuse disabled, recorded in
    `mcp_refused` and said in `warnings` (servers refused before are left as they are)."""
    req = config.requirements
    done = {name for name, _ in config.mcp_refused}
    refused: list[tuple[str, str]] = []
    servers = []
    for server in config.mcp_servers:
        refusal = None if server.name in done else req.mcp_refusal(server)
        if refusal is not None:
            refused.append((server.name, refusal))
            server = dataclasses.replace(server, enabled=False)
        servers.append(server)
    if not refused:
        return config
    notes = [f"{line}; it is not started" for _, line in refused]
    return dataclasses.replace(config, mcp_servers=tuple(servers), mcp_refused=(*config.mcp_refused, *refused),
                               warnings=[*config.warnings, *notes])


def change_refusal(config: Config, *, model: str | None = None, model_provider_id: str | None = None,
                   approval_policy: str | None = None, sandbox_policy: Any = None) -> str | None:
    """One line refusing the change, or None when the session may make it."""
    managed = config.managed
    for key, value, current in (("model", model, config.model), ("model_provider", model_provider_id, config.model_provider_id),
                                ("approval_policy", approval_policy, config.approval_policy)):
        if value is not None and key in managed and value != current:
            return managed_line(key, current, managed[key])
    if sandbox_policy is not None:
        if "sandbox_mode" in managed and sandbox_policy.type != config.sandbox_policy.type:
            return managed_line("sandbox_mode", config.sandbox_mode, managed["sandbox_mode"])
        if "sandbox_workspace_write" in managed and sandbox_policy.type == "workspace-write" \
                and sandbox_policy != config.sandbox_policy:
            return managed_line("sandbox_workspace_write", None, managed["sandbox_workspace_write"])
    req = config.requirements
    checks = ((approval_policy, req.approval_refusal), (sandbox_policy, req.sandbox_refusal),
              (model, req.model_refusal), (model_provider_id, req.provider_refusal))
    return next((r for value, check in checks if value is not None and (r := check(value)) is not None), None)
