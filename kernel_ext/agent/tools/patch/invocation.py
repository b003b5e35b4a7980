"""Recognise an apply_patch call inside a command line (spec §5.4).

Contract:
    maybe_parse_apply_patch(argv, cwd) -> ApplyPatchInvocation | NotApplyPatch | ApplyPatchParseError
    pure (no filesystem access)

Recognised forms:
* `["apply_patch", PATCH]` / `["applypatch", PATCH]`;
* `[sh, -c|-lc, SCRIPT]` (bash, zsh, sh; also `pwsh`/`powershell [-NoProfile] -Command`
  and `cmd /c`) where SCRIPT is exactly one statement:
  `apply_patch <<'DELIM'\\n…\\nDELIM` (quoted or not) or
  `cd <path> && apply_patch <<'DELIM' …` (`<path>` a single word or simple quoted string;
  it becomes the workdir, resolved against `cwd`).
Anything else is `NOT_APPLY_PATCH`. A patch given as the whole argv or as the whole
script is an `ApplyPatchParseError` (kind "implicit") asking for an explicit call.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Union

from .parser import Hunk, PatchParseError, parse_patch

APPLY_PATCH_COMMANDS = ("apply_patch", "applypatch")
IMPLICIT_INVOCATION_MESSAGE = (
    'patch detected without explicit call to apply_patch. Rerun as ["apply_patch", "<patch>"]'
)

_UNIX_SHELLS = {"bash", "zsh", "sh"}
_POWERSHELLS = {"pwsh", "powershell"}

_WORD = r"[^\s'\"\\$`;&|<>(){}]+"
_SCRIPT = re.compile(
    r"""\A\s*
    (?:cd[ \t]+(?:(?P<cd_word>{word})|'(?P<cd_single>[^'\n]*)'|"(?P<cd_double>[^"\\$`\n]*)")[ \t]*&&[ \t]*)?
    (?P<cmd>apply_patch|applypatch)[ \t]*<<[ \t]*
    (?:'(?P<d_single>[^'\n]+)'|"(?P<d_double>[^"\n]+)"|(?P<d_word>[A-Za-z0-9_.\-]+))
    [ \t]*\n
    (?P<rest>.*)\Z""".replace("{word}", _WORD),
    re.DOTALL | re.VERBOSE,
)


@dataclass(frozen=True)
class ApplyPatchInvocation:
    """A recognised call: the patch text, its hunks, and the directory it applies in."""

    patch: str
    hunks: list[Hunk]
    cwd: Path


@dataclass(frozen=True)
class NotApplyPatch:
    """Not an apply_patch call: run it as an ordinary command."""


@dataclass(frozen=True)
class ApplyPatchParseError:
    """An apply_patch call that cannot run. `kind`: "patch" (bad patch text, see `error`),
    "shell" (the heredoc could not be extracted) or "implicit" (a bare patch)."""

    kind: Literal["patch", "shell", "implicit"]
    message: str
    error: PatchParseError | None = None


MaybeApplyPatch = Union[ApplyPatchInvocation, NotApplyPatch, ApplyPatchParseError]
NOT_APPLY_PATCH = NotApplyPatch()


def shell_script(argv: list[str]) -> str | None:
    """The script of `[shell, flag, SCRIPT]` for a recognised shell, else None."""
    if not argv:
        return None
    name = os.path.basename(argv[0].replace("\\", "/")).lower()
    if name.endswith(".exe"):
        name = name[:-4]
    if len(argv) == 3 and name in _UNIX_SHELLS and argv[1] in ("-c", "-lc"):
        return argv[2]
    if name in _POWERSHELLS:
        flags = [a.lower() for a in argv[1:-1]]
        if len(argv) in (3, 4) and flags[-1] == "-command" and flags[:-1] in ([], ["-noprofile"]):
            return argv[-1]
    if len(argv) == 3 and name == "cmd" and argv[1].lower() == "/c":
        return argv[2]
    return None


def _parses(text: str) -> bool:
    try:
        parse_patch(text)
    except PatchParseError:
        return False
    return True


def extract_heredoc(script: str) -> tuple[str, str | None] | None:
    """`(patch body, cd path or None)` if the script is one of the two recognised forms."""
    m = _SCRIPT.match(script)
    if m is None:
        return None
    delim = m["d_single"] or m["d_double"] or m["d_word"]
    rest = m["rest"]
    body_lines: list[str] = []
    lines = rest.split("\n")
    for k, line in enumerate(lines):
        if line.rstrip("\r") == delim:
            if "\n".join(lines[k + 1:]).strip():
                return None  # something follows the heredoc: not a single statement
            body = "\n".join(body_lines) + ("\n" if body_lines else "")
            cd = m["cd_word"] if m["cd_word"] is not None else m["cd_single"] if m["cd_single"] is not None else m["cd_double"]
            return body, cd
        body_lines.append(line)
    return None  # unterminated heredoc


def _resolve(cwd: Path, workdir: str | None) -> Path:
    if workdir is None:
        return Path(cwd)
    return Path(os.path.normpath(os.path.join(os.fspath(cwd), workdir)))


def _from_text(patch: str, cwd: Path) -> MaybeApplyPatch:
    try:
        return ApplyPatchInvocation(patch, parse_patch(patch), cwd)
    except PatchParseError as err:
        return ApplyPatchParseError("patch", str(err), err)


def maybe_parse_apply_patch(argv: list[str], cwd: Path) -> MaybeApplyPatch:
    if len(argv) == 1 and _parses(argv[0]):
        return ApplyPatchParseError("implicit", IMPLICIT_INVOCATION_MESSAGE)
    script = shell_script(argv)
    if script is not None and _parses(script):
        return ApplyPatchParseError("implicit", IMPLICIT_INVOCATION_MESSAGE)
    if len(argv) == 2 and argv[0] in APPLY_PATCH_COMMANDS:
        return _from_text(argv[1], Path(cwd))
    if script is None:
        return NOT_APPLY_PATCH
    extracted = extract_heredoc(script)
    if extracted is None:
        return NOT_APPLY_PATCH
    body, workdir = extracted
    return _from_text(body, _resolve(Path(cwd), workdir))
