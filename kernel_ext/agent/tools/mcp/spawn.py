"""How a stdio MCP server is started: its argv (sandboxed), cwd and environment.

* Environment (Codex's minimal set, never the rest of the kernel's environment, where
  API keys live): HOME, LOGNAME, PATH, SHELL, USER, LANG, LC_ALL, TERM, TMPDIR, TZ from the
  kernel's environment, then the `env_vars` names passed through, then the server's `env`
  table. A value holding a Jupyter kernel or server key is dropped whatever its source
  (agent.exec.env `secret_values`).
* Sandbox (beyond Codex: on by default): under the session's mechanism, a workspace-write
  policy whose writable roots are the workspace (the session's cwd; nothing when the
  session is read-only) and a private temporary directory (`TMPDIR`, removed when the
  server stops); `/tmp` itself stays read-only. Network only with `network = true` (and
  when the mechanism can allow it, agent.exec.sandbox.network_refusal). The session's
  hidden paths are hidden as for commands. Unsandboxed: `sandbox = false`, a
  `danger-full-access` session, or no mechanism available; `Launch.sandboxed` says which.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

from agent.protocol.policy import DangerFullAccess, ReadOnly, SandboxPolicy, WorkspaceWrite

from .server_config import McpServerConfig

__all__ = ["MINIMAL_ENV", "Launch", "prepare_launch", "sandbox_label", "server_env"]

MIN_SECRET_CHARS = 8
MINIMAL_ENV = ("HOME", "LOGNAME", "PATH", "SHELL", "USER", "LANG", "LC_ALL", "TERM", "TMPDIR", "TZ")


@dataclass
class Launch:
    """What to start: argv (already wrapped), cwd, env; `tmpdir` to remove after it stops."""

    argv: list[str]
    cwd: Path
    env: dict[str, str]
    sandboxed: str
    tmpdir: Path | None = None
    secrets: tuple[str, ...] = ()
    """Values of the server's `env` table and passed-through variables, redacted from errors."""

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "[REDACTED]")
        return text

    def cleanup(self) -> None:
        if self.tmpdir is not None:
            shutil.rmtree(self.tmpdir, ignore_errors=True)
            self.tmpdir = None


def server_env(config: McpServerConfig, base: Mapping[str, str], *, tmpdir: Path | None = None,
               network_disabled: bool = False) -> dict[str, str]:
    """The server's environment (module docstring)."""
    from agent.exec.env import command_env
    from agent.exec.hidden import jupyter_secrets

    pairs = [(k, base[k]) for k in (*MINIMAL_ENV, *config.env_vars) if k in base]
    if tmpdir is not None:
        pairs.append(("TMPDIR", str(tmpdir)))
    pairs += list(config.env)
    return command_env({}, inherit="none", ignore_default_excludes=True, set=pairs,
                       network_disabled=network_disabled, secret_values=jupyter_secrets(base))


def _secrets(config: McpServerConfig, base: Mapping[str, str]) -> tuple[str, ...]:
    values = [v for _, v in config.env] + [base[k] for k in config.env_vars if k in base]
    return tuple(sorted({v for v in values if len(v) >= MIN_SECRET_CHARS}, key=len, reverse=True))


def _server_cwd(config: McpServerConfig, workspace: Path) -> Path:
    if not config.cwd:
        return workspace
    path = Path(os.path.expanduser(config.cwd))
    return Path(os.path.abspath(path if path.is_absolute() else workspace / path))


def _unsandboxed_reason(config: McpServerConfig, policy: SandboxPolicy, mechanism: str) -> str | None:
    if not config.sandbox:
        return "none (sandbox = false)"
    if isinstance(policy, DangerFullAccess):
        return "none (sandbox_mode = danger-full-access)"
    if mechanism not in ("bubblewrap", "landlock"):
        return "none (no sandbox available)"
    from agent.exec.sandbox import probe_mechanism

    if probe_mechanism(force=mechanism).mechanism == "none":
        return "none (no sandbox available)"
    return None


def _network(config: McpServerConfig, mechanism: str) -> tuple[bool, bool]:
    """(network allowed, network refused by the mechanism although configured)."""
    from agent.exec.sandbox import network_refusal

    refused = config.network and network_refusal(mechanism) is not None
    return config.network and not refused, refused


def sandbox_label(config: McpServerConfig, policy: SandboxPolicy, mechanism: str) -> str:
    """How the server runs, for `%agent mcp`: "bubblewrap (network)", "none (sandbox = false)", ..."""
    reason = _unsandboxed_reason(config, policy, mechanism)
    if reason is not None:
        return reason
    network, refused = _network(config, mechanism)
    read_only = isinstance(policy, ReadOnly)
    notes = [n for n, on in (("read-only", read_only), ("network", network), ("network refused", refused)) if on]
    return mechanism + (f" ({', '.join(notes)})" if notes else "")


def prepare_launch(config: McpServerConfig, *, workspace: Path, sandbox_policy: SandboxPolicy, mechanism: str,
                   hidden: Sequence[Path] = (), base_env: Mapping[str, str] | None = None) -> Launch:
    """The Launch for `config` (module docstring). Creates the private TMPDIR when sandboxed."""
    base = os.environ if base_env is None else base_env
    argv = [config.command, *config.args]
    cwd = _server_cwd(config, workspace)
    label = sandbox_label(config, sandbox_policy, mechanism)
    secrets = _secrets(config, base)
    if _unsandboxed_reason(config, sandbox_policy, mechanism) is not None:
        return Launch(argv, cwd, server_env(config, base), label, secrets=secrets)
    from agent.exec.sandbox import probe_mechanism, sandboxed_argv

    info = probe_mechanism(force=mechanism)
    tmpdir = Path(tempfile.mkdtemp(prefix=f"kernel-agent-mcp-{config.name}-"))
    network, _ = _network(config, info.mechanism)
    policy = WorkspaceWrite(writable_roots=(str(tmpdir),), network_access=network,
                            exclude_tmpdir_env_var=True, exclude_slash_tmp=True)
    read_only = isinstance(sandbox_policy, ReadOnly)
    env = server_env(config, base, tmpdir=tmpdir, network_disabled=not network)
    try:
        wrapped = sandboxed_argv(argv, policy, cwd, env, info, workspace=tmpdir if read_only else workspace,
                                 hidden=hidden)
    except (OSError, ValueError):
        shutil.rmtree(tmpdir, ignore_errors=True)
        raise
    return Launch(wrapped, cwd, env, label, tmpdir, secrets)
