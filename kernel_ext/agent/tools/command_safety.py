"""Which commands are "known safe" or "might be dangerous" (spec §7.6), and display summaries.

Pure functions over argv lists:

* `is_known_safe_command(argv)`: a direct read-only command (check A), or a
  `bash|zsh|sh -lc|-c SCRIPT` whose plain script holds only such commands (check B).
* `command_might_be_dangerous(argv)`: `git reset|rm`, `rm -f|-rf`, `sudo` of those, directly
  or inside a plain shell script.
* `split_plain_script(script)`: the commands of a "plain" script (words, numbers and
  quoted strings without expansions, joined by `&&`, `||`, `;`, `|` or newlines), or
  None when the script uses anything else (redirects, `$`, backticks, parentheses, braces,
  comments, backslashes, assignments, keywords, `&`).
* `parse_command_summary(argv)`: `ParsedCommand`s (read / list_files / search / unknown).
"""

from __future__ import annotations

import re
import shlex
from pathlib import PurePosixPath
from typing import NamedTuple

from agent.protocol.events import ParsedCommand

ALWAYS_SAFE = frozenset(
    {"cat", "cd", "echo", "false", "grep", "head", "ls", "nl", "pwd", "tail", "true", "wc", "which"}
)
UNSAFE_FIND_OPTIONS = frozenset(
    {"-exec", "-execdir", "-ok", "-okdir", "-delete", "-fls", "-fprint", "-fprint0", "-fprintf"}
)
UNSAFE_RG_FLAGS = frozenset({"--search-zip", "-z"})
UNSAFE_RG_OPTIONS_WITH_VALUE = ("--pre", "--hostname-bin")
SAFE_GIT_SUBCOMMANDS = frozenset({"branch", "status", "log", "diff", "show"})
UNSAFE_GIT_FLAGS = frozenset({"--output", "--ext-diff", "--textconv", "--exec", "--paginate"})
READ_ONLY_GIT_BRANCH_FLAGS = frozenset(
    {"--list", "-l", "--show-current", "-a", "--all", "-r", "--remotes", "-v", "-vv", "--verbose"}
)
SHELLS = frozenset({"bash", "zsh", "sh"})
SHELL_FLAGS = frozenset({"-lc", "-c"})
_SED_RANGE = re.compile(r"[0-9]+(,[0-9]+)?p")


def is_known_safe_command(argv: list[str]) -> bool:
    """True when the command only reads (spec §7.6 checks A and B); `zsh` counts as `bash`."""
    argv = ["bash" if arg == "zsh" else arg for arg in argv]
    if _safe_to_exec(argv):
        return True
    commands = shell_script_commands(argv)
    return bool(commands) and all(_safe_to_exec(cmd) for cmd in commands)


def command_might_be_dangerous(argv: list[str]) -> bool:
    """True for `git reset|rm`, `rm -f|-rf`, `sudo` of those, also inside a plain shell script."""
    if _dangerous_to_exec(argv):
        return True
    commands = shell_script_commands(argv)
    return bool(commands) and any(_dangerous_to_exec(cmd) for cmd in commands)


def shell_script_commands(argv: list[str]) -> list[list[str]] | None:
    """The commands of `[bash|zsh|sh, -lc|-c, SCRIPT]` when SCRIPT is plain, else None."""
    if len(argv) != 3 or _exe_name(argv[0]) not in SHELLS or argv[1] not in SHELL_FLAGS:
        return None
    return split_plain_script(argv[2])


# ---------------------------------------------------------------- check A and danger


def _exe_name(arg0: str) -> str:
    return PurePosixPath(arg0).name if arg0 else ""


def _safe_to_exec(argv: list[str]) -> bool:
    if not argv:
        return False
    name, args = _exe_name(argv[0]), argv[1:]
    if name in ALWAYS_SAFE:
        return True
    if name == "find":
        return not any(arg in UNSAFE_FIND_OPTIONS for arg in args)
    if name == "rg":
        return not any(_unsafe_rg_arg(arg) for arg in args)
    if name == "git":
        return _safe_git(args)
    if name == "cargo":
        return args[:1] == ["check"]
    if name == "sed":
        return len(argv) <= 4 and args[:1] == ["-n"] and len(args) >= 2 and bool(_SED_RANGE.fullmatch(args[1]))
    return False


def _unsafe_rg_arg(arg: str) -> bool:
    if arg in UNSAFE_RG_FLAGS:
        return True
    return any(arg == opt or arg.startswith(opt + "=") for opt in UNSAFE_RG_OPTIONS_WITH_VALUE)


