"""Standalone commands the CLI runs without a session."""

from __future__ import annotations

from pathlib import Path


def run_apply_patch(patch_text: str, cwd: Path) -> tuple[int, str, str]:
    """Codex's standalone `apply_patch` (spec §5.3): returns (exit code, stdout, stderr).

    Hunks are applied in order without rollback, so after a failure the earlier hunks
    stay applied. Zero hunks is an error (`No files were modified.`).
    """
    from agent.tools.patch.apply import PatchApplyError, apply_hunks, summary_text
    from agent.tools.patch.parser import PatchParseError, parse_patch

    try:
        hunks = parse_patch(patch_text)
    except PatchParseError as err:
        return 1, "", err.cli_message() + "\n"
    try:
        result = apply_hunks(hunks, Path(cwd))
    except PatchApplyError as err:
        return 1, "", err.message + "\n"
    return 0, summary_text(result), ""


def run_sandbox_command(argv: list[str], *, mode: str, writable_roots: list[str], network: bool, cwd: Path) -> int:
    """`kernel-agent sandbox`: run `argv` in `cwd` under the agent's sandbox; return its exit code.

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
    import asyncio
    import os
    import sys

    from agent.exec.env import command_env
    from agent.exec.hidden import jupyter_secrets, protected_read_paths
    from agent.exec.limits import DEFAULT_LIMITS, CommandCgroup
    from agent.exec.runner import run_command
    from agent.exec.sandbox import network_disabled, network_refusal, probe_mechanism, sandboxed_argv

    from .home import agent_home
    from agent.protocol.policy import sandbox_policy_for_mode

    def fail(message: str, code: int) -> int:
        print(f"kernel-agent sandbox: {message}", file=sys.stderr)
        return code

    if not argv:
        return fail("no command given", 2)
    if mode not in ("read-only", "workspace-write", "danger-full-access"):
        return fail(f"unknown mode {mode!r}", 2)
    if mode != "workspace-write" and (writable_roots or network):
        return fail("--writable-root and --network need --mode workspace-write", 2)
    cwd = Path(os.path.abspath(cwd))
    if not cwd.is_dir():
        return fail(f"{cwd}: not a directory", 2)
    workspace: dict[str, object] = {}
    if mode == "workspace-write":
        workspace = {"writable_roots": tuple(writable_roots), "network_access": network}
    policy = sandbox_policy_for_mode(mode, **workspace)  # type: ignore[arg-type]
    try:
        info = probe_mechanism()
    except ValueError as err:
        return fail(str(err), 2)
    if policy.type != "danger-full-access" and info.mechanism == "none":
        return fail(f"{info.warning}; refusing to run the command unsandboxed", 126)
    refusal = network_refusal(info.mechanism) if policy.type != "danger-full-access" else None
    if refusal and not network_disabled(policy):
        print(f"kernel-agent sandbox: {refusal}", file=sys.stderr)
    no_network = network_disabled(policy) or refusal is not None
    env = command_env(os.environ, network_disabled=no_network, secret_values=jupyter_secrets())
    sandboxed = policy.type != "danger-full-access"
    cgroup = CommandCgroup.create(DEFAULT_LIMITS) if sandboxed else None
    wrapped = sandboxed_argv(argv, policy, cwd, env, info, hidden=protected_read_paths(agent_home()), cgroup=cgroup)

    def passthrough(stream: str, chunk: bytes) -> None:
        target = sys.stdout if stream == "stdout" else sys.stderr
        binary = getattr(target, "buffer", None)
        if binary is not None:
            binary.write(chunk)
        else:
            target.write(chunk.decode("utf-8", errors="replace"))
        target.flush()

    sys.stdout.flush()
    sys.stderr.flush()
    try:
        result = asyncio.run(run_command(wrapped, cwd=cwd, env=env, timeout_ms=None, on_output=passthrough,
                                         capture_bytes=64 * 1024, max_live_deltas=None))
    except FileNotFoundError:
        return fail(f"{argv[0]}: command not found", 127)
    except OSError as err:
        return fail(f"{argv[0]}: {err.strerror or err}", 126)
    finally:
        if cgroup is not None:
            cgroup.remove()
    return result.exit_code
