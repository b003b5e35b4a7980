"""`kernel-agent sandbox`: run one command under the agent's sandbox, in the current directory.

    kernel-agent sandbox [--mode read-only|workspace-write|danger-full-access]
                         [--writable-root DIR]... [--network] -- CMD [ARGS...]

The default mode is workspace-write. Options go before the command (everything after
`--`, or after the first non-option word, is the command). stdin is /dev/null; stdout
and stderr pass through live. The exit code is the command's (128 + N when it was
killed by signal N); 2 for a usage error; 126 when the sandbox can't be enforced (the
command is then not run) and 127 when the command is not found.
`KERNEL_AGENT_SANDBOX=bubblewrap|landlock|none` forces a mechanism.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

MODES = ("read-only", "workspace-write", "danger-full-access")


def add_sandbox_command(sub: Any) -> None:
    """Register `sandbox` on an argparse sub-parsers object; `func(args)` returns the exit code."""
    p = sub.add_parser("sandbox", help="run a command under the agent's sandbox",
                       description="Run CMD in the current directory under the sandbox the agent uses for its commands.")
    p.add_argument("--mode", choices=MODES, default="workspace-write", help="sandbox policy (default: workspace-write)")
    p.add_argument("--writable-root", dest="writable_roots", action="append", default=[], metavar="DIR",
                   help="an extra writable directory (workspace-write only; repeatable)")
    p.add_argument("--network", action="store_true", help="allow network access (workspace-write only)")
    p.add_argument("cmd", nargs=argparse.REMAINDER, metavar="-- CMD [ARGS...]", help="the command to run")
    p.set_defaults(func=run_sandbox_cli)


def run_sandbox_cli(args: argparse.Namespace) -> int:
    from agent.core.standalone import run_sandbox_command

    cmd = list(args.cmd)
    if cmd and cmd[0] == "--":
        cmd = cmd[1:]
    if not cmd:
        print("kernel-agent sandbox: no command given (usage: kernel-agent sandbox [OPTIONS] -- CMD [ARGS...])",
              file=sys.stderr)
        return 2
    return run_sandbox_command(cmd, mode=args.mode, writable_roots=list(args.writable_roots),
                               network=bool(args.network), cwd=Path.cwd())
