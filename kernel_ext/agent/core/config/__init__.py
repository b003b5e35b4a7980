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

Modules: `file_schema` (what the file may contain), `schema` (the resolved `Config` and
its defaults), `overrides` (`CliOverrides`, `-c` parsing), `resolution` (`load_config`:
files, profiles, precedence), `errors` (`ConfigError` and its wording); the admin's
lock-down: `system_files` (reads `managed_config.toml` / `requirements.toml`, fail closed),
`managed` (managed values win; a different user value is refused), `requirements` (the
strict schema and its one-line refusals), `enforce` (checks at load and at runtime against
what the `Config` holds: `Config.managed`, `Config.requirements`).
"""

from __future__ import annotations

from .errors import ConfigError
from .file_schema import (
    ConfigProfile,
    ConfigToml,
    HistoryPersistence,
    SandboxLimits,
    SandboxWorkspaceWrite,
    ShellEnvironmentPolicy,
    TrustLevel,
)
from .overrides import COMMAND_LINE, CliOverrides, parse_cli_override
from .resolution import load_config
from .system_files import login_refusal
from .schema import (
    CONFIG_FILE,
    DEFAULT_APPROVAL_POLICY,
    DEFAULT_MODEL,
    DEFAULT_PROJECT_DOC_MAX_BYTES,
    DEFAULT_PROVIDER,
    DEFAULT_SANDBOX_MODE,
    LOCAL_PROVIDER_MODELS,
    Config,
    build_sandbox_policy,
)

__all__ = [
    "COMMAND_LINE",
    "CONFIG_FILE",
    "DEFAULT_APPROVAL_POLICY",
    "DEFAULT_MODEL",
    "DEFAULT_PROJECT_DOC_MAX_BYTES",
    "DEFAULT_PROVIDER",
    "DEFAULT_SANDBOX_MODE",
    "LOCAL_PROVIDER_MODELS",
    "CliOverrides",
    "Config",
    "ConfigError",
    "ConfigProfile",
    "ConfigToml",
    "HistoryPersistence",
    "SandboxLimits",
    "SandboxWorkspaceWrite",
    "ShellEnvironmentPolicy",
    "TrustLevel",
    "build_sandbox_policy",
    "load_config",
    "login_refusal",
    "parse_cli_override",
]
