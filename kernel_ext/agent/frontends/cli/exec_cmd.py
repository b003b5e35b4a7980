"""`kernel-agent exec`: run one task non-interactively (spec §1.3, §12.5).

Human mode streams progress to stderr and prints the final message on stdout; `--json`
prints one thread event per line on stdout and nothing else. Ctrl-C (SIGINT) interrupts
the turn. Exit codes: 0 done, 1 failed (reason on stderr), 130 interrupted.

`run_prompt` (one prompt in a new, resumed or forked session) and `add_run_options` are
shared with the session commands (`resume`, `fork`, `exec resume`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from agent.core.config import CliOverrides, ConfigError, load_config
from agent.core.errors import SetupError
from agent.protocol import ops
from agent.protocol.events import Event
from agent.protocol.events import Warning as WarningEvent

from ..text_render import TextRenderer
from ..thread_events import ThreadEventMapper

if TYPE_CHECKING:
    from agent.core.session import Session


def add_exec_command(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser("exec", parents=[parent], help="run one task non-interactively",
                       description="Run one task in the current directory and exit. "
                                   "`exec resume [ID|--last] [PROMPT]` continues a recorded session.")
    p.add_argument("prompt", nargs="?", default=None, help="the task; '-' or nothing reads it from stdin")
    add_run_options(p)
    p.set_defaults(func=run_exec_command)


def add_run_options(p: argparse.ArgumentParser) -> None:
    """The options of every command that runs a prompt (exec, resume, fork)."""
    p.add_argument("--json", action="store_true", help="print JSONL events on stdout")
    p.add_argument("-m", "--model", default=None)
    p.add_argument("--provider", dest="model_provider", default=None, help="model provider id from the config")
    p.add_argument("--oss", action="store_true", help="use the local OpenAI-compatible server (provider 'ollama')")
    p.add_argument("-s", "--sandbox", dest="sandbox_mode", choices=["read-only", "workspace-write", "danger-full-access"])
    p.add_argument("-a", "--ask-for-approval", dest="approval_policy", choices=["untrusted", "on-failure", "on-request", "never"])
    p.add_argument("--full-auto", action="store_true", help="workspace-write sandbox, approvals on request")
    p.add_argument("--dangerously-bypass-approvals-and-sandbox", dest="yolo", action="store_true")
    p.add_argument("-C", "--cd", dest="cwd", default=None, help="working directory")
    p.add_argument("--add-dir", dest="add_dirs", action="append", default=[], help="extra writable directory")
    p.add_argument("-i", "--image", dest="images", action="append", default=[], help="attach a local image")
    p.add_argument("--output-schema", default=None, help="JSON Schema file the final answer must match")
    p.add_argument("-o", "--output-last-message", default=None, help="write the final message to this file")
    p.add_argument("--skip-git-repo-check", action="store_true", help="accepted for Codex compatibility")


def overrides_from(args: argparse.Namespace) -> CliOverrides:
    approval, sandbox = args.approval_policy, args.sandbox_mode
    if args.full_auto:
        approval, sandbox = approval or "on-request", sandbox or "workspace-write"
    if args.yolo:
        approval, sandbox = "never", "danger-full-access"
    return CliOverrides(
        model=args.model, model_provider=args.model_provider or ("ollama" if args.oss else None),
        approval_policy=approval or "never", sandbox_mode=sandbox, cwd=args.cwd, profile=args.profile,
        add_dirs=list(args.add_dirs), raw=list(args.raw_overrides),
    )


def read_prompt(arg: str | None) -> str:
    if arg is not None and arg != "-":
        return arg
    if arg is None and sys.stdin.isatty():
        raise SetupError("No prompt provided. Pass it as an argument or pipe it on stdin.")
    if arg is None:
        print("Reading prompt from stdin...", file=sys.stderr)
    return sys.stdin.read()


def run_exec_command(args: argparse.Namespace) -> int:
    from agent.core.factory import open_session

    try:
        prompt = read_prompt(args.prompt)
        schema = prompt_schema(args, prompt)
        config = load_config(overrides_from(args))
    except (SetupError, ConfigError, OSError, json.JSONDecodeError) as err:
        print(f"Error: {err}", file=sys.stderr)
        return 1
    return asyncio.run(run_prompt(args, lambda: open_session(config, source="exec"), prompt, schema))


def prompt_schema(args: argparse.Namespace, prompt: str) -> dict | None:
    """Checks `prompt` is not blank; the `--output-schema` file's JSON, if given. Raises
    SetupError, OSError or JSONDecodeError."""
    if not prompt.strip():
        raise SetupError("The prompt is empty.")
    return json.loads(Path(args.output_schema).read_text()) if args.output_schema else None


async def run_prompt(args: argparse.Namespace, opener: Callable[[], Session], prompt: str, schema: dict | None) -> int:
    """Open a session with `opener` (new, resumed or forked), run `prompt` as one turn,
    print the progress and the result per `args`; returns the exit code."""
    from agent.core.factory import startup_warnings, submit_user_text

    try:
        session = opener()
    except SetupError as err:
        print(f"Error: {err}", file=sys.stderr)
        return 1
    stream = session.events()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGINT, lambda: session.submit(ops.Interrupt()))
    try:
        submit_user_text(session, prompt, images=args.images, final_output_json_schema=schema)
        outcome = await _follow(args, stream, startup_warnings(session))
    finally:
        loop.remove_signal_handler(signal.SIGINT)
        await session.shutdown()
    return _finish(args, outcome)


async def _follow(args: argparse.Namespace, stream, warnings: list[str]) -> dict:
    mapper, renderer = ThreadEventMapper(), TextRenderer(sys.stderr)
    outcome: dict = {"errors": [], "aborted": False, "last": None}
    async for event in stream:
        _show(args, event, mapper, renderer)
        kind = event.msg.type
        if kind == "session_configured":
            for text in warnings:
                _show(args, Event(id=event.id, msg=WarningEvent(message=text)), mapper, renderer)
        if kind == "error":
            outcome["errors"].append(event.msg.message)
        elif kind == "turn_aborted":
            outcome["aborted"] = True
            return outcome
        elif kind == "task_complete":
            outcome["last"] = event.msg.last_agent_message
            return outcome
    return outcome


def _show(args: argparse.Namespace, event: Event, mapper: ThreadEventMapper, renderer: TextRenderer) -> None:
    if args.json:
        for line in mapper.feed(event):
            sys.stdout.write(line.model_dump_json(exclude_none=False) + "\n")
        sys.stdout.flush()
    else:
        renderer.handle(event)


def _finish(args: argparse.Namespace, outcome: dict) -> int:
    last = outcome["last"]
    if args.output_last_message and last is not None:
        Path(args.output_last_message).write_text(last, encoding="utf-8")
    if not args.json and last:
        print(last)
    if outcome["aborted"]:
        print("Error: interrupted", file=sys.stderr)
        return 130
    if outcome["errors"]:
        print(f"Error: {outcome['errors'][-1]}", file=sys.stderr)
        return 1
    return 0
