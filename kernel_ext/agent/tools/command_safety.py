"""Which commands are "known safe" or "might be dangerous" (spec §7.6), and display summaries.

Pure functions over argv lists. The argv is the model's, so it is treated as hostile:

* `is_known_safe_command(argv)`: a direct read-only command (check A), or a
  `bash|zsh|sh -lc|-c SCRIPT` whose plain script holds only such commands (check B).
  Codex's rules, stricter where Codex is loose:
  - only a bare program name (no `/`) qualifies: `./tools/cat`, `bin/ls`, `/usr/bin/git`
    may be anything; `cargo check` is not safe (it runs build scripts);
  - `sed` only as `sed -n N[,M]p [FILE]`, FILE not starting with `-`;
  - `find` without any action that writes, deletes or runs (`-exec*`, `-ok*`, `-delete`,
    `-fprint*`, `-fls`, matched by prefix);
  - `rg` without `--pre`, `--hostname-bin`, `--search-zip` (or an abbreviation of one) and
    without `z` in a short-option cluster (`-nz`);
  - `git branch|status|log|diff|show` as the *first* argument (no global options such as
    `-c`, `-C`, `--git-dir`, `-p`), without `--output`, `--ext-diff`, `--textconv`,
    `--exec`, `--paginate`, `--show-signature` (or an abbreviation git would accept) or
    a short `-o…`; `git branch` only with listing flags;
  - in a script, an unquoted glob (`*`, `?`, `[`) may expand to a file named like an
    option, so it is only accepted for the always-safe programs, which have no option
    that writes or runs anything.
* `command_might_be_dangerous(argv)`: deletes or discards work. `rm` with a force or
  recursive flag in any spelling or position (`-r -f`, `--recursive`, `--forc`, `x -rf`),
  `shred`; `git reset|rm|clean|restore|filter-branch`, `git checkout -f|--|.`,
  `git push --force|--delete|+ref|:ref`, `git branch -d|-D`, `git stash drop|clear`,
  `git reflog expire|delete`, after any global options (`git -C . reset`); `find -delete`
  or `find -exec|-ok` of a deleter; anything under a wrapper (`sudo`, `env`, `nice`,
  `timeout`, `xargs`, `nohup`, `busybox`, ...; `xargs rm` of any kind); and the same in
  a shell script, plain or not (a non-plain script is split loosely at `;`, `&`, `|`,
  parentheses, `$(` and backquotes; nested shells are followed a few levels deep).
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
"""Programs with no option that writes a file or runs another program."""
UNSAFE_FIND_PREFIXES = ("-exec", "-ok", "-delete", "-fprint", "-fls")
UNSAFE_RG_LONG = ("--pre", "--hostname-bin", "--search-zip")
SAFE_GIT_SUBCOMMANDS = frozenset({"branch", "status", "log", "diff", "show"})
UNSAFE_GIT_LONG = ("--output", "--ext-diff", "--textconv", "--exec", "--paginate", "--show-signature")
READ_ONLY_GIT_BRANCH_FLAGS = frozenset(
    {"--list", "-l", "--show-current", "-a", "--all", "-r", "--remotes", "-v", "-vv", "--verbose"}
)
SHELLS = frozenset({"bash", "zsh", "sh"})
SHELL_FLAGS = frozenset({"-lc", "-c"})
GLOB_CHARS = frozenset("*?[")
_SED_RANGE = re.compile(r"[0-9]+(,[0-9]+)?p")


def is_known_safe_command(argv: list[str]) -> bool:
    """True when the command only reads (spec §7.6 checks A and B, stricter: see module doc)."""
    if argv[:1] == ["zsh"]:
        argv = ["bash", *argv[1:]]
    if _safe_to_exec(argv):
        return True
    commands = _plain_script_words(argv)
    return bool(commands) and all(_safe_script_command(words) for words in commands)


def command_might_be_dangerous(argv: list[str]) -> bool:
    """True when the command may delete or discard work (see module doc); generous on purpose."""
    return _dangerous(argv, mass=False, depth=0)


def invoked_programs(argv: list[str]) -> list[str]:
    """The program names a command starts directly: argv[0], and for a plain shell
    script every command's first word (to check where PATH resolves them)."""
    commands = _plain_script_words(argv) or []
    return [argv[0], *(words[0].text for words in commands)] if argv else []


def _plain_script_words(argv: list[str]) -> list[list[_Word]] | None:
    """The commands of `[bash|zsh|sh, -lc|-c, SCRIPT]` when SCRIPT is plain, else None."""
    if len(argv) != 3 or argv[0] not in SHELLS or argv[1] not in SHELL_FLAGS:
        return None
    parts = _split_with_ops(argv[2])
    return None if parts is None else [words for _, words in parts]


