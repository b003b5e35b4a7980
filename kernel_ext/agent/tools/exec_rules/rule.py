"""One exec-policy rule and the result of deciding a command with rules.

A `Rule` is data read from a Codex `.rules` file: `pattern` is a tuple of positions,
each a tuple of the words accepted there (alternatives); the rule matches a command
whose first `len(pattern)` words are accepted, position by position (a prefix match).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Literal

Decision = Literal["allow", "prompt", "forbidden"]
DECISIONS: tuple[Decision, ...] = ("allow", "prompt", "forbidden")
STRICTNESS = {"allow": 0, "prompt": 1, "forbidden": 2}


@dataclass(frozen=True)
class Rule:
    pattern: tuple[tuple[str, ...], ...]
    decision: Decision
    justification: str | None
    source: str
    """The file the rule came from."""
    line: int

    def matches(self, words: list[str] | tuple[str, ...]) -> bool:
        """True when `words` starts with the pattern (each word one of its position's alternatives)."""
        return len(words) >= len(self.pattern) and all(w in alts for w, alts in zip(words, self.pattern))

    def pattern_text(self) -> str:
        """The pattern as a person reads it: `git push`, `git [push|fetch]`."""
        return " ".join(shlex.quote(a[0]) if len(a) == 1 else "[" + "|".join(a) + "]" for a in self.pattern)

    def where(self) -> str:
        return f"{self.source}:{self.line}"

    def summary(self) -> str:
        """One line: `FILE:LINE decision pattern: justification`."""
        tail = f": {self.justification}" if self.justification else ""
        return f"{self.where()} {self.decision} {self.pattern_text()}{tail}"


@dataclass(frozen=True)
class RuleDecision:
    """What the rules decide for a command: the strictest matching rule and the command
    (after normalisation) it matched. `unparsed` is set when the decision comes from a
    shell script that could not be split into plain commands: it says why the script
    needs a look (`mentions 'git'`, `starts a program named at run time ('g$X')`)."""

    decision: Decision
    rule: Rule
    command: tuple[str, ...]
    unparsed: str | None = None

    def message(self) -> str:
        """The text the model and the user see: a refusal (`forbidden`) or the approval reason."""
        why = self.rule.justification or f"matches {self.rule.pattern_text()}"
        where = f"(rule {self.rule.where()})"
        if self.decision == "forbidden":
            return f"execpolicy forbids this command: {why} {where}"
        if self.unparsed:
            return (f"execpolicy requires approval: the shell script could not be parsed and {self.unparsed}; "
                    f"{why} {where}")
        return f"execpolicy requires approval for this command: {why} {where}"
