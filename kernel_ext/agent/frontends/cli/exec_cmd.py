"""`kernel-agent exec`: run one task non-interactively (spec §1.3, §12.5).

Human mode streams progress to stderr and prints the final message on stdout; `--json`
prints one thread event per line on stdout and nothing else. Ctrl-C (SIGINT) interrupts
the turn. Exit codes: 0 done, 1 failed (reason on stderr), 130 interrupted, 141 output
closed early.

Approvals: the policy comes from `-a`/`--full-auto`/`--yolo`, else `-c`, the profile or
config.toml; when none of them sets one, exec uses `never` (a project marked
`trust_level = "untrusted"` keeps `untrusted`). A request is asked on the terminal, or
denied at once when there is none (see exec_approvals).

If stdout (or stderr) is closed early (`exec ... | head -c 10`), the rest of the output
goes to /dev/null, the turn is interrupted, the session file is still written, and exec
exits 141 without a traceback, the way a program stopped by SIGPIPE does in a pipeline.

`run_prompt` (one prompt in a new, resumed or forked session), `add_run_options` and
`load_run_config` are shared with the session commands (`resume`, `fork`, `exec resume`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from agent.core.api import CONFIG_FILE, CliOverrides, Config, ConfigError, SetupError, load_config, parse_cli_override
from agent.protocol import events as ev
from agent.protocol import ops
from agent.protocol.events import Event
from agent.protocol.events import Warning as WarningEvent
from agent.protocol.policy import APPROVAL_POLICIES, SANDBOX_MODES

from ..text.render import TextRenderer
from ..text.thread_events import ThreadEventMapper
from .exec_approvals import ExecApprover, stdin_and_stderr_are_ttys

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

if TYPE_CHECKING:
    from agent.core.api import Session


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
    p.add_argument("-s", "--sandbox", dest="sandbox_mode", choices=SANDBOX_MODES)
    p.add_argument("-a", "--ask-for-approval", dest="approval_policy", choices=APPROVAL_POLICIES)
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
        approval_policy=approval, sandbox_mode=sandbox, cwd=args.cwd, profile=args.profile,
        add_dirs=list(args.add_dirs), raw=list(args.raw_overrides),
    )


EXEC_DEFAULT_APPROVAL = "never"
"""The approval policy of exec when nothing configures one (as in Codex's headless mode)."""
SIGPIPE_EXIT = 128 + signal.SIGPIPE


def load_run_config(args: argparse.Namespace) -> Config:
    """The config of a command that runs a prompt without a person at hand (exec, resume,
    fork): as `load_config`, with EXEC_DEFAULT_APPROVAL when no flag, `-c`, profile or
    config.toml sets `approval_policy` (a project marked untrusted keeps `untrusted`; a
    managed approval_policy, or requirements that forbid the default, keep the config's)."""
    config = load_config(overrides_from(args))
    explicit = args.approval_policy or args.full_auto or args.yolo
    if explicit or config.approval_policy == "untrusted" or _approval_configured(config, args.raw_overrides):
        return config
    if "approval_policy" in config.managed or config.requirements.approval_refusal(EXEC_DEFAULT_APPROVAL):
        return config  # the admin decides: exec's own default yields to managed_config/requirements
    return config.with_overrides(approval_policy=EXEC_DEFAULT_APPROVAL)


def _approval_configured(config: Config, raw_overrides: list[str]) -> bool:
    """Whether a `-c` override, config.toml or its selected profile sets approval_policy."""
    wanted = (["approval_policy"], ["profiles", config.profile, "approval_policy"])
    if any(parse_cli_override(text)[0] in wanted for text in raw_overrides):
        return True
    path = config.home / CONFIG_FILE
    table = tomllib.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    profile = (table.get("profiles") or {}).get(config.profile) if config.profile else None
    return table.get("approval_policy") is not None or (isinstance(profile, dict) and profile.get("approval_policy") is not None)


def read_prompt(arg: str | None) -> str:
    if arg is not None and arg != "-":
        return arg
    if arg is None and sys.stdin.isatty():
        raise SetupError("No prompt provided. Pass it as an argument or pipe it on stdin.")
    if arg is None:
        print("Reading prompt from stdin...", file=sys.stderr)
    return sys.stdin.read()


def run_exec_command(args: argparse.Namespace) -> int:
    from agent.core.api import open_session

    try:
        prompt = read_prompt(args.prompt)
        schema = prompt_schema(args, prompt)
        config = load_run_config(args)
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
    from agent.core.api import startup_warnings, submit_user_text

    try:
        session = opener()
    except SetupError as err:
        print(f"Error: {err}", file=sys.stderr)
        return 1
    stream = session.events()
    output = _Output(args, session)
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGINT, output.interrupt)
    try:
        submit_user_text(session, prompt, images=args.images, final_output_json_schema=schema)
        outcome = await output.follow(stream, startup_warnings(session))
    finally:
        loop.remove_signal_handler(signal.SIGINT)
        await session.shutdown()
    return output.finish(outcome)


