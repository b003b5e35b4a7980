"""Exec-policy rules: loading a 200-rule file and deciding commands, vs the approval check alone.

Loading: `parse_rules` (ast.parse of the Starlark subset, literal checks, every match /
not_match example verified) of a generated file of 200 `prefix_rule`s, each with two
examples, vs `ast.parse` of the same text alone (the parse we build on). Deciding: the
command normalisation and matching a session does for every shell call (`RuleSet.evaluate`)
on a mix of plain commands, wrapped ones (`env`, absolute paths) and `bash -lc` scripts,
vs the approval check every call already pays (`exec_requirement` without a rule, which
parses the same scripts for the known-safe list). Samples alternate, the order rotating.
"""

from __future__ import annotations

import ast
import time

from .report import interleaved, median, row

RULES = 200
ROUNDS = 7
COMMANDS = [
    ["git", "status"],
    ["git", "push", "origin", "main"],
    ["/usr/bin/git", "-C", "repo", "push"],
    ["env", "A=1", "npm", "publish"],
    ["bash", "-lc", "cd src && make test && git push origin HEAD | tee log.txt"],
    ["bash", "-lc", "for f in *.csv; do wc -l \"$f\"; done"],
    ["python3", "-c", "print(1)"],
    ["ls", "-la"],
]


def rules_text() -> str:
    tools = ["git", "npm", "pip", "docker", "kubectl", "terraform", "make", "cargo", "rm", "curl"]
    out = []
    for i in range(RULES):
        tool, verb = tools[i % len(tools)], f"verb{i}"
        decision = ("allow", "prompt", "forbidden")[i % 3]
        out.append(
            f"prefix_rule(\n    pattern = [\"{tool}\", [\"{verb}\", \"{verb}x\"]],\n    decision = \"{decision}\",\n"
            f"    justification = \"rule {i}\",\n    match = [\"{tool} {verb} a\", [\"{tool}\", \"{verb}x\"]],\n"
            f"    not_match = [\"{tool} other{i}\"],\n)\n"
        )
    out.append('prefix_rule(pattern = ["git", "push"], decision = "forbidden", justification = "review flow")\n')
    return "".join(out)


def _timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def run() -> None:
    from agent.protocol.policy import WorkspaceWrite
    from agent.tools.approval_rules import exec_requirement
    from agent.tools.exec_rules import RuleSet, parse_rules

    text = rules_text()
    rules = parse_rules(text, "bench.rules")
    assert len(rules) == RULES + 1
    ruleset = RuleSet(rules)
    assert ruleset.evaluate(["bash", "-lc", "make && git push"]).decision == "forbidden"
    policy = WorkspaceWrite()

    def decide_all() -> None:
        for argv in COMMANDS:
            ruleset.evaluate(argv)

    def check_all() -> None:
        for argv in COMMANDS:
            exec_requirement(argv, "on-request", policy, escalated=False, justification=None, sandbox_available=True)

    samples = interleaved({
        "ast": lambda: _timed(lambda: ast.parse(text)),
        "load": lambda: _timed(lambda: parse_rules(text, "bench.rules")),
        "check": lambda: _timed(lambda: [check_all() for _ in range(20)]),
        "decide": lambda: _timed(lambda: [decide_all() for _ in range(20)]),
    }, ROUNDS)
    ast_t, load_t, check_t, decide_t = (median(samples[k]) for k in ("ast", "load", "check", "decide"))
    per = 20 * len(COMMANDS)
    row(f"ast.parse of a {RULES}-rule file (baseline)", f"{ast_t * 1000:.1f} ms")
    row("parse_rules (checked, examples verified)", f"{load_t * 1000:.1f} ms", load_t / ast_t)
    row("approval check per command (baseline)", f"{check_t / per * 1e6:.0f} us")
    row(f"rules decision per command ({RULES} rules)", f"{decide_t / per * 1e6:.0f} us", decide_t / check_t)