def _safe_git(args: list[str]) -> bool:
    """`git branch|status|log|diff|show` (the subcommand must come first), without flags
    that write files or run external programs; `git branch` only when it lists."""
    if not args or args[0] not in SAFE_GIT_SUBCOMMANDS:
        return False
    rest = args[1:]
    if any(a in UNSAFE_GIT_FLAGS or a.startswith(("--output=", "--exec=")) for a in rest):
        return False
    if args[0] == "branch" and rest:
        return all(a in READ_ONLY_GIT_BRANCH_FLAGS or a.startswith("--format=") for a in rest)
    return True


def _dangerous_to_exec(argv: list[str]) -> bool:
    if not argv:
        return False
    arg0, second = argv[0], argv[1] if len(argv) > 1 else None
    if arg0.endswith("git"):
        return second in ("reset", "rm")
    if _exe_name(arg0) == "rm":
        return second in ("-f", "-rf", "-fr", "-Rf", "-fR")
    if _exe_name(arg0) == "sudo":
        return _dangerous_to_exec(argv[1:])
    return False


# ---------------------------------------------------------------- plain scripts


class _Word(NamedTuple):
    text: str
    """The argument after quote removal."""
    raw: str
    """The source text."""
    bare: bool
    """No quotes anywhere in it."""


RESERVED_WORDS = frozenset(
    {"if", "then", "else", "elif", "fi", "case", "esac", "for", "select", "while", "until", "do", "done",
     "function", "time", "coproc", "in", "!", "[[", "]]", "{", "}"}
)
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\+?=")
_FORBIDDEN_BARE = frozenset("<>()$`\\{}")
_WORD_END = frozenset(" \t\n;|&")
_BINARY_OPS = ("&&", "||", "|")


def split_plain_script(script: str) -> list[list[str]] | None:
    """The commands of a plain script, in order; None if it is not plain (see module doc).

    An empty script gives []."""
    parts = _split_with_ops(script)
    return None if parts is None else [words for _, words in parts]


def _split_with_ops(script: str) -> list[tuple[str, list[str]]] | None:
    """Commands with the operator that precedes each ("" for the first or after `;`)."""
    tokens = _tokenize(script)
    if tokens is None:
        return None
    out: list[tuple[str, list[str]]] = []
    current: list[str] = []
    before, last_op = "", ""
    for token in tokens:
        if isinstance(token, _Word):
            if not current and not _valid_command_head(token):
                return None
            current.append(token.text)
            continue
        if current:
            out.append((before, current))
            current, last_op = [], token
            before = token if token in _BINARY_OPS else ""
        elif token != "\n":
            return None
    if current:
        out.append((before, current))
    elif last_op in _BINARY_OPS:
        return None
    return out


def _valid_command_head(word: _Word) -> bool:
    if word.bare and word.text in RESERVED_WORDS:
        return False
    return not _ASSIGNMENT.match(word.raw)


def _tokenize(script: str) -> list[_Word | str] | None:
    """Words and operators (`&&`, `||`, `;`, `|`, `\\n`); None on anything not plain."""
    tokens: list[_Word | str] = []
    i, n = 0, len(script)
    while i < n:
        ch, two = script[i], script[i : i + 2]
        if ch in " \t":
            i += 1
        elif two in ("&&", "||"):
            tokens.append(two)
            i += 2
        elif two in (";;", ";&", "|&") or ch in "&#":
            return None
        elif ch in ";|\n":
            tokens.append(ch)
            i += 1
        else:
            word, i = _read_word(script, i)
            if word is None:
                return None
            tokens.append(word)
    return tokens


def _read_word(script: str, i: int) -> tuple[_Word | None, int]:
    start, parts, bare = i, [], True
    while i < len(script) and script[i] not in _WORD_END:
        ch = script[i]
        if ch in "'\"":
            end = script.find(ch, i + 1)
            if end < 0:
                return None, i
            body = script[i + 1 : end]
            if ch == '"' and any(c in body for c in "$`\\"):
                return None, i
            parts.append(body)
            bare, i = False, end + 1
        elif ch in _FORBIDDEN_BARE:
            return None, i
        else:
            parts.append(ch)
            i += 1
    return _Word("".join(parts), script[start:i], bare), i


# ---------------------------------------------------------------- summaries for display

