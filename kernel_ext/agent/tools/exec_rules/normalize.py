"""The commands an argv may run, in every form a rule is checked against (attacker-proof).

    command_forms(argv) -> CommandForms(literal, derived, unparsed_scripts)

* `literal`: the commands as written: the argv itself, or each command of a plain
  `bash|sh|zsh ... -c SCRIPT` script (agent.tools.command_safety.split_plain_script).
  Only these can be *allowed* by a rule, and only when every one of them is.
* `derived`: every form a `prompt` / `forbidden` rule is checked against: the literal
  commands, plus the program's basename (`/usr/bin/git` -> `git`), leading `VAR=x`
  assignments removed, known wrappers stripped (`env`, `command`, `exec`, `nice`,
  `nohup`, `timeout`, `time`, `stdbuf`, `sudo`, `doas`, `xargs`, `ionice`, `setsid`,
  `busybox`, `chrt`, `taskset`, `watch`, ...; a wrapper whose options are not known is
  tried at every suffix), git's global options removed (`git -C d push` -> `git push`),
  and the commands of nested shell scripts, plain or not (a script that is not plain is
  split loosely at operators and substitutions), a few levels deep.
* `unparsed_scripts`: scripts that could not be split into plain commands; the caller
  asks about them when they mention a rule's program or start a program named at run time.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from ..command_safety import WRAPPERS, loose_script_commands, split_plain_script

SHELL_NAMES = frozenset({"bash", "zsh", "sh", "dash", "ksh", "mksh", "fish", "ash"})
SHELL_VALUE_OPTIONS = frozenset({"-o", "+o", "-O", "+O", "--rcfile", "--init-file"})
MAX_DEPTH = 6
ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\+?=")


@dataclass(frozen=True)
class WrapperSyntax:
    value_short: str = ""
    """Short options that take a value (`-n 5`, `-n5`)."""
    value_long: frozenset[str] = frozenset()
    """Long options that take a value as the next word (`--signal KILL`)."""
    positionals: int = 0
    """Words between the options and the command (timeout's DURATION)."""
    assignments: bool = False
    """`VAR=value` words may come before the command."""


KNOWN_WRAPPERS = {
    "env": WrapperSyntax("uCS", frozenset({"--unset", "--chdir", "--split-string"}), assignments=True),
    "command": WrapperSyntax(),
    "exec": WrapperSyntax("a"),
    "builtin": WrapperSyntax(),
    "nice": WrapperSyntax("n", frozenset({"--adjustment"})),
    "nohup": WrapperSyntax(),
    "setsid": WrapperSyntax(),
    "busybox": WrapperSyntax(),
    "timeout": WrapperSyntax("sk", frozenset({"--signal", "--kill-after"}), positionals=1),
    "time": WrapperSyntax("fo", frozenset({"--format", "--output"})),
    "stdbuf": WrapperSyntax("ioe", frozenset({"--input", "--output", "--error"})),
    "sudo": WrapperSyntax("ugpChDrtTRU", frozenset({"--user", "--group", "--prompt", "--close-from", "--chdir",
                                                   "--host", "--role", "--type", "--other-user", "--command-timeout",
                                                   "--chroot"}), assignments=True),
    "doas": WrapperSyntax("uC"),
    "xargs": WrapperSyntax("adEILnPs", frozenset({"--arg-file", "--delimiter", "--max-lines", "--max-args",
                                                 "--max-procs", "--max-chars", "--process-slot-var"})),
    "parallel": WrapperSyntax(),
    "ionice": WrapperSyntax("cnpPu", frozenset({"--class", "--classdata", "--pid", "--pgid", "--uid"})),
    "chrt": WrapperSyntax("T", positionals=1),
    "taskset": WrapperSyntax(positionals=1),
}
GIT_VALUE_OPTIONS = frozenset({"-C", "-c", "--git-dir", "--work-tree", "--namespace", "--config-env", "--super-prefix"})


@dataclass
class CommandForms:
    literal: list[tuple[str, ...]] = field(default_factory=list)
    derived: list[tuple[str, ...]] = field(default_factory=list)
    unparsed_scripts: list[str] = field(default_factory=list)


def command_forms(argv: list[str]) -> CommandForms:
    """See the module doc."""
    forms = CommandForms()
    script = shell_script(argv)
    plain = split_plain_script(script) if script is not None else None
    forms.literal = [tuple(c) for c in plain] if plain is not None else [tuple(argv)]
    _expand(list(argv), 0, forms, set())
    return forms


def shell_script(argv: list[str]) -> str | None:
    """SCRIPT of `SHELL [options] -c SCRIPT ...` (`-lc`, `-ec`, `--norc -c`, ...), else None."""
    if not argv or _basename(argv[0]) not in SHELL_NAMES:
        return None
    has_c, i = False, 1
    while i < len(argv) and argv[i][:1] in ("-", "+") and argv[i] not in ("-", "--"):
        if argv[i] in SHELL_VALUE_OPTIONS:
            i += 1
        elif not argv[i].startswith("--") and "c" in argv[i][1:]:
            has_c = True
        i += 1
    if i < len(argv) and argv[i] == "--":
        i += 1
    return argv[i] if has_c and i < len(argv) else None


def _basename(word: str) -> str:
    return PurePosixPath(word).name if word else ""


def _expand(words: list[str], depth: int, forms: CommandForms, seen: set[tuple[str, ...]]) -> None:
    key = tuple(words)
    if not words or key in seen:
        return
    seen.add(key)
    forms.derived.append(key)
    if depth > MAX_DEPTH:
        forms.unparsed_scripts.append(shlex.join(words))
        return
    for inner in _inner_commands(words, forms):
        _expand(inner, depth + 1, forms, seen)


def _inner_commands(words: list[str], forms: CommandForms) -> list[list[str]]:
    """The other forms of one command (see the module doc)."""
    name, out = _basename(words[0]), []
    if name != words[0]:
        out.append([name, *words[1:]])
    if ASSIGNMENT.match(words[0]):
        out.append(words[1:])
    script = shell_script(words)
    if script is not None:
        plain = split_plain_script(script)
        if plain is None:
            forms.unparsed_scripts.append(script)
        out.extend(plain if plain is not None else loose_script_commands(script))
    if name == "watch":  # watch joins its arguments and runs them with `sh -c`
        out.append(["sh", "-c", " ".join(_after_options(words[1:], WrapperSyntax("nd")))])
    elif name in KNOWN_WRAPPERS:
        out.append(_after_options(words[1:], KNOWN_WRAPPERS[name], split_string=name == "env"))
    elif name in WRAPPERS or words[0] in WRAPPERS:
        out.extend(words[i:] for i in range(1, len(words)))
    if name == "git":
        out.append(_without_git_globals(words))
    return [command for command in out if command]


def _after_options(args: list[str], syntax: WrapperSyntax, *, split_string: bool = False) -> list[str]:
    """The command a wrapper runs: `args` after its options, positionals and assignments.
    `env -S STRING` splits STRING into words and puts them first, as env does."""
    i, prefix = 0, []
    while i < len(args) and args[i].startswith("-") and args[i] != "-":
        arg = args[i]
        if arg == "--":
            i += 1
            break
        value, i = _option_value(args, i, syntax)
        if split_string and value is not None and (arg.startswith("-S") or arg.startswith("--split-string")):
            prefix = _split(value)
    i += syntax.positionals
    while syntax.assignments and i < len(args) and ASSIGNMENT.match(args[i]):
        i += 1
    return prefix + args[i:]


def _option_value(args: list[str], i: int, syntax: WrapperSyntax) -> tuple[str | None, int]:
    """The value of the option at `i` (None if it takes none) and the index after it."""
    arg = args[i]
    if arg.startswith("--"):
        if "=" in arg:
            return arg.split("=", 1)[1], i + 1
        if arg in syntax.value_long and i + 1 < len(args):
            return args[i + 1], i + 2
        return None, i + 1
    for at, letter in enumerate(arg[1:], start=1):
        if letter in syntax.value_short:
            attached = arg[at + 1 :]
            if attached:
                return attached, i + 1
            return (args[i + 1], i + 2) if i + 1 < len(args) else (None, i + 1)
    return None, i + 1


def _split(text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()


def _without_git_globals(words: list[str]) -> list[str]:
    """`git [global options] SUB ...` -> `git SUB ...` (empty when nothing changes)."""
    i = 1
    while i < len(words) and words[i].startswith("-"):
        i += 2 if words[i] in GIT_VALUE_OPTIONS else 1
    return [words[0], *words[i:]] if i > 1 else []