# ---------------------------------------------------------------- check A


def _exe_name(arg0: str) -> str:
    return PurePosixPath(arg0).name if arg0 else ""


def _is_bare(name: str) -> bool:
    """A program name PATH resolves (no directory part), not a file the repository holds."""
    return bool(name) and "/" not in name


def _safe_script_command(words: list[_Word]) -> bool:
    if words[0].text not in ALWAYS_SAFE and any(w.bare and GLOB_CHARS & set(w.text) for w in words):
        return False
    return _safe_to_exec([w.text for w in words])


def _safe_to_exec(argv: list[str]) -> bool:
    if not argv or not _is_bare(argv[0]):
        return False
    name, args = argv[0], argv[1:]
    if name in ALWAYS_SAFE:
        return True
    if name == "find":
        return not any(arg.startswith(UNSAFE_FIND_PREFIXES) for arg in args)
    if name == "rg":
        return not any(_unsafe_rg_arg(arg) for arg in args)
    if name == "git":
        return _safe_git(args)
    if name == "sed":
        return _safe_sed(args)
    return False


def _abbreviates(arg: str, options: tuple[str, ...]) -> bool:
    """`arg` (`--name` or `--name=value`) is one of `options` or a prefix of one, as
    getopt_long, git's parse-options and friends accept."""
    name = arg.split("=", 1)[0]
    return len(name) > 2 and any(option.startswith(name) for option in options)


def _short_cluster(arg: str) -> str:
    """The letters of a short-option cluster (`-nz` -> `nz`), or ""."""
    return arg[1:] if arg.startswith("-") and not arg.startswith("--") else ""


def _unsafe_rg_arg(arg: str) -> bool:
    return _abbreviates(arg, UNSAFE_RG_LONG) if arg.startswith("--") else "z" in _short_cluster(arg)


def _safe_git(args: list[str]) -> bool:
    """`git branch|status|log|diff|show` (the subcommand must come first), without flags
    that write files or run external programs; `git branch` only when it lists."""
    if not args or args[0] not in SAFE_GIT_SUBCOMMANDS:
        return False
    rest = args[1:]
    if any(_abbreviates(a, UNSAFE_GIT_LONG) if a.startswith("--") else a.startswith("-o") for a in rest):
        return False
    if args[0] == "branch" and rest:
        return all(a in READ_ONLY_GIT_BRANCH_FLAGS or a.startswith("--format=") for a in rest)
    return True


def _safe_sed(args: list[str]) -> bool:
    """Exactly `sed -n N[,M]p [FILE]`: no other option, script or command can slip in."""
    if len(args) not in (2, 3) or args[0] != "-n" or not _SED_RANGE.fullmatch(args[1]):
        return False
    return len(args) == 2 or not args[2].startswith("-")


# ---------------------------------------------------------------- dangerous commands

WRAPPERS = frozenset(
    {"sudo", "doas", "env", "nice", "ionice", "nohup", "timeout", "stdbuf", "time", "command", "exec", "builtin",
     "setsid", "chrt", "taskset", "busybox", "unbuffer", "then", "do", "else", "elif", "if", "while", "until",
     "!", "{", "(", "watch", "strace", "ltrace"}
)
"""Run the rest of their argv (or a suffix of it) as a command."""
MASS_WRAPPERS = frozenset({"xargs", "parallel"})
"""Run a command over many files: any deleter under them is dangerous."""
SHELL_NAMES = frozenset({"bash", "zsh", "sh", "dash", "ksh", "mksh", "fish"})
DELETERS = frozenset({"rm", "unlink", "rmdir", "shred"})
RM_DANGEROUS_LONG = ("--force", "--recursive", "--no-preserve-root")
GIT_VALUE_OPTIONS = frozenset({"-C", "-c", "--git-dir", "--work-tree", "--namespace", "--config-env", "--super-prefix"})
GIT_DISCARDING = frozenset({"reset", "rm", "clean", "restore", "filter-branch", "filter-repo"})
FIND_EXEC = frozenset({"-exec", "-execdir", "-ok", "-okdir"})
MAX_DEPTH = 4