_HELPERS_AFTER_PIPE = frozenset({"wc", "tr", "cut", "sort", "uniq", "column", "head", "tail", "nl", "sed"})
_HEAD_TAIL_VALUE_FLAGS = frozenset({"-n", "-c", "--lines", "--bytes"})
_NL_VALUE_FLAGS = frozenset({"-b", "-d", "-f", "-h", "-i", "-l", "-n", "-s", "-v", "-w"})
_LS_VALUE_FLAGS = frozenset({"-I", "--ignore", "-w", "--width", "-T", "--tabsize", "--hide", "--sort", "--format"})
_GREP_VALUE_FLAGS = frozenset(
    {"-e", "--regexp", "-f", "--file", "-A", "-B", "-C", "--after-context", "--before-context", "--context",
     "-m", "--max-count", "-d", "-D", "--include", "--exclude", "--exclude-dir", "--label", "--color", "--colour"}
)
_RG_VALUE_FLAGS = frozenset(
    {"-e", "--regexp", "-f", "--file", "-g", "--glob", "--iglob", "-t", "--type", "-T", "--type-not", "-A", "-B",
     "-C", "--after-context", "--before-context", "--context", "-m", "--max-count", "-j", "--threads", "-M",
     "--max-columns", "-d", "--max-depth", "-E", "--encoding", "--sort", "--sortr", "--color", "--colors", "-r",
     "--replace", "--type-add", "--ignore-file", "--pre", "--pre-glob", "--path-separator", "--max-filesize",
     "--engine", "--hostname-bin", "--context-separator", "--field-match-separator", "--field-context-separator"}
)


def parse_command_summary(argv: list[str]) -> list[ParsedCommand]:
    """What a command does, for display: plain shell scripts are summarised per command
    (`cd` and formatting helpers after a pipe are left out); other scripts are `unknown`."""
    if len(argv) == 3 and _exe_name(argv[0]) in SHELLS and argv[1] in SHELL_FLAGS:
        parts = _split_with_ops(argv[2])
        if not parts:
            return [ParsedCommand(type="unknown", cmd=argv[2])]
        kept = [words for op, words in parts if not _is_noise(op, words)] or [w for _, w in parts]
        return [_summarize(words) for words in kept]
    return [_summarize(argv)]


def _is_noise(op: str, words: list[str]) -> bool:
    name = _exe_name(words[0])
    if name == "cd":
        return True
    if op != "|" or name not in _HELPERS_AFTER_PIPE:
        return False
    return name in ("wc", "tr", "cut", "sort", "uniq", "column") or _read_target(words) is None


def _summarize(argv: list[str]) -> ParsedCommand:
    cmd = shlex.join(argv)
    if not argv:
        return ParsedCommand(type="unknown", cmd=cmd)
    name = _exe_name(argv[0])
    target = _read_target(argv)
    if target is not None:
        return ParsedCommand(type="read", cmd=cmd, name=PurePosixPath(target).name or target)
    if name == "ls":
        ops = _operands(argv[1:], _LS_VALUE_FLAGS)
        return ParsedCommand(type="list_files", cmd=cmd, path=ops[0] if ops else None)
    if name == "find":
        first = argv[1] if len(argv) > 1 else None
        path = first if first and not first.startswith(("-", "(", "!")) else None
        return ParsedCommand(type="list_files", cmd=cmd, path=path)
    if name in ("rg", "grep"):
        return _search_summary(cmd, name, argv[1:])
    return ParsedCommand(type="unknown", cmd=cmd)


def _read_target(argv: list[str]) -> str | None:
    """The file a cat/head/tail/nl/`sed -n Np` command reads, when it reads exactly one."""
    name, args = _exe_name(argv[0]), argv[1:]
    if name == "sed":
        if len(args) == 3 and args[0] == "-n" and _SED_RANGE.fullmatch(args[1]):
            return args[2]
        return None
    flags = {"cat": frozenset(), "head": _HEAD_TAIL_VALUE_FLAGS, "tail": _HEAD_TAIL_VALUE_FLAGS, "nl": _NL_VALUE_FLAGS}
    if name not in flags:
        return None
    ops = _operands(args, flags[name])
    return ops[0] if len(ops) == 1 else None


def _search_summary(cmd: str, name: str, args: list[str]) -> ParsedCommand:
    if name == "rg" and ("--files" in args):
        ops = _operands([a for a in args if a != "--files"], _RG_VALUE_FLAGS)
        return ParsedCommand(type="list_files", cmd=cmd, path=ops[0] if ops else None)
    value_flags = _RG_VALUE_FLAGS if name == "rg" else _GREP_VALUE_FLAGS
    query = _explicit_pattern(args)
    ops = _operands(args, value_flags)
    if query is None and ops:
        query, ops = ops[0], ops[1:]
    return ParsedCommand(type="search", cmd=cmd, query=query, path=ops[0] if ops else None)


def _explicit_pattern(args: list[str]) -> str | None:
    for i, arg in enumerate(args):
        if arg in ("-e", "--regexp") and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith("--regexp="):
            return arg.split("=", 1)[1]
    return None


def _operands(args: list[str], value_flags: frozenset[str]) -> list[str]:
    """Non-option arguments, skipping the values of options that take one."""
    out: list[str] = []
    skip = False
    for i, arg in enumerate(args):
        if skip:
            skip = False
        elif arg == "--":
            return out + args[i + 1 :]
        elif arg.startswith("-") and arg != "-":
            skip = arg in value_flags
        else:
            out.append(arg)
    return out