class _Output:
    """Shows one turn's events (JSONL on stdout or text on stderr), answers approval
    requests, and survives its reader going away."""

    def __init__(self, args: argparse.Namespace, session: Session):
        self.args, self.session = args, session
        self.mapper, self.renderer = ThreadEventMapper(), TextRenderer(sys.stderr)
        self.approver = ExecApprover(session.submit, self.renderer, interactive=stdin_and_stderr_are_ttys())
        self.broken_pipe = False

    def interrupt(self) -> None:
        self.approver.cancel()
        self.session.submit(ops.Interrupt())

    async def follow(self, stream, warnings: list[str]) -> dict:
        outcome: dict = {"errors": [], "aborted": False, "last": None}
        async for event in stream:
            self._show(event)
            kind = event.msg.type
            if kind == "session_configured":
                for text in warnings:
                    self._show(Event(id=event.id, msg=WarningEvent(message=text)))
            if isinstance(event.msg, (ev.ExecApprovalRequest, ev.ApplyPatchApprovalRequest)):
                await self.approver.answer(event.msg)
            if kind == "error":
                outcome["errors"].append(event.msg.message)
            elif kind == "turn_aborted":
                outcome["aborted"] = True
                return outcome
            elif kind == "task_complete":
                outcome["last"] = event.msg.last_agent_message
                return outcome
        return outcome

    def _show(self, event: Event) -> None:
        if isinstance(event.msg, (ev.ExecApprovalRequest, ev.ApplyPatchApprovalRequest)) and not self.args.json:
            return  # the approver shows it, right before asking
        stream = sys.stdout if self.args.json else sys.stderr
        try:
            if self.args.json:
                for line in self.mapper.feed(event):
                    sys.stdout.write(line.model_dump_json(exclude_none=False) + "\n")
                sys.stdout.flush()
            else:
                self.renderer.handle(event)
        except BrokenPipeError:
            self._reader_gone(stream)

    def _reader_gone(self, stream) -> None:
        """Nobody reads `stream` any more: discard the rest of it and stop the turn."""
        _discard_rest(stream)
        if not self.broken_pipe:
            self.broken_pipe = True
            self.interrupt()

    def finish(self, outcome: dict) -> int:
        args, last = self.args, outcome["last"]
        if args.output_last_message and last is not None:
            Path(args.output_last_message).write_text(last, encoding="utf-8")
        if not args.json and last:
            try:
                print(last, flush=True)
            except BrokenPipeError:
                _discard_rest(sys.stdout)
                self.broken_pipe = True
        if self.broken_pipe:
            _say("Error: the output was closed early; the turn was stopped (the session is saved)")
            return SIGPIPE_EXIT
        if outcome["aborted"]:
            _say("Error: interrupted")
            return 130
        if outcome["errors"]:
            _say(f"Error: {outcome['errors'][-1]}")
            return 1
        return 0


def _discard_rest(stream) -> None:
    """Point `stream`'s file descriptor at /dev/null, so later writes and the flush at
    exit neither fail nor print "Exception ignored ... BrokenPipeError"."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, stream.fileno())
    finally:
        os.close(devnull)


def _say(text: str) -> None:
    try:
        print(text, file=sys.stderr, flush=True)
    except BrokenPipeError:
        _discard_rest(sys.stderr)
