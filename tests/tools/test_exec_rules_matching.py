"""Deciding commands with exec-policy rules (agent.tools.exec_rules.ruleset / normalize).

Invariants: the model's wrapping never evades a `forbidden` / `prompt` rule (shell
scripts, absolute paths, wrappers, assignments, git's global options, substitutions),
every sub-command of a script is checked, an unparseable script that mentions a rule's
program (or starts a program named at run time) is at least `prompt`, and wrappers never
widen an `allow`. Each attack is paired with a legitimate control.
"""

from __future__ import annotations

import pytest

from agent.tools.exec_rules import RuleSet, parse_rules

RULES = RuleSet(parse_rules('''
prefix_rule(pattern=["git", "push"], decision="forbidden", justification="Use the review flow")
prefix_rule(pattern=["rm"], decision="prompt", justification="deleting files")
prefix_rule(pattern=["git", ["status", "log"]], decision="allow")
''', "/etc/kernel-agent/rules/team.rules"))


def decide(*argv: str):
    found = RULES.evaluate(list(argv))
    return None if found is None else found.decision


@pytest.mark.parametrize("attack", [
    ["git", "push"],
    ["/usr/bin/git", "push", "origin"],
    ["./git", "push"],
    ["bash", "-lc", "git push"],
    ["/bin/sh", "-c", "git status && git push"],
    ["bash", "-c", "git status; git push"],
    ["bash", "-c", "git status | git push"],
    ["bash", "-c", "false || git push"],
    ["zsh", "-xc", "git push"],
    ["bash", "--norc", "-o", "pipefail", "-c", "git push"],
    ["bash", "-lc", "bash -c 'git push'"],
    ["bash", "-c", "echo $(git push)"],
    ["bash", "-c", "echo \"`git push`\""],
    ["bash", "-c", "cd x && { git push; }"],
    ["bash", "-c", "FOO=1 git push"],
    ["bash", "-lc", "exec git push"],
    ["env", "git", "push"],
    ["env", "-i", "A=1", "B=2", "/usr/bin/git", "push"],
    ["env", "-u", "HOME", "git", "push"],
    ["env", "-S", "git push"],
    ["/usr/bin/env", "git", "push"],
    ["command", "-p", "git", "push"],
    ["exec", "-a", "x", "git", "push"],
    ["nice", "-n", "10", "git", "push"],
    ["nice", "git", "push"],
    ["nohup", "git", "push"],
    ["timeout", "5", "git", "push"],
    ["timeout", "-s", "KILL", "--kill-after", "3", "5s", "git", "push"],
    ["time", "-p", "git", "push"],
    ["stdbuf", "-oL", "-e", "0", "git", "push"],
    ["sudo", "git", "push"],
    ["sudo", "-u", "root", "-E", "--", "git", "push"],
    ["sudo", "HOME=/x", "git", "push"],
    ["xargs", "-n", "1", "git", "push"],
    ["xargs", "sh", "-c", "git push"],
    ["setsid", "nohup", "nice", "git", "push"],
    ["watch", "-n", "1", "git push"],
    ["strace", "-f", "-o", "/dev/null", "git", "push"],
    ["git", "-C", "..", "push"],
    ["git", "-c", "core.pager=cat", "--no-pager", "push"],
])
def test_forbidden_survives_wrapping(attack):
    """Attack: `git push` wrapped every way the model might. Each is forbidden, and the
    message names the rule."""
    found = RULES.evaluate(attack)
    assert found is not None and found.decision == "forbidden", attack
    assert found.message() == "execpolicy forbids this command: Use the review flow (rule /etc/kernel-agent/rules/team.rules:2)"


@pytest.mark.parametrize("control, expected", [
    (["git", "status"], "allow"),
    (["git", "log", "--oneline"], "allow"),
    (["bash", "-lc", "git status && git log"], "allow"),
    (["git", "pushx"], None),
    (["gitx", "push"], None),
    (["echo", "git", "push"], None),          # git push is an argument, not a command
    (["bash", "-lc", "echo 'git push'"], None),
    (["ls", "-la"], None),
    (["timeout", "5", "make", "test"], None),
    (["env", "A=1", "make"], None),
])
def test_controls_keep_working(control, expected):
    """Control: commands that are not `git push` are decided by their own rule or none."""
    assert decide(*control) == expected


def test_every_sub_command_must_be_allowed():
    """Attack: an allowed command chained with an unmatched one is not allowed as a whole
    (the approval policy decides); chained with a prompt one it asks."""
    assert decide("bash", "-lc", "git status && make deploy") is None
    assert decide("bash", "-lc", "git status && rm -r build") == "prompt"
    assert decide("bash", "-lc", "git status") == "allow"


def test_wrappers_and_paths_never_widen_an_allow():
    """Attack: `sudo git status`, a planted `./git status` or `env git status` are not
    covered by the allow of `git status`: the approval policy decides them. Control:
    `git status` itself is allowed."""
    assert decide("sudo", "git", "status") is None
    assert decide("./git", "status") is None
    assert decide("env", "git", "status") is None
    assert decide("git", "status") == "allow"


def test_unparseable_scripts_that_mention_a_rule_ask():
    """Attack: a script the plain parser rejects, hiding `rm` behind quoting or expansion,
    or a program named at run time. Each is at least prompt, with a reason. Control: an
    unparseable script mentioning no rule's program is left to the policy."""
    for script in ['r"m" -f x > /dev/null', "for f in *; do rm $f; done", "g$X push", 'eval "$CMD"', "$(echo rm) x"]:
        found = RULES.evaluate(["bash", "-c", script])
        assert found is not None and found.decision in ("prompt", "forbidden"), script
    found = RULES.evaluate(["bash", "-c", "g$X status"])
    assert found.unparsed == "starts a program named at run time ('g$X')"
    assert found.message().startswith("execpolicy requires approval: the shell script could not be parsed and starts")
    assert RULES.evaluate(["bash", "-c", "for f in *.py; do python $f; done > out.txt"]) is None


def test_strictest_rule_wins_and_first_loaded_breaks_ties():
    """Invariant: forbidden > prompt > allow, whatever the order; among equals the first."""
    rules = RuleSet(parse_rules('prefix_rule(pattern=["git"], decision="allow")\n'
                                'prefix_rule(pattern=["git", "push"], decision="prompt", justification="a")\n'
                                'prefix_rule(pattern=["git", "push"], decision="prompt", justification="b")\n'
                                'prefix_rule(pattern=["git", "push", "-f"], decision="forbidden")\n', "o.rules"))
    assert rules.evaluate(["git", "push", "-f"]).rule.line == 4
    assert rules.evaluate(["git", "push"]).rule.justification == "a"
    assert rules.evaluate(["git", "fetch"]).decision == "allow"
    assert RuleSet().evaluate(["git", "push"]) is None
