"""Recognising apply_patch calls in a command's argv (spec §5.4)."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.tools.patch.invocation import (
    IMPLICIT_INVOCATION_MESSAGE,
    NOT_APPLY_PATCH,
    ApplyPatchInvocation,
    ApplyPatchParseError,
    NotApplyPatch,
    maybe_parse_apply_patch,
)
from agent.tools.patch.parser import AddFile

CWD = Path("/work/repo")
PATCH = "*** Begin Patch\n*** Add File: a.txt\n+hello\n*** End Patch"
HUNKS = [AddFile("a.txt", "hello\n")]


def parse(argv: list[str]):
    return maybe_parse_apply_patch(argv, CWD)


@pytest.mark.parametrize("cmd", ["apply_patch", "applypatch"])
def test_direct_invocation(cmd):
    result = parse([cmd, PATCH])
    assert result == ApplyPatchInvocation(PATCH, HUNKS, CWD)


def test_direct_invocation_with_heredoc_text_is_lenient():
    result = parse(["apply_patch", f"<<'EOF'\n{PATCH}\nEOF\n"])
    assert isinstance(result, ApplyPatchInvocation) and result.hunks == HUNKS


@pytest.mark.parametrize("script", [
    f"apply_patch <<'EOF'\n{PATCH}\nEOF",
    f"apply_patch <<'EOF'\n{PATCH}\nEOF\n",
    f"apply_patch <<\"EOF\"\n{PATCH}\nEOF\n  \n",
    f"apply_patch <<EOF\n{PATCH}\nEOF\n",
    f"apply_patch << 'PATCH_END'\n{PATCH}\nPATCH_END\n",
    f"applypatch<<EOF\n{PATCH}\nEOF",
    f"  apply_patch <<'EOF'\n{PATCH}\nEOF\n",
])
@pytest.mark.parametrize("shell, flag", [("bash", "-lc"), ("bash", "-c"), ("zsh", "-lc"), ("sh", "-c"), ("/bin/bash", "-lc")])
def test_shell_heredoc(shell, flag, script):
    result = parse([shell, flag, script])
    assert isinstance(result, ApplyPatchInvocation), result
    assert (result.hunks, result.cwd) == (HUNKS, CWD)
    assert result.patch.strip() == PATCH


@pytest.mark.parametrize("cd, workdir", [
    ("sub", CWD / "sub"),
    ("'dir with spaces'", CWD / "dir with spaces"),
    ('"quoted"', CWD / "quoted"),
    ("../other", Path("/work/other")),
    ("/abs/dir", Path("/abs/dir")),
])
def test_cd_then_apply_patch(cd, workdir):
    result = parse(["bash", "-lc", f"cd {cd} && apply_patch <<'EOF'\n{PATCH}\nEOF\n"])
    assert isinstance(result, ApplyPatchInvocation), result
    assert (result.hunks, result.cwd) == (HUNKS, workdir)


def test_powershell_and_cmd_forms():
    script = f"apply_patch <<'EOF'\n{PATCH}\nEOF\n"
    for argv in (["pwsh", "-Command", script], ["powershell.exe", "-NoProfile", "-Command", script],
                 ["cmd", "/c", script]):
        assert isinstance(parse(argv), ApplyPatchInvocation), argv


@pytest.mark.parametrize("argv", [
    ["ls", "-la"],
    ["bash", "-lc", "ls -la"],
    ["bash", "-lc", f"echo x; apply_patch <<'EOF'\n{PATCH}\nEOF\n"],
    ["bash", "-lc", f"apply_patch <<'EOF'\n{PATCH}\nEOF\n&& echo done"],
    ["bash", "-lc", f"apply_patch <<'EOF'\n{PATCH}\nEOF\necho done\n"],
    ["bash", "-lc", f"cd sub; apply_patch <<'EOF'\n{PATCH}\nEOF\n"],
    ["bash", "-lc", f"cd a b && apply_patch <<'EOF'\n{PATCH}\nEOF\n"],
    ["bash", "-lc", f"cd $HOME && apply_patch <<'EOF'\n{PATCH}\nEOF\n"],
    ["bash", "-lc", f"cd sub || apply_patch <<'EOF'\n{PATCH}\nEOF\n"],
    ["bash", "-lc", f"apply_patch <<'EOF'\n{PATCH}\n"],  # unterminated heredoc
    ["bash", "-lc", f"apply_patch '{PATCH}'"],
    ["bash", "-x", f"apply_patch <<'EOF'\n{PATCH}\nEOF\n"],
    ["fish", "-c", f"apply_patch <<'EOF'\n{PATCH}\nEOF\n"],
    ["apply_patch"],
    ["apply_patch", PATCH, "extra"],
    ["python", "-c", "print(1)"],
    [],
])
def test_not_apply_patch(argv):
    assert parse(argv) == NOT_APPLY_PATCH
    assert isinstance(parse(argv), NotApplyPatch)


@pytest.mark.parametrize("argv", [[PATCH], ["bash", "-lc", PATCH], ["sh", "-c", PATCH + "\n"]])
def test_bare_patch_needs_an_explicit_call(argv):
    result = parse(argv)
    assert result == ApplyPatchParseError("implicit", IMPLICIT_INVOCATION_MESSAGE)
    assert result.message == 'patch detected without explicit call to apply_patch. Rerun as ["apply_patch", "<patch>"]'


def test_parse_errors_are_reported():
    bad = "*** Begin Patch\n*** Frobnicate File: x\n*** End Patch"
    for argv in (["apply_patch", bad], ["bash", "-lc", f"apply_patch <<'EOF'\n{bad}\nEOF\n"]):
        result = parse(argv)
        assert isinstance(result, ApplyPatchParseError) and result.kind == "patch"
        assert result.message.startswith("invalid hunk at line 2, '*** Frobnicate File: x' is not a valid hunk header.")
        assert result.error is not None and result.error.line_number == 2
    result = parse(["apply_patch", "not a patch"])
    assert result.message == "invalid patch: The first line of the patch must be '*** Begin Patch'"


def test_a_non_patch_single_word_is_just_a_command():
    assert parse(["ls"]) == NOT_APPLY_PATCH
