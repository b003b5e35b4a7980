"""Deciding a command with the loaded rules (Codex semantics, hardened).

    RuleSet(rules).evaluate(argv) -> RuleDecision | None    # None: the approval policy decides

* `forbidden` / `prompt`: a rule matching ANY form of ANY command the argv may run
  (normalise.command_forms: wrappers, absolute paths, `bash -lc` scripts, ...). The
  strictest decision wins (forbidden > prompt); among equals, the first rule loaded.
* `allow`: only when every command as written (the argv, or each command of a plain
  shell script) matches an `allow` rule and nothing stricter matched: wrappers and paths
  never widen an allow (`sudo git status` is not allowed by an allow of `git status`).
* A shell script that cannot be split into plain commands is at least `prompt` when it
  mentions, as a word, the program of a `prompt` / `forbidden` rule, or starts a program
  whose name is only known at run time (`$X`, `eval`, `source`) while such rules exist.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from .normalize import ASSIGNMENT, CommandForms, command_forms
from .rule import STRICTNESS, Rule, RuleDecision

RUN_TIME_PROGRAMS = frozenset({"eval", "source", "."})
LEADING_KEYWORDS = frozenset({"if", "then", "else", "elif", "while", "until", "do", "!", "{", "(", "time"})
_WORDS = re.compile(r"[A-Za-z0-9_.+/-]+")


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...] = ()
    _by_program: dict[str, tuple[Rule, ...]] = field(init=False, repr=False, compare=False, hash=False)
    """First word -> the rules whose pattern may start with it, in load order (a rule only
    matches a command whose first word is one of its first position's alternatives)."""

    def __post_init__(self) -> None:
        index: dict[str, list[Rule]] = {}
        for rule in self.rules:
            for word in dict.fromkeys(rule.pattern[0]):
                index.setdefault(word, []).append(rule)
        object.__setattr__(self, "_by_program", {word: tuple(rules) for word, rules in index.items()})

    def __bool__(self) -> bool:
        return bool(self.rules)

    def _candidates(self, words: list[str] | tuple[str, ...]) -> tuple[Rule, ...]:
        return self._by_program.get(words[0], ()) if words else ()

    def evaluate(self, argv: list[str]) -> RuleDecision | None:
        """See the module doc."""
        if not self.rules or not argv:
            return None
        forms = command_forms(argv)
        best = None
        for words in forms.derived:
            for rule in self._candidates(words):
                if rule.decision != "allow" and rule.matches(words):
                    best = _stricter(best, RuleDecision(rule.decision, rule, words))
        if forms.unparsed_scripts:
            best = _stricter(best, self._unparsed(forms))
            return best
        return best or self._allowed(forms)

    def _allowed(self, forms: CommandForms) -> RuleDecision | None:
        decisions = []
        for words in forms.literal:
            rule = next((r for r in self._candidates(words) if r.decision == "allow" and r.matches(words)), None)
            if rule is None:
                return None
            decisions.append(RuleDecision("allow", rule, words))
        return decisions[0] if decisions else None

    def _unparsed(self, forms: CommandForms) -> RuleDecision | None:
        strict = [r for r in self.rules if r.decision != "allow"]
        if not strict:
            return None
        for script in forms.unparsed_scripts:
            words = _script_words(script)
            for rule in strict:
                hit = next((w for w in rule.pattern[0] if w in words), None)
                if hit is not None:
                    return RuleDecision("prompt", rule, (hit,), unparsed=f"mentions {hit!r}")
            head = _run_time_program(script)
            if head is not None:
                return RuleDecision("prompt", strict[0], (head,),
                                    unparsed=f"starts a program named at run time ({head!r})")
        return None


def _stricter(a: RuleDecision | None, b: RuleDecision | None) -> RuleDecision | None:
    if a is None or (b is not None and STRICTNESS[b.decision] > STRICTNESS[a.decision]):
        return b
    return a


def _script_words(script: str) -> set[str]:
    """Every word-like piece of a script, with quotes removed where shlex can, and basenames."""
    pieces = set(_WORDS.findall(script))
    lexer = shlex.shlex(script, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    try:
        pieces.update(lexer)
    except ValueError:
        pass
    return pieces | {PurePosixPath(p).name for p in pieces if p}


def _run_time_program(script: str) -> str | None:
    """The first command head of a loosely split script that is only known at run time."""
    from ..command_safety import loose_script_commands

    for words in loose_script_commands(script):
        i = 0
        while i < len(words) and (words[i] in LEADING_KEYWORDS or ASSIGNMENT.match(words[i])):
            i += 1
        if i < len(words) and (words[i] in RUN_TIME_PROGRAMS or any(c in words[i] for c in "$`")):
            return words[i]
    return None
