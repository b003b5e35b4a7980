"""`kernel-agent rules check FILE...` and `kernel-agent rules test -- CMD...` (real CLI runs).

Invariants: `check` prints one line per rule or a one-line error (exit 1), never a
traceback; `test` loads the configured rules like a session (system folder first, then
the home) and names the deciding rule after normalisation; `--json` for scripts.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

TEAM = '''# review flow
prefix_rule(
    pattern = ["git", "push"],
    decision = "forbidden",
    justification = "Use the review flow",
    match = ["git push origin main"],
)
prefix_rule(pattern=["git", "status"], decision="allow")
'''


def cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KERNEL_AGENT")}
    env.update(KERNEL_AGENT_HOME=str(tmp_path / "home"), KERNEL_AGENT_SYSTEM_DIR=str(tmp_path / "system"))
    return subprocess.run([sys.executable, "-m", "agent", "rules", *args], env=env, capture_output=True, text=True,
                          timeout=60, cwd=tmp_path)


def team_file(tmp_path: Path) -> Path:
    folder = tmp_path / "system" / "rules"
    folder.mkdir(parents=True)
    path = folder / "team.rules"
    path.write_text(TEAM)
    return path


def test_check_lists_rules_or_names_the_error(tmp_path):
    good = team_file(tmp_path)
    bad = tmp_path / "bad.rules"
    bad.write_text('prefix_rule(pattern=["git", "push"], not_match=["git push -f"])\n')
    ok = cli(tmp_path, "check", str(good))
    assert ok.returncode == 0 and ok.stdout.splitlines() == [
        f"{good}:2 forbidden git push: Use the review flow", f"{good}:8 allow git status"]
    failed = cli(tmp_path, "check", str(good), str(bad), str(tmp_path / "missing.rules"))
    assert failed.returncode == 1 and len(failed.stdout.splitlines()) == 2
    assert failed.stderr.splitlines() == [
        f"Error: {bad}:1: not_match example 'git push -f' matches the pattern git push",
        f"Error: {tmp_path / 'missing.rules'}: cannot read the rules file: No such file or directory"]


def test_test_names_the_deciding_rule_after_normalisation(tmp_path):
    """Attack: `git push` behind `env` and an absolute path inside `bash -lc`. Control:
    `git status` is allowed, `ls` is left to the policy."""
    team = team_file(tmp_path)
    wrapped = cli(tmp_path, "test", "--", "bash", "-lc", "git status && env A=1 /usr/bin/git push")
    assert wrapped.returncode == 0, wrapped.stderr
    assert wrapped.stdout.splitlines() == [f"forbidden by {team}:2 (pattern git push): Use the review flow",
                                           "  matched as: git push"]
    assert cli(tmp_path, "test", "--", "git", "status").stdout == f"allow by {team}:8 (pattern git status)\n"
    assert cli(tmp_path, "test", "--", "ls").stdout == "no rule matches: the approval policy decides\n"


def test_test_json_and_home_rules(tmp_path):
    team = team_file(tmp_path)
    (tmp_path / "home" / "rules").mkdir(parents=True)
    (tmp_path / "home" / "rules" / "me.rules").write_text('prefix_rule(pattern=["rm"], decision="prompt")\n')
    out = cli(tmp_path, "test", "--json", "--", "sudo", "rm", "-rf", "x")
    assert json.loads(out.stdout) == {
        "command": ["sudo", "rm", "-rf", "x"], "decision": "prompt", "matched": ["rm", "-rf", "x"], "unparsed": None,
        "rule": {"file": str(tmp_path / "home" / "rules" / "me.rules"), "line": 1, "pattern": [["rm"]],
                 "decision": "prompt", "justification": None}}
    none = json.loads(cli(tmp_path, "test", "--json", "--", "ls").stdout)
    assert none["decision"] is None and none["rule"] is None
    assert team.exists()


def test_test_with_a_bad_configured_file_fails_in_one_line(tmp_path):
    team = team_file(tmp_path)
    team.write_text("import os\n")
    out = cli(tmp_path, "test", "--", "ls")
    assert out.returncode == 1 and out.stderr == f"Error: {team}:1: only prefix_rule(...) calls are allowed, not import syntax\n"
