"""`kernel-agent rules check FILE...` and `kernel-agent rules test [-c k=v] -- CMD...`.

`check` reads each `.rules` file as a session would (parse, verify every `match` /
`not_match` example) and prints one line per rule, `FILE:LINE DECISION PATTERN:
JUSTIFICATION`, or the file's error on stderr; exit 1 when any file has an error.
`test` loads the configured rules like a session (the system folder's, then the home's)
and prints which rule decides CMD, after normalisation (wrappers, absolute paths,
`bash -lc` scripts): `forbidden by FILE:LINE (pattern git push): Use the review flow`,
or `no rule matches: the approval policy decides`; `--json` for scripts.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from agent.core.api import CliOverrides, ConfigError, load_config, read_rules_file

NO_RULE = "no rule matches: the approval policy decides"


def add_rules_commands(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    rules = sub.add_parser("rules", help="check exec-policy .rules files and test commands against them")
    actions = rules.add_subparsers(dest="rules_command", metavar="ACTION", required=True)
    check = actions.add_parser("check", help="parse .rules files and verify their examples")
    check.add_argument("files", nargs="+", metavar="FILE")
    check.set_defaults(func=run_check)
    test = actions.add_parser("test", parents=[parent], help="show which rule decides a command",
                              usage="kernel-agent rules test [-c KEY=VALUE] [--json] -- CMD [ARGS...]")
    test.add_argument("--json", action="store_true", help="print JSON")
    test.add_argument("argv", nargs="+", metavar="CMD")
    test.set_defaults(func=run_test)


def run_check(args: argparse.Namespace) -> int:
    failed = False
    for name in args.files:
        try:
            rules = read_rules_file(Path(name))
        except ConfigError as err:
            print(f"Error: {err}", file=sys.stderr)
            failed = True
            continue
        for rule in rules:
            print(rule.summary())
    return 1 if failed else 0


def run_test(args: argparse.Namespace) -> int:
    try:
        config = load_config(CliOverrides(profile=args.profile, raw=list(args.raw_overrides)))
    except ConfigError as err:
        print(f"Error: {err}", file=sys.stderr)
        return 1
    decision = config.exec_rules.evaluate(list(args.argv))
    if args.json:
        print(json.dumps(_as_json(args.argv, decision)))
        return 0
    if decision is None:
        print(NO_RULE)
        return 0
    rule = decision.rule
    tail = f": {rule.justification}" if rule.justification else ""
    print(f"{decision.decision} by {rule.where()} (pattern {rule.pattern_text()}){tail}")
    if decision.unparsed:
        print(f"  the shell script could not be parsed and {decision.unparsed}")
    elif list(decision.command) != list(args.argv):
        print(f"  matched as: {' '.join(decision.command)}")
    return 0


def _as_json(argv: list[str], decision: Any) -> dict[str, Any]:
    if decision is None:
        return {"command": argv, "decision": None, "rule": None, "matched": None, "unparsed": None}
    rule = decision.rule
    return {
        "command": argv, "decision": decision.decision, "matched": list(decision.command), "unparsed": decision.unparsed,
        "rule": {"file": rule.source, "line": rule.line, "pattern": [list(a) for a in rule.pattern],
                 "decision": rule.decision, "justification": rule.justification},
    }
