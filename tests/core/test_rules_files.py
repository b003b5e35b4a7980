"""Loading exec-policy rules into the config (agent.core.config.rules_files).

Invariants: the system folder's `rules/*.rules` come first, then the home's, each in name
order; a bad file (syntax, a failing example, not UTF-8, unreadable) stops the config
from loading with one line naming file and line (fail closed); the rules reach the tools
through ExecSettings. Control: no `rules` folders means no rules.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from agent.core.config import CliOverrides, ConfigError, load_config
from agent.core.tool_context import exec_settings_from


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text)
    return path


def load(tmp_path: Path):
    env = {"KERNEL_AGENT_SYSTEM_DIR": str(tmp_path / "system")}
    return load_config(CliOverrides(cwd=str(tmp_path)), home=tmp_path / "home", env=env)


def test_no_rules_folders_mean_no_rules(tmp_path):
    config = load(tmp_path)
    assert not config.exec_rules and config.exec_rules.evaluate(["git", "push"]) is None


def test_system_rules_load_first_and_reach_the_tools(tmp_path):
    """The admin's rule decides a tie; the user's file is loaded too; `.hidden` and other
    suffixes are ignored."""
    system = write(tmp_path / "system" / "rules", "team.rules",
                   'prefix_rule(pattern=["git", "push"], decision="prompt", justification="admin")\n')
    write(tmp_path / "home" / "rules", "a.rules", 'prefix_rule(pattern=["git", "push"], decision="prompt", justification="user")\n'
          'prefix_rule(pattern=["make"], decision="forbidden")\n')
    write(tmp_path / "home" / "rules", "notes.txt", "not rules")
    write(tmp_path / "home" / "rules", ".old.rules", "garbage(")
    config = load(tmp_path)
    assert [r.source for r in config.exec_rules.rules] == [str(system), *[str(tmp_path / "home" / "rules" / "a.rules")] * 2]
    decided = exec_settings_from(config).exec_rules.evaluate(["bash", "-lc", "git push"])
    assert decided.rule.justification == "admin"
    assert config.exec_rules.evaluate(["make", "all"]).decision == "forbidden"


@pytest.mark.parametrize("text, expected", [
    ('prefix_rule(pattern=["git"])\nos.system("x")\n', "bad.rules:2: only prefix_rule(...) calls are allowed"),
    ('prefix_rule(pattern=["git"], match=["ls"])\n', "bad.rules:1: match example 'ls' does not match the pattern git"),
])
def test_a_bad_file_fails_closed(tmp_path, text, expected):
    """Attack/robustness: an admin's file with code or a wrong example. The config does not
    load (the agent does not start), the error is one line. Control: the good file alone loads."""
    write(tmp_path / "system" / "rules", "good.rules", 'prefix_rule(pattern=["ls"])\n')
    bad = write(tmp_path / "system" / "rules", "bad.rules", text)
    with pytest.raises(ConfigError) as err:
        load(tmp_path)
    assert str(err.value).startswith(str(bad.parent)) and expected in str(err.value) and "\n" not in str(err.value)
    bad.unlink()
    assert len(load(tmp_path).exec_rules.rules) == 1


def test_unreadable_or_binary_file_fails_closed(tmp_path):
    bad = write(tmp_path / "home" / "rules", "x.rules", "")
    bad.write_bytes(b"\xff\xfe")
    with pytest.raises(ConfigError, match="not valid UTF-8"):
        load(tmp_path)
    if os.geteuid() != 0:
        bad.write_text("")
        bad.chmod(0)
        with pytest.raises(ConfigError, match="cannot read the rules file"):
            load(tmp_path)
