"""Reading Codex `.rules` files as data (agent.tools.exec_rules.parse).

Invariants: only `prefix_rule(...)` calls with literal keyword arguments are accepted;
anything executable or computed is refused with one line naming file, line and what;
`match` / `not_match` examples are verified at load and a failing one rejects the file.
"""

from __future__ import annotations

import pytest

from agent.tools.exec_rules import MAX_FILE_BYTES, RulesError, parse_rules

GOOD = '''# the team's rules
prefix_rule(
    pattern = ["git", ["push", "fetch"]],   # alternatives
    decision = "forbidden",
    justification = 'Use the review flow',
    match = ["git push origin main", ["git", "fetch"]],
    not_match = ["git status", "gitx push"],
)

prefix_rule(pattern=["npm", "publish"], decision="prompt",)
prefix_rule(pattern=[r"ls"])
'''


def test_a_literal_file_is_read_in_order():
    """Control: comments, trailing commas, both quote styles, raw strings, alternatives,
    a default decision of allow."""
    rules = parse_rules(GOOD, "team.rules")
    assert [(r.line, r.decision, r.pattern_text()) for r in rules] == [
        (2, "forbidden", "git [push|fetch]"), (10, "prompt", "npm publish"), (11, "allow", "ls")]
    assert rules[0].justification == "Use the review flow" and rules[1].justification is None
    assert rules[0].summary() == "team.rules:2 forbidden git [push|fetch]: Use the review flow"


@pytest.mark.parametrize("text, what", [
    ('x = ["git"]', "only prefix_rule(...) calls are allowed, not assign syntax"),
    ('load("//x.star", "y")', "only prefix_rule(...) calls are allowed, not a call of the name 'load'"),
    ('host_executable(name="git", paths=["/usr/bin/git"])', "not a call of the name 'host_executable'"),
    ('__import__("os").system("id")', "not a call of attribute syntax"),
    ('prefix_rule(pattern=["git"], decision=DECISION)', "decision: only string literals and lists are allowed, not the name 'DECISION'"),
    ('prefix_rule(pattern=["g" + "it"])', "pattern: only string literals and lists are allowed, not binop syntax"),
    ('prefix_rule(pattern=[f"{x}"])', "not joinedstr syntax"),
    ('prefix_rule(pattern=["git" "push"])', "adjacent string literals"),
    ('prefix_rule(pattern=[b"git"])', "not a bytes literal"),
    ('prefix_rule(pattern=[1])', "not a int literal"),
    ('prefix_rule(pattern=["git"], decision=open("/etc/passwd").read())', "not call syntax"),
    ('prefix_rule(["git"])', "keyword arguments only"),
    ('prefix_rule(pattern=["git"], **opts)', "unknown argument '**'"),
    ('prefix_rule(pattern=["git"], action="x")', "unknown argument 'action'"),
    ('prefix_rule(decision="allow")', "needs a pattern"),
    ('prefix_rule(pattern=[])', "non-empty list"),
    ('prefix_rule(pattern=["git", []])', "non-empty string or a non-empty list"),
    ('prefix_rule(pattern=["git"], decision="deny")', "decision must be one of allow, prompt, forbidden, not 'deny'"),
    ('prefix_rule(pattern=["git"], justification=["a"])', "justification must be a string"),
    ('prefix_rule(pattern=["git"], match=["git \'unterminated"])', "No closing quotation"),
    ('prefix_rule(pattern=["git"]', "syntax error"),
    ('prefix_rule(pattern=["git"], pattern=["ls"])', "argument 'pattern' given twice"),
    ('prefix_rule(pattern=["git"]) if True else None', "not ifexp syntax"),
])
def test_anything_but_literal_prefix_rules_is_refused(text, what):
    """Attack: code, names, computed values or unknown arguments in a rules file. Each is
    a one-line error naming file and line; nothing is evaluated."""
    with pytest.raises(RulesError) as err:
        parse_rules("# header\n" + text + "\n", "/etc/kernel-agent/rules/x.rules")
    message = str(err.value)
    assert "\n" not in message and message.startswith("/etc/kernel-agent/rules/x.rules:2: "), message
    assert what in message


def test_match_examples_are_verified():
    """Invariant: a `match` example the rule does not match, or a `not_match` example it
    does, rejects the file naming the example. Control: correct examples load."""
    with pytest.raises(RulesError, match=r"^r.rules:1: match example 'git status' does not match the pattern git push$"):
        parse_rules('prefix_rule(pattern=["git", "push"], match=["git status"])', "r.rules")
    with pytest.raises(RulesError, match=r"^r.rules:1: not_match example 'git push -f' matches the pattern git push$"):
        parse_rules('prefix_rule(pattern=["git", "push"], not_match=[["git", "push", "-f"]])', "r.rules")
    assert len(parse_rules('prefix_rule(pattern=["git", "push"], match=["git push -f"], not_match=["git"])', "r.rules")) == 1


def test_size_limit():
    """Invariant: an oversized file is refused before parsing. Control: an empty file is no rules."""
    with pytest.raises(RulesError, match="larger than"):
        parse_rules("#" * (MAX_FILE_BYTES + 1), "big.rules")
    assert parse_rules("", "empty.rules") == ()


def test_deep_nesting_is_an_error_not_a_crash():
    """Attack: a pathologically nested list. One line, no traceback."""
    with pytest.raises(RulesError):
        parse_rules("prefix_rule(pattern=" + "[" * 5000 + "]" * 5000 + ")", "deep.rules")
