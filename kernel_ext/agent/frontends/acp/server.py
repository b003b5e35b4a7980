"""`kernel-agent acp`: serve the agent over ACP on stdin/stdout until the client hangs up.

stdout carries only JSON-RPC: the process keeps a private copy of it for the protocol
and points file descriptor 1 at stderr, so a stray print (ours, or a program's) can
never corrupt the stream. Logs are one line each on stderr, tracebacks left out.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys

STDIO_LIMIT = 50 * 1024 * 1024
"""Largest JSON-RPC line read (images in prompts are base64 inside one line)."""


class OneLineFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        text = f"kernel-agent acp: {record.levelname.lower()}: {record.getMessage()}"
        if record.exc_info and record.exc_info[1] is not None:
            err = record.exc_info[1]
            text += f" ({type(err).__name__}: {err})"
        return text.replace("\n", " ")


def run_acp(args: argparse.Namespace) -> int:
    try:
        import acp  # noqa: F401
    except ImportError:
        print('Error: kernel-agent acp needs the ACP SDK: pip install "kernel-agent[acp]"', file=sys.stderr)
        return 1
    _log_to_stderr(args.verbose)
    try:
        asyncio.run(_serve(args))
    except NotAPipe as err:
        print(f"Error: {err}", file=sys.stderr)
        return 1
    return 0


class NotAPipe(Exception):
    pass


def _answered(record: logging.LogRecord) -> bool:
    """False for the SDK's log of a JSON-RPC error it already sent the client (0.11 logs
    each as "Background task failed"): the client has it, stderr needs no second copy."""
    from acp import RequestError

    return not (record.exc_info and isinstance(record.exc_info[1], RequestError))


def _log_to_stderr(verbose: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(OneLineFormatter())
    handler.addFilter(_answered)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO if verbose else logging.WARNING)


async def _serve(args: argparse.Namespace) -> None:
    from acp import run_agent, stdio_streams

    from .agent import KernelAgentAcp

    protocol_out = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)
    sys.stdout = protocol_out  # type: ignore[assignment]  # read once, by stdio_streams
    try:
        reader, writer = await stdio_streams(limit=STDIO_LIMIT)
    except ValueError:  # asyncio's pipe transports refuse regular files
        raise NotAPipe("kernel-agent acp speaks JSON-RPC on stdin/stdout: both must be pipes "
                       "(an ACP client starts it)") from None
    finally:
        sys.stdout = sys.stderr
    agent = KernelAgentAcp(args)
    try:
        await run_agent(agent, writer, reader)
    finally:
        await agent.close()
