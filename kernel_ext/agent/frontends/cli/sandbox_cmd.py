"""`kernel-agent sandbox`: run one command under the agent's sandbox, in the current directory.

    kernel-agent sandbox [--mode read-only|workspace-write|danger-full-access]
                         [--writable-root DIR]... [--network] -- CMD [ARGS...]

The default mode is workspace-write. Options go before the command (everything after
`--`, or after the first non-option word, is the command). stdin is /dev/null; stdout
and stderr pass through live. The exit code is the command's (128 + N when it was
killed by signal N); 2 for a usage error; 126 when the sandbox can't be enforced (the
command is then not run) and 127 when the command is not found.
`KERNEL_AGENT_SANDBOX=bubblewrap|landlock|none` forces a mechanism.

A documented exception to the front-end contract (pyproject.toml): this command runs no
session, it *is* the sandbox's command-line front end, so it imports `agent.exec` directly.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agent.exec.sandbox import SandboxInfo
    from agent.protocol.policy import SandboxPolicy

DEFAULT_MODE = "workspace-write"
CAPTURE_BYTES = 64 * 1024


def add_sandbox_command(sub: Any) -> None:
    """Register `sandbox` on an argparse sub-parsers object; `func(args)` returns the exit code."""
    from agent.protocol.policy import SANDBOX_MODES

    p = sub.add_parser("sandbox", help="run a command under the agent's sandbox",
                       description="Run CMD in the current directory under the sandbox the agent uses for its commands.")
    p.add_argument("--mode", choices=SANDBOX_MODES, default=DEFAULT_MODE, help=f"sandbox policy (default: {DEFAULT_MODE})")
    p.add_argument("--writable-root", dest="writable_roots", action="append", default=[], metavar="DIR",
                   help="an extra writable directory (workspace-write only; repeatable)")
    p.add_argument("--network", action="store_true", help="allow network access (workspace-write only)")
    p.add_argument("cmd", nargs=argparse.REMAINDER, metavar="-- CMD [ARGS...]", help="the command to run")
    p.set_defaults(func=run_sandbox_cli)


def run_sandbox_cli(args: argparse.Namespace) -> int:
    cmd = list(args.cmd)
    if cmd and cmd[0] == "--":
        cmd = cmd[1:]
    if not cmd:
        print("kernel-agent sandbox: no command given (usage: kernel-agent sandbox [OPTIONS] -- CMD [ARGS...])",
              file=sys.stderr)
        return 2
    return run_sandbox_command(cmd, mode=args.mode, writable_roots=list(args.writable_roots),
                               network=bool(args.network), cwd=Path.cwd())


class Refused(Exception):
    """The command is not run: `message` for stderr, `code` to exit with."""

    def __init__(self, message: str, code: int):
        super().__init__(message)
        self.code = code


def run_sandbox_command(argv: list[str], *, mode: str, writable_roots: list[str], network: bool, cwd: Path) -> int:
    """Run `argv` in `cwd` under the agent's sandbox; return its exit code.

    The policy is `mode` (`read-only`, `workspace-write`, `danger-full-access`); for
    workspace-write, `writable_roots` (relative ones are taken against `cwd`) are added
    to the usual roots and `network` allows network access. The mechanism is the one the
    agent uses (`probe_mechanism`, `KERNEL_AGENT_SANDBOX` to force one); the environment
    is built as for the agent's commands with the default `shell_environment_policy`
    (variables named *KEY*, *SECRET*, *TOKEN* are removed, and any holding a Jupyter key or
    token). As for the agent's commands, the protected paths (credentials, Jupyter runtime
    directories; agent.exec.hidden, with the agent home from $KERNEL_AGENT_HOME) are hidden
    where the mechanism can, network is refused where it can't hide them
    (`network_refusal`), and the default resource limits apply (agent.exec.limits). stdin
    is /dev/null; stdout and stderr are passed through live; there is no timeout.

    Returns the command's exit code (128 + N when killed by signal N); 2 for a bad
    combination of options; 126 when the sandbox can't be enforced (no mechanism works:
    the command is never run unsandboxed unless `mode` is danger-full-access) or the
    command can't be executed; 127 when it is not found.
    """
    try:
        policy, cwd = _policy(argv, mode, writable_roots, network, cwd)
        info = _mechanism(policy)
        return _run(argv, policy, cwd, info)
    except Refused as err:
        print(f"kernel-agent sandbox: {err}", file=sys.stderr)
        return err.code


def _policy(argv: list[str], mode: str, writable_roots: list[str], network: bool, cwd: Path) -> tuple[SandboxPolicy, Path]:
    """The policy the options ask for, and the absolute working directory; raises Refused."""
    from agent.protocol.policy import SANDBOX_MODES, sandbox_policy_for_mode

    if not argv:
        raise Refused("no command given", 2)
    if mode not in SANDBOX_MODES:
        raise Refused(f"unknown mode {mode!r}", 2)
    if mode != "workspace-write" and (writable_roots or network):
        raise Refused("--writable-root and --network need --mode workspace-write", 2)
    cwd = Path(os.path.abspath(cwd))
    if not cwd.is_dir():
        raise Refused(f"{cwd}: not a directory", 2)
    workspace: dict[str, object] = {}
    if mode == "workspace-write":
        workspace = {"writable_roots": tuple(writable_roots), "network_access": network}
    return sandbox_policy_for_mode(mode, **workspace), cwd  # type: ignore[arg-type]


def _mechanism(policy: SandboxPolicy) -> SandboxInfo:
    """The mechanism that enforces `policy` here; raises Refused when none can."""
    from agent.exec.sandbox import probe_mechanism

    try:
        info = probe_mechanism()
    except ValueError as err:  # a KERNEL_AGENT_SANDBOX value we don't know
        raise Refused(str(err), 2) from None
    if policy.type != "danger-full-access" and info.mechanism == "none":
        raise Refused(f"{info.warning}; refusing to run the command unsandboxed", 126)
    return info


def _environment(policy: SandboxPolicy, info: SandboxInfo) -> dict[str, str]:
    """The command's environment, without secrets; says so when network can't be allowed."""
    from agent.exec.env import command_env
    from agent.exec.hidden import jupyter_secrets
    from agent.exec.sandbox import network_disabled, network_refusal

    refusal = network_refusal(info.mechanism) if policy.type != "danger-full-access" else None
    if refusal and not network_disabled(policy):
        print(f"kernel-agent sandbox: {refusal}", file=sys.stderr)
    no_network = network_disabled(policy) or refusal is not None
    return command_env(os.environ, network_disabled=no_network, secret_values=jupyter_secrets())


def _run(argv: list[str], policy: SandboxPolicy, cwd: Path, info: SandboxInfo) -> int:
    from agent.core.api import agent_home
    from agent.exec.hidden import protected_read_paths
    from agent.exec.limits import DEFAULT_LIMITS, CommandCgroup
    from agent.exec.runner import run_command
    from agent.exec.sandbox import sandboxed_argv

    env = _environment(policy, info)
    cgroup = CommandCgroup.create(DEFAULT_LIMITS) if policy.type != "danger-full-access" else None
    wrapped = sandboxed_argv(argv, policy, cwd, env, info, hidden=protected_read_paths(agent_home()), cgroup=cgroup)
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        result = asyncio.run(run_command(wrapped, cwd=cwd, env=env, timeout_ms=None, on_output=_passthrough,
                                         capture_bytes=CAPTURE_BYTES, max_live_deltas=None))
    except FileNotFoundError:
        raise Refused(f"{argv[0]}: command not found", 127) from None
    except OSError as err:
        raise Refused(f"{argv[0]}: {err.strerror or err}", 126) from None
    finally:
        if cgroup is not None:
            cgroup.remove()
    return result.exit_code


def _passthrough(stream: str, chunk: bytes) -> None:
    target = sys.stdout if stream == "stdout" else sys.stderr
    binary = getattr(target, "buffer", None)
    if binary is not None:
        binary.write(chunk)
    else:
        target.write(chunk.decode("utf-8", errors="replace"))
    target.flush()
