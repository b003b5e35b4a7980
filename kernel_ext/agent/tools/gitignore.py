"""gitignore matching for the workspace snapshot (the rules of gitignore(5)).

`parse_rules(text, base)` turns one ignore file into `Rule`s whose patterns are relative
to `base` (the folder holding the file, relative to the workspace root, "" for the root).
`is_ignored(rules, path, is_dir)` applies a stack of them — `.git/info/exclude`, then the
root `.gitignore`, then each nested one, in walk order — to a root-relative path: the
last rule that matches decides, `!` re-includes. A folder that is ignored is not entered,
so (as in git) nothing below it can be re-included.

Supported: comments (`#`), `\\#` / `\\!` escapes, trailing spaces (unless escaped), `!`
negation, a trailing `/` (folders only), anchoring (a `/` at the start or in the middle
makes the pattern relative to `base`, else it matches the name at any depth), `*`, `?`,
`[...]`, and `**` (leading `**/`, trailing `/**`, inner `/**/`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    base: str
    """The folder of the ignore file, root-relative ("" for the root), no trailing /."""
    regex: re.Pattern[str]
    negated: bool
    dir_only: bool
    anchored: bool

    def matches(self, path: str, is_dir: bool, name: str = "") -> bool:
        if self.dir_only and not is_dir:
            return False
        if self.base:
            if not path.startswith(self.base + "/"):
                return False
            if self.anchored:
                path = path[len(self.base) + 1:]
        subject = path if self.anchored else (name or path.rsplit("/", 1)[-1])
        # git also tries a folder as `name/` (so `a/**` and `a/*` ignore folder `a` itself)
        return self.regex.fullmatch(subject) is not None or (is_dir and self.regex.fullmatch(subject + "/") is not None)


def parse_rules(text: str, base: str = "") -> list[Rule]:
    rules = []
    for line in text.splitlines():
        rule = _parse_line(line, base)
        if rule is not None:
            rules.append(rule)
    return rules


def is_ignored(rules: list[Rule], path: str, is_dir: bool, name: str = "") -> bool:
    """`name`: the last component of `path`, when the caller has it at hand."""
    for rule in reversed(rules):
        if rule.matches(path, is_dir, name):
            return not rule.negated
    return False


class Matcher:
    """`is_ignored` for a walk, faster: every rule's base is a prefix of the paths it is
    asked about (the walk adds a folder's rules only below that folder). Without `!`
    rules the name patterns are joined into one regex each; with them, rule by rule."""

    def __init__(self, rules: list[Rule]):
        self.rules = rules
        self.simple = not any(r.negated for r in rules)
        self.names = _union([r for r in rules if not r.anchored and not r.dir_only])
        self.dir_names = _union([r for r in rules if not r.anchored and r.dir_only])
        self.anchored = [r for r in rules if r.anchored]

    def ignored(self, path: str, is_dir: bool, name: str) -> bool:
        if not self.simple:
            return is_ignored(self.rules, path, is_dir, name)
        if self.names is not None and self.names.fullmatch(name):
            return True
        if is_dir:
            for regex in (self.names, self.dir_names):
                if regex is not None and (regex.fullmatch(name) or regex.fullmatch(name + "/")):
                    return True
        return bool(self.anchored) and any(r.matches(path, is_dir, name) for r in self.anchored)


def file_check(matcher: Matcher):
    """The quickest `(name, path) -> ignored?` for files: one regex when only name patterns
    apply; None when nothing can match a file."""
    if matcher.simple and not matcher.anchored:
        if matcher.names is None:
            return None
        match = matcher.names.fullmatch
        return lambda name, path: match(name) is not None
    return lambda name, path: matcher.ignored(path, False, name)


def _union(rules: list[Rule]) -> re.Pattern[str] | None:
    if not rules:
        return None
    return re.compile("|".join(f"(?:{r.regex.pattern})" for r in rules), re.DOTALL)


def _parse_line(line: str, base: str) -> Rule | None:
    line = _strip_trailing_spaces(line)
    if not line or line.startswith("#"):
        return None
    negated = line.startswith("!")
    if negated:
        line = line[1:]
    elif line.startswith("\\!") or line.startswith("\\#"):
        line = line[1:]
    dir_only = line.endswith("/")
    line = line.rstrip("/")
    if not line:
        return None
    anchored = "/" in line
    line = line.lstrip("/")
    if line.startswith("**/") and "/" not in line[3:]:  # `**/name`: the name at any depth
        anchored, line = False, line[3:]
    regex = re.compile(_translate(line), re.DOTALL)
    return Rule(base, regex, negated, dir_only, anchored)


def _strip_trailing_spaces(line: str) -> str:
    stripped = line.rstrip(" ")
    if stripped.endswith("\\") and len(stripped) < len(line):
        return stripped[:-1] + " "
    return stripped


def _translate(pattern: str) -> str:
    """A regex for a gitignore glob (the whole path relative to the rule's base)."""
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        if pattern.startswith("**/", i) and (i == 0 or pattern[i - 1] == "/"):
            out.append("(?:.*/)?")  # zero or more folders
            i += 3
        elif pattern.startswith("/**", i) and i + 3 == n:
            out.append("/.*")  # everything inside
            i += 3
        elif pattern.startswith("**", i) and (i + 2 == n) and (i == 0 or pattern[i - 1] == "/"):
            out.append(".*")
            i += 2
        else:
            i = _translate_char(pattern, i, out)
    return "".join(out)


def _translate_char(pattern: str, i: int, out: list[str]) -> int:
    char = pattern[i]
    if char == "*":
        out.append("[^/]*")
    elif char == "?":
        out.append("[^/]")
    elif char == "[":
        end = _class_end(pattern, i)
        if end < 0:
            out.append(re.escape(char))
        else:
            body = pattern[i + 1:end]
            if body.startswith("!"):
                body = "^" + body[1:]
            out.append("(?!/)[" + body.replace("\\", "\\\\") + "]")
            return end + 1
    elif char == "\\" and i + 1 < len(pattern):
        out.append(re.escape(pattern[i + 1]))
        return i + 2
    else:
        out.append(re.escape(char))
    return i + 1


def _class_end(pattern: str, start: int) -> int:
    j = start + 1
    if j < len(pattern) and pattern[j] in "!^":
        j += 1
    if j < len(pattern) and pattern[j] == "]":
        j += 1
    end = pattern.find("]", j)
    return end