def _dangerous(argv: list[str], *, mass: bool, depth: int) -> bool:
    if not argv or depth > MAX_DEPTH:
        return False
    name, args = _exe_name(argv[0]), argv[1:]
    if name in SHELL_NAMES:
        return any(_dangerous_script(arg, depth + 1) for arg in args if not arg.startswith("-"))
    if name in WRAPPERS or name in MASS_WRAPPERS or _ASSIGNMENT.match(argv[0]):
        inner_mass = mass or name in MASS_WRAPPERS
        return any(_dangerous(argv[i:], mass=inner_mass, depth=depth + 1) for i in range(1, len(argv)))
    if name in DELETERS:
        return mass or name == "shred" or (name == "rm" and _rm_destructive(args))
    if name == "git":
        return _git_discards(args)
    if name == "find":
        return _find_deletes(args, depth)
    return False


def _rm_destructive(args: list[str]) -> bool:
    """`-f`/`-r`/`-R` anywhere in a cluster, or `--force`/`--recursive` (abbreviated too),
    in any position before `--` (GNU rm takes options after operands)."""
    for arg in args:
        if arg == "--":
            return False
        if arg.startswith("--") and _abbreviates(arg, RM_DANGEROUS_LONG):
            return True
        if set(_short_cluster(arg)) & set("frR"):
            return True
    return False


def _git_subcommand(args: list[str]) -> tuple[str | None, list[str]]:
    """The subcommand after git's global options (`-C DIR`, `-c K=V`, `--git-dir=X`, ...)."""
    i = 0
    while i < len(args):
        if args[i] in GIT_VALUE_OPTIONS:
            i += 2
        elif args[i].startswith("-"):
            i += 1
        else:
            return args[i], args[i + 1 :]
    return None, []


def _git_discards(args: list[str]) -> bool:
    sub, rest = _git_subcommand(args)
    if sub in GIT_DISCARDING:
        return True
    if sub == "checkout":
        return any(a in ("-f", "--force", "--", ".") for a in rest)
    if sub == "push":
        return any(a.startswith(("--force", "--delete", "--mirror", "--prune", "+")) or a == "-d"
                   or "f" in _short_cluster(a) or (a.startswith(":") and len(a) > 1) for a in rest)
    if sub == "branch":
        return any(a in ("--delete", "--force") or set(_short_cluster(a)) & set("dDf") for a in rest)
    if sub == "stash":
        return rest[:1] in (["drop"], ["clear"])
    if sub == "reflog":
        return rest[:1] in (["expire"], ["delete"])
    return False


def _find_deletes(args: list[str], depth: int) -> bool:
    for i, arg in enumerate(args):
        if arg == "-delete":
            return True
        if arg in FIND_EXEC:
            command = []
            for word in args[i + 1 :]:
                if word in (";", "+"):
                    break
                command.append(word)
            if _dangerous(command, mass=True, depth=depth + 1):
                return True
    return False


def _dangerous_script(script: str, depth: int) -> bool:
    return any(_dangerous(command, mass=False, depth=depth) for command in _loose_commands(script, depth))


def loose_script_commands(script: str) -> list[list[str]]:
    """The commands of any shell script, approximately (over-splits rather than misses)."""
    return _loose_commands(script, 0)


def _loose_commands(script: str, depth: int) -> list[list[str]]:
    """The commands of any shell script, approximately: split at operators, parentheses,
    `$(` and backquotes; a quoted word holding `$(` or a backquote is split again."""
    plain = split_plain_script(script)
    if plain is not None:
        return plain
    lexer = shlex.shlex(script.replace("`", " ; ").replace("$(", " ; "), posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    try:
        tokens = list(lexer)
    except ValueError:
        tokens = script.split()
    commands: list[list[str]] = [[]]
    for token in tokens:
        if token and set(token) <= set("();<>|&"):
            commands.append([])
            continue
        if " ; " in token and depth < MAX_DEPTH:  # a substitution inside double quotes
            commands.extend(_loose_commands(token, depth + 1))
            commands.append([])
            continue
        commands[-1].append(token)
    return [command for command in commands if command]


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
    return None if parts is None else [[w.text for w in words] for _, words in parts]


def _split_with_ops(script: str) -> list[tuple[str, list[_Word]]] | None:
    """Commands with the operator that precedes each ("" for the first or after `;`)."""
    tokens = _tokenize(script)
    if tokens is None:
        return None
    out: list[tuple[str, list[_Word]]] = []
    current: list[_Word] = []
    before, last_op = "", ""
    for token in tokens:
        if isinstance(token, _Word):
            if not current and not _valid_command_head(token):
                return None
            current.append(token)
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
        commands = [(op, [w.text for w in words]) for op, words in parts]
        kept = [words for op, words in commands if not _is_noise(op, words)] or [w for _, w in commands]
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
