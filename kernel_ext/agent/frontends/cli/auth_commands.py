"""`kernel-agent login`, `login status` and `logout` (spec §10.4, API keys only).

`add_auth_commands(subparsers)` registers the three commands on an argparse
sub-parsers object; each sets `func(args) -> int` (the exit code). Messages go to
stderr, as in Codex; the key itself is never printed, only `mask_key()` of it.

* `login`: a TTY gets a `getpass` prompt (not echoed); otherwise, or with
  `--api-key-stdin` (alias `--with-api-key`), one line is read from stdin. A blank key
  exits 1; success prints "Successfully logged in" and exits 0.
* `login status`: "Using an API key from $VAR - <masked>" for a key in the
  environment, "Logged in using an API key - <masked>" for auth.json, exit 0; else
  "Not logged in", exit 1.
* `logout`: deletes auth.json: "Successfully logged out" or "Not logged in", exit 0.

The home folder is `args.home` when the parser defines it, else `agent_home()`.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path
from typing import Any

from agent.core.api import (
    AGENT_API_KEY_ENV,
    API_KEY_FIELD,
    AuthFileError,
    agent_home,
    auth_path,
    delete_auth,
    mask_key,
    save_api_key,
    stored_api_key,
)

ENV_KEY_VARIABLES = (AGENT_API_KEY_ENV, API_KEY_FIELD)
"""Environment variables that supply the OpenAI key, in the order they are used."""


def add_auth_commands(subparsers: Any) -> None:
    """Register `login` (with `login status`) and `logout` on `subparsers`."""
    login = subparsers.add_parser("login", help="store an API key in the kernel-agent home folder")
    login.add_argument(
        "--api-key-stdin",
        "--with-api-key",
        dest="api_key_stdin",
        action="store_true",
        help="read the API key from stdin (one line) instead of prompting",
    )
    login.set_defaults(func=run_login)
    login_commands = login.add_subparsers(dest="login_command", metavar="{status}")
    status = login_commands.add_parser("status", help="show how the API key is provided")
    status.set_defaults(func=run_status)
    logout = subparsers.add_parser("logout", help="remove the stored API key")
    logout.set_defaults(func=run_logout)


def _home(args: argparse.Namespace) -> Path:
    home = getattr(args, "home", None)
    return Path(home) if home else agent_home()


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _read_key(args: argparse.Namespace) -> str:
    stdin = sys.stdin
    if stdin is None:
        return ""
    if getattr(args, "api_key_stdin", False) or not stdin.isatty():
        _say("Reading API key from stdin...")
        return stdin.readline()
    return getpass.getpass("API key: ")


def run_login(args: argparse.Namespace) -> int:
    from agent.core.api import ConfigError, login_refusal

    try:
        refusal = login_refusal()
    except ConfigError as err:
        refusal = str(err)
    if refusal is not None:
        _say(f"Error: {refusal}")
        return 1
    try:
        key = _read_key(args).strip()
    except (EOFError, KeyboardInterrupt):
        _say("\nLogin cancelled")
        return 1
    if not key:
        _say("Error: no API key provided")
        return 1
    home = _home(args)
    try:
        save_api_key(home, key)
    except OSError as exc:
        _say(f"Error: cannot write {auth_path(home)}: {exc.strerror}")
        return 1
    _say("Successfully logged in")
    return 0


def run_status(args: argparse.Namespace) -> int:
    lines = []
    for variable in ENV_KEY_VARIABLES:
        value = os.environ.get(variable, "").strip()
        if value:
            lines.append(f"Using an API key from ${variable} - {mask_key(value)}")
            break
    try:
        stored = stored_api_key(_home(args))
    except AuthFileError as exc:
        _say(f"Error: {exc}")
        return 1
    if stored:
        lines.append(f"Logged in using an API key - {mask_key(stored)}")
    for line in lines or ["Not logged in"]:
        _say(line)
    return 0 if lines else 1


def run_logout(args: argparse.Namespace) -> int:
    home = _home(args)
    try:
        removed = delete_auth(home)
    except OSError as exc:
        _say(f"Error: cannot remove {auth_path(home)}: {exc.strerror}")
        return 1
    _say("Successfully logged out" if removed else "Not logged in")
    return 0
