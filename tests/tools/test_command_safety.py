"""Command-safety classifiers (spec §7.6), the plain-script splitter and display summaries."""

from __future__ import annotations

import pytest

from agent.protocol.events import ParsedCommand
from agent.tools.command_safety import (
    command_might_be_dangerous,
    is_known_safe_command,
    parse_command_summary,
    split_plain_script,
)

SAFE = [
    ["ls"],
    ["ls", "-la", "/tmp"],
    ["cat", "README.md"],
    ["cd", "src"],
    ["echo", "hello"],
    ["false"],
    ["true"],
    ["grep", "-rn", "TODO", "."],
    ["head", "-n", "5", "a.txt"],
    ["tail", "-f", "log.txt"],
    ["nl", "-ba", "x.py"],
    ["pwd"],
    ["wc", "-l", "x"],
    ["which", "python"],
    ["find", ".", "-name", "*.py"],
    ["find", "src", "-type", "f", "-newer", "x"],
    ["rg", "needle", "-n"],
    ["rg", "--files"],
    ["git", "status"],
    ["git", "log", "--oneline", "-5"],
    ["git", "diff", "HEAD~1"],
    ["git", "show", "HEAD"],
    ["git", "branch"],
    ["git", "branch", "--show-current"],
    ["sed", "-n", "10p", "file.txt"],
    ["sed", "-n", "1,5p", "file.txt"],
    ["sed", "-n", "3p"],
    ["bash", "-lc", "ls"],
    ["bash", "-lc", "ls && cat x"],
    ["bash", "-c", "ls -la | wc -l"],
    ["bash", "-lc", "git status; git diff || true"],
    ["zsh", "-lc", "ls"],
    ["zsh", "-lc", "grep -n 'foo bar' x.py"],
    ["sh", "-c", 'echo "hello world"'],
    ["bash", "-lc", "find . -name '*.py' | head -n 20"],
    ["bash", "-lc", "sed -n 1,20p a.txt && nl -ba b.txt"],
    ["bash", "-lc", "ls *.py"],
    ["bash", "-lc", "cat a\ncat b"],
    ["bash", "-lc", "ls;"],
]

UNSAFE = [
    [],
    ["rm", "x"],
    ["python", "x.py"],
    ["touch", "x"],
    ["find", ".", "-delete"],
    ["find", ".", "-name", "x", "-exec", "rm", "{}", ";"],
    ["find", ".", "-execdir", "python3", "{}", ";"],
    ["find", ".", "-ok", "rm", "{}", ";"],
    ["find", ".", "-okdir", "rm", "{}", ";"],
    ["find", ".", "-fls", "/etc/passwd"],
    ["find", ".", "-fprint", "out"],
    ["find", ".", "-fprint0", "out"],
    ["find", ".", "-fprintf", "out", "%p"],
    ["rg", "--search-zip", "x"],
    ["rg", "-z", "x"],
    ["rg", "--pre", "pwned", "x"],
    ["rg", "--pre=pwned", "x"],
    ["rg", "--hostname-bin", "pwned", "x"],
    ["rg", "--hostname-bin=pwned", "x"],
    ["git", "fetch"],
    ["git", "push"],
    ["git", "checkout", "status"],
    ["git", "reset", "--hard"],
    ["git", "branch", "-D", "main"],
    ["git", "branch", "new-branch"],
    ["git", "log", "--output=/tmp/x"],
    ["git", "diff", "--ext-diff"],
    ["cargo", "build"],
    ["sed", "-i", "s/a/b/", "f"],
    ["sed", "-n", "xp", "f"],
    ["sed", "-n", "1,2,3p", "f"],
    ["sed", "-n", "1p", "a", "b"],
    ["bash", "-lc", "ls > out"],
    ["bash", "-lc", "cat < in"],
    ["bash", "-lc", "ls && rm -rf x"],
    ["bash", "-lc", "echo $HOME"],
    ["bash", "-lc", 'echo "$HOME"'],
    ["bash", "-lc", "echo `id`"],
    ["bash", "-lc", "echo $(id)"],
    ["bash", "-lc", "(ls)"],
    ["bash", "-lc", "{ ls; }"],
    ["bash", "-lc", "ls &"],
    ["bash", "-lc", "ls & rm x"],
    ["bash", "-lc", "FOO=1 ls"],
    ["bash", "-lc", "ls # comment"],
    ["bash", "-lc", "ls \\\n -l"],
    ["bash", "-lc", "if true; then ls; fi"],
    ["bash", "-lc", "ls &&"],
    ["bash", "-lc", "&& ls"],
    ["bash", "-lc", "ls ;; ls"],
    ["bash", "-lc", "ls |& cat"],
    ["bash", "-lc", "echo 'unterminated"],
    ["bash", "-lc", ""],
    ["bash", "-lc", "ls", "extra"],
    ["bash", "-x", "ls"],
    ["fish", "-c", "ls"],
    ["bash", "-lc", "find . -delete"],
    # Stricter than Codex: a path-qualified program may be a repository script.
    ["/bin/ls", "-l"],
    ["./tools/cat", "README"],
    ["/usr/bin/git", "status"],
    ["/bin/bash", "-lc", "pwd"],
    ["bash", "-lc", "./tools/cat README"],
    # ... and `cargo check` runs build scripts.
    ["cargo", "check"],
]


@pytest.mark.parametrize("argv", SAFE, ids=lambda a: " ".join(a))
def test_known_safe(argv):
    assert is_known_safe_command(argv) is True


