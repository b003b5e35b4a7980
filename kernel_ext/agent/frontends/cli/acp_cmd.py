"""`kernel-agent acp`: the agent as an Agent Client Protocol server on stdio (for Zed,
marimo, Jupyter AI). Needs the `acp` extra; see frontends/acp and docs/acp.md."""

from __future__ import annotations

import argparse


def add_acp_command(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser("acp", parents=[parent], help="serve the agent over ACP (JSON-RPC on stdio)",
                       description="Serve the agent over the Agent Client Protocol on stdin/stdout. "
                                   "Editors and chats (Zed, marimo, Jupyter AI) start it; see docs/acp.md.")
    p.add_argument("-v", "--verbose", action="store_true", help="also log informational lines on stderr")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from ..acp.server import run_acp

    return run_acp(args)
