"""Codex exec-policy rules (`*.rules` files): read as data, matched against commands.

    rules = parse_rules(text, source)         # tuple[Rule, ...]; RulesError: `FILE:LINE: what`
    RuleSet(rules).evaluate(argv)             # RuleDecision (allow | prompt | forbidden) or None

parse.py reads the Starlark subset as literals only (never executed); normalize.py finds
every form of every command an argv may run (wrappers, paths, shell scripts);
ruleset.py decides (strictest rule wins; allow only for commands as written).
"""

from __future__ import annotations

from .parse import MAX_FILE_BYTES, RulesError, parse_rules
from .rule import Decision, Rule, RuleDecision
from .ruleset import RuleSet

__all__ = ["MAX_FILE_BYTES", "Decision", "Rule", "RuleDecision", "RuleSet", "RulesError", "parse_rules"]