@pytest.mark.parametrize("argv", UNSAFE, ids=lambda a: " ".join(a) or "<empty>")
def test_not_known_safe(argv):
    assert is_known_safe_command(argv) is False


DANGEROUS = [
    ["git", "reset", "--hard"],
    ["git", "reset"],
    ["git", "rm", "x"],
    ["/usr/bin/git", "reset", "HEAD~1"],
    ["rm", "-f", "x"],
    ["rm", "-rf", "/"],
    ["/bin/rm", "-rf", "build"],
    ["sudo", "rm", "-rf", "/"],
    ["sudo", "git", "reset", "--hard"],
    ["sudo", "sudo", "rm", "-f", "x"],
    ["bash", "-lc", "git reset --hard"],
    ["bash", "-lc", "ls && rm -rf build"],
    ["zsh", "-c", "sudo rm -f x"],
    ["sh", "-lc", "echo hi; git rm -r src"],
    # Broader than Codex: flags anywhere, any spelling; non-plain scripts too.
    ["rm", "x", "-rf"],
    ["rm", "-r", "x"],
    ["bash", "-lc", "rm -rf x > /dev/null"],
]

NOT_DANGEROUS = [
    [],
    ["ls"],
    ["rm", "x"],
    ["git", "status"],
    ["git", "commit", "-m", "rm"],
    ["sudo", "ls"],
    ["echo", "rm", "-rf", "/"],
    ["bash", "-lc", "ls && cat x"],
    ["bash", "-lc", "echo 'rm -rf /'"],
    ["rm", "--", "-rf"],
]


@pytest.mark.parametrize("argv", DANGEROUS, ids=lambda a: " ".join(a))
def test_dangerous(argv):
    assert command_might_be_dangerous(argv) is True


@pytest.mark.parametrize("argv", NOT_DANGEROUS, ids=lambda a: " ".join(a) or "<empty>")
def test_not_dangerous(argv):
    assert command_might_be_dangerous(argv) is False


@pytest.mark.parametrize(
    ("script", "commands"),
    [
        ("", []),
        ("ls", [["ls"]]),
        ("ls -la && cat 'a b' || echo \"c d\"", [["ls", "-la"], ["cat", "a b"], ["echo", "c d"]]),
        ("a | b ; c", [["a"], ["b"], ["c"]]),
        ("echo 'it''s'", [["echo", "its"]]),
        ("grep -g\"*.rs\" x", [["grep", "-g*.rs", "x"]]),
        ("echo ''", [["echo", ""]]),
        ("ls &&\n  cat x\n", [["ls"], ["cat", "x"]]),
        ("echo 'a;b|c&&d $x'", [["echo", "a;b|c&&d $x"]]),
        ("echo a=b --x=1", [["echo", "a=b", "--x=1"]]),
        ("head -n 10 x.txt", [["head", "-n", "10", "x.txt"]]),
        ("ls > out", None),
        ("ls 2>&1", None),
        ("echo $x", None),
        ("echo ${x}", None),
        ('echo "a\\"b"', None),
        ("echo a{b,c}", None),
        ("x=1", None),
        ("while true; do ls; done", None),
        ("! ls", None),
        ("ls; ; ls", None),
        ("| ls", None),
        ("ls |", None),
    ],
)
def test_split_plain_script(script, commands):
    assert split_plain_script(script) == commands


def pc(kind: str, cmd: str, **kw: str | None) -> ParsedCommand:
    return ParsedCommand(type=kind, cmd=cmd, **kw)


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["cat", "src/main.py"], [pc("read", "cat src/main.py", name="main.py")]),
        (["head", "-n", "50", "a.txt"], [pc("read", "head -n 50 a.txt", name="a.txt")]),
        (["tail", "-5", "log/x.log"], [pc("read", "tail -5 log/x.log", name="x.log")]),
        (["sed", "-n", "1,20p", "b.rs"], [pc("read", "sed -n 1,20p b.rs", name="b.rs")]),
        (["nl", "-ba", "c.py"], [pc("read", "nl -ba c.py", name="c.py")]),
        (["ls", "-la", "src"], [pc("list_files", "ls -la src", path="src")]),
        (["ls"], [pc("list_files", "ls")]),
        (["find", ".", "-name", "*.py"], [pc("list_files", "find . -name '*.py'", path=".")]),
        (["rg", "--files", "src"], [pc("list_files", "rg --files src", path="src")]),
        (["rg", "-n", "needle", "src"], [pc("search", "rg -n needle src", query="needle", path="src")]),
        (["rg", "-g", "*.py", "-e", "x"], [pc("search", "rg -g '*.py' -e x", query="x")]),
        (["grep", "-rn", "TODO", "."], [pc("search", "grep -rn TODO .", query="TODO", path=".")]),
        (["python", "x.py"], [pc("unknown", "python x.py")]),
        (["cat", "a", "b"], [pc("unknown", "cat a b")]),
        (
            ["bash", "-lc", "cd src && rg -n foo | head -n 5"],
            [pc("search", "rg -n foo", query="foo")],
        ),
        (
            ["bash", "-lc", "ls && cat x.txt"],
            [pc("list_files", "ls"), pc("read", "cat x.txt", name="x.txt")],
        ),
        (["bash", "-lc", "cat a.txt | wc -l"], [pc("read", "cat a.txt", name="a.txt")]),
        (["bash", "-lc", "cd src"], [pc("unknown", "cd src")]),
        (["bash", "-lc", "ls > out.txt"], [pc("unknown", "ls > out.txt")]),
    ],
)
def test_parse_command_summary(argv, expected):
    assert parse_command_summary(argv) == expected

