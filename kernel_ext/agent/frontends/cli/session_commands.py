"""Recorded sessions on the command line: `sessions`, `resume`, `fork`, `exec resume`.

* `sessions [--all] [--limit N] [--json]`: newest first; by default only sessions whose
  working directory is the current one (`-C DIR` to pick another). Columns: id, start
  time (local, minutes), first user message.
* `resume ID [PROMPT]` / `resume --last [PROMPT]`: with PROMPT, run it in the resumed
  session exactly like `exec` (same options, output and exit codes); without, print the
  recorded transcript and the session id. `--last` is the newest session of the current
  provider, in any directory (spec §9.2).
* `fork ID [--at N] [PROMPT]`: a new session with the history before the N-th (0-based)
  real user message (everything without `--at`). Prints the new id; runs PROMPT in it if
  given.
* `exec resume [ID|--last] [PROMPT]`: Codex's form; like `resume` with a prompt, which is
  read from stdin when missing or `-`. `rewrite_exec_resume` maps it to the hidden
  `exec-resume` command before parsing, so `exec PROMPT` is unchanged. Options may come
  before or after `resume` and between the positional arguments, as in Codex:
  `exec --json resume --last "…"`, `exec resume ID --json "…"`.

For `resume` and `fork`, positional arguments go together (before or after the options,
not around them).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Sequence

from agent.core.api import ConfigError, SetupError

from .exec_cmd import add_run_options, load_run_config, prompt_schema, read_prompt, run_prompt


def add_session_commands(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    listing = sub.add_parser("sessions", help="list recorded sessions, newest first")
    listing.add_argument("--all", action="store_true", help="sessions of every directory, not just this one")
    listing.add_argument("--limit", type=_positive, default=50, help="show at most N sessions (default 50)")
    listing.add_argument("--json", action="store_true", help="print a JSON array")
    listing.add_argument("-C", "--cd", dest="cwd", default=None, help="list the sessions of this directory")
    listing.set_defaults(func=run_sessions)

    resume = sub.add_parser("resume", parents=[parent], help="continue a recorded session")
    _add_resume_arguments(resume)
    resume.set_defaults(func=run_resume)
    exec_resume = sub.add_parser("exec-resume", parents=[parent], prog="kernel-agent exec resume")
    _add_resume_arguments(exec_resume)
    exec_resume.set_defaults(func=run_exec_resume)

    fork = sub.add_parser("fork", parents=[parent], help="start a new session from a recorded one")
    fork.add_argument("session", help="session id (or a unique prefix of it)")
    fork.add_argument("prompt", nargs="?", default=None, help="run this in the new session ('-' reads stdin)")
    fork.add_argument("--at", type=_non_negative, default=None, metavar="N",
                      help="keep the history before the N-th user message (0-based)")
    add_run_options(fork)
    fork.set_defaults(func=run_fork)


def _add_resume_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("target", nargs="?", default=None, metavar="ID", help="session id (or a unique prefix of it)")
    p.add_argument("prompt", nargs="?", default=None, help="run this in the resumed session ('-' reads stdin)")
    p.add_argument("--last", action="store_true", help="the most recent session (then the only argument is PROMPT)")
    add_run_options(p)


def rewrite_exec_resume(argv: Sequence[str]) -> list[str]:
    """`exec [OPTS] resume [OPTS] [ID|--last] [OPTS] [PROMPT]` -> `exec-resume OPTS -- POSITIONALS`
    (options first, so argparse accepts them anywhere); any other command line is
    returned as is."""
    argv = list(argv)
    command = next((i for i, word in enumerate(argv) if not word.startswith("-")), None)
    if command is None or argv[command] != "exec":
        return argv
    options, positionals = _split_run_arguments(argv[command + 1 :])
    if positionals[:1] != ["resume"]:
        return argv
    return argv[:command] + ["exec-resume", *options, "--", *positionals[1:]]


def _split_run_arguments(words: list[str]) -> tuple[list[str], list[str]]:
    """Options (with their values) and positional words of an exec command line."""
    takes_value = _options_taking_a_value()
    options: list[str] = []
    positionals: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        if word == "--":
            positionals.extend(words[i + 1 :])
            break
        if word in takes_value:
            options.extend(words[i : i + 2])
            i += 2
            continue
        (options if word.startswith("-") and word != "-" else positionals).append(word)
        i += 1
    return options, positionals


def _options_taking_a_value() -> frozenset[str]:
    from .main import config_options

    probe = argparse.ArgumentParser(add_help=False, parents=[config_options()])
    add_run_options(probe)
    return frozenset(opt for action in probe._actions if action.nargs != 0 for opt in action.option_strings)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _non_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def _fail(message: str, code: int = 1) -> int:
    print(f"Error: {message}", file=sys.stderr)
    return code


# --- sessions ----------------------------------------------------------------------------


def run_sessions(args: argparse.Namespace) -> int:
    from agent.core.api import agent_home, list_sessions

    cwd = None if args.all else Path(args.cwd or os.getcwd())
    rows = list_sessions(agent_home(), cwd=cwd, limit=args.limit)
    if args.json:
        print(json.dumps([_summary_json(row) for row in rows], indent=2, ensure_ascii=False))
    elif not rows:
        where = "" if cwd is None else f" in {cwd.resolve()} (--all shows every directory)"
        print(f"No recorded sessions{where}.", file=sys.stderr)
    else:
        for row in rows:
            print(f"{row.id}  {row.created.astimezone():%Y-%m-%d %H:%M}  {row.first_user_message}")
    return 0


def _summary_json(row) -> dict:
    return {
        "id": row.id, "path": str(row.path), "created": row.created.isoformat(), "updated": row.updated.isoformat(),
        "cwd": row.cwd, "first_user_message": row.first_user_message, "model_provider": row.model_provider,
    }


# --- resume ------------------------------------------------------------------------------


def run_resume(args: argparse.Namespace) -> int:
    return _resume(args, exec_mode=False)


def run_exec_resume(args: argparse.Namespace) -> int:
    return _resume(args, exec_mode=True)


def _resume(args: argparse.Namespace, *, exec_mode: bool) -> int:
    target, prompt = (None, args.target) if args.last else (args.target, args.prompt)
    if args.last and args.prompt is not None:
        return _fail("with --last, give only the prompt", 2)
    if target is None and not args.last:
        return _fail("give a session id or --last (`kernel-agent sessions` lists them)", 2)
    try:
        config = load_run_config(args)
        path = _resume_path(config, target)
        if prompt is None and not exec_mode:
            return print_transcript(path)
        prompt = read_prompt(prompt)
        schema = prompt_schema(args, prompt)
    except (SetupError, ConfigError, OSError, json.JSONDecodeError) as err:
        return _fail(str(err))
    from agent.core.api import resume_session

    return asyncio.run(run_prompt(args, lambda: resume_session(config, path), prompt, schema))


def _resume_path(config, target: str | None) -> Path:
    from agent.core.api import latest_session, locate_session

    if target is not None:
        return locate_session(config.home, target)
    path = latest_session(config.home, provider=config.model_provider_id)
    if path is None:
        raise SetupError(f"no recorded session of provider {config.model_provider_id!r} to resume")
    return path


def print_transcript(path: Path) -> int:
    """The recorded conversation (its persisted events), then the session id."""
    from agent.core.api import initial_messages, load_rollout
    from agent.protocol.events import Event

    from ..text.render import TextRenderer

    loaded = load_rollout(path)
    renderer = TextRenderer(sys.stdout)
    for payload in initial_messages(loaded.items):
        try:
            event = Event.model_validate({"id": "0", "msg": payload})
        except ValueError:
            continue
        renderer.handle(event)
    if loaded.skipped:
        print(f"\nwarning: skipped {loaded.skipped} damaged line(s) of {path}")
    print(f"\nsession: {loaded.conversation_id}\nfile: {path}")
    print(f"continue with: kernel-agent resume {loaded.conversation_id} PROMPT")
    return 0


# --- fork --------------------------------------------------------------------------------


def run_fork(args: argparse.Namespace) -> int:
    from agent.core.api import fork_session, locate_session

    try:
        config = load_run_config(args)
        path = locate_session(config.home, args.session)
        if args.prompt is None:
            return _fork_only(config, path, args.at)
        prompt = read_prompt(args.prompt)
        schema = prompt_schema(args, prompt)
    except (SetupError, ConfigError, OSError, json.JSONDecodeError) as err:
        return _fail(str(err))

    def opener():
        session = fork_session(config, path, args.at)
        print(f"forked {args.session} -> {session.conversation_id}", file=sys.stderr)
        return session

    return asyncio.run(run_prompt(args, opener, prompt, schema))


def _fork_only(config, path: Path, at: int | None) -> int:
    from agent.core.api import fork_recording

    new_id, new_path, kept = fork_recording(config, path, at)
    print(f"forked {path.name} -> {new_path} ({kept} line(s) kept)", file=sys.stderr)
    print(new_id)
    return 0
