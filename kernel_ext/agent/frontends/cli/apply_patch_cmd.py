"""`kernel-agent apply-patch [PATCH]`: Codex's standalone apply_patch (spec §5.3).

The patch comes from the argument, or from stdin when there is none. It applies in the
current directory; stdout gets the summary, stderr the error. Exit codes: 0 applied,
1 failed (earlier hunks stay applied), 2 no patch given.

A documented exception to the front-end contract (pyproject.toml): this command runs no
session, it *is* the patch engine's command-line front end, so it imports
`agent.tools.patch` directly.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

USAGE = "Usage: kernel-agent apply-patch 'PATCH'\n       echo 'PATCH' | kernel-agent apply-patch"


def add_apply_patch_command(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("apply-patch", help="apply a patch in Codex's apply_patch format",
                       description="Apply a patch (from the argument or stdin) in the current directory.")
    p.add_argument("patch", nargs="?", default=None, metavar="PATCH", help="the patch text; stdin when absent")
    p.set_defaults(func=run_apply_patch_command)


def run_apply_patch_command(args: argparse.Namespace) -> int:
    patch = args.patch
    if patch is None:
        try:
            patch = sys.stdin.read()
        except (OSError, UnicodeDecodeError) as err:
            print(f"Error: Failed to read PATCH from stdin.\n{err}", file=sys.stderr)
            return 1
        if not patch:
            print(USAGE, file=sys.stderr)
            return 2
    code, out, err = run_apply_patch(patch, Path(os.getcwd()))
    if out:
        sys.stdout.write(out)
        sys.stdout.flush()
    if err:
        sys.stderr.write(err)
        sys.stderr.flush()
    return code


def run_apply_patch(patch_text: str, cwd: Path) -> tuple[int, str, str]:
    """Codex's standalone `apply_patch` (spec §5.3): returns (exit code, stdout, stderr).

    Hunks are applied in order without rollback, so after a failure the earlier hunks
    stay applied. Zero hunks is an error (`No files were modified.`).
    """
    from agent.tools.patch import PatchApplyError, PatchParseError, apply_hunks, parse_patch, summary_text

    try:
        hunks = parse_patch(patch_text)
    except PatchParseError as err:
        return 1, "", err.cli_message() + "\n"
    try:
        result = apply_hunks(hunks, Path(cwd))
    except PatchApplyError as err:
        return 1, "", err.message + "\n"
    return 0, summary_text(result), ""
