"""Read a Codex `.rules` file as data: never executed, only a literal subset is accepted.

    parse_rules(text, source) -> tuple[Rule, ...]     # raises RulesError

Accepted: module-level calls `prefix_rule(pattern=[...], decision=..., justification=...,
match=[...], not_match=[...])` with keyword arguments only, whose values are string
literals and lists of them; comments and trailing commas. `pattern` is a non-empty list
whose items are a word or a non-empty list of alternative words; `decision` is "allow"
(the default), "prompt" or "forbidden"; `match` / `not_match` items are a command line
(split like a shell would, with shlex) or a list of words. Every `match` example must
match its rule and no `not_match` example may. Anything else (names, other calls,
assignments, `load`, f-strings, `+`, implicit string concatenation, bytes, numbers) is a
`RulesError` naming the file, the line and what was not allowed.
"""

from __future__ import annotations

import shlex

from .rule import DECISIONS, Rule

MAX_FILE_BYTES = 1 << 20
MAX_RULES_PER_FILE = 10_000
MAX_PATTERN_WORDS = 64
KEYWORDS = frozenset({"pattern", "decision", "justification", "match", "not_match"})


class RulesError(Exception):
    """A `.rules` file that cannot be used; the message is one line `FILE:LINE: what`."""

    def __init__(self, source: str, line: int | None, what: str):
        super().__init__(f"{source}:{line}: {what}" if line else f"{source}: {what}")
        self.source, self.line, self.what = source, line, what


def parse_rules(text: str, source: str) -> tuple[Rule, ...]:
    """The rules of one file, in order (see the module doc)."""
    import ast

    if len(text.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES:
        raise RulesError(source, None, f"file larger than {MAX_FILE_BYTES} bytes")
    try:
        tree = ast.parse(text, filename=source)
    except SyntaxError as err:
        raise RulesError(source, err.lineno, f"syntax error: {err.msg}") from None
    except (ValueError, RecursionError, MemoryError) as err:
        raise RulesError(source, None, f"cannot be parsed: {type(err).__name__}") from None
    _reject_implicit_concatenation(text, source)
    if len(tree.body) > MAX_RULES_PER_FILE:
        raise RulesError(source, None, f"more than {MAX_RULES_PER_FILE} statements")
    return tuple(_rule(statement, source) for statement in tree.body)


def _reject_implicit_concatenation(text: str, source: str) -> None:
    import io
    import tokenize

    previous = None
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type in (tokenize.NL, tokenize.COMMENT):
                continue
            if token.type == tokenize.STRING and previous == tokenize.STRING:
                raise RulesError(source, token.start[0], "adjacent string literals (implicit concatenation) are not allowed")
            previous = token.type
    except tokenize.TokenError:
        pass  # ast.parse accepted the text; nothing more to learn here


def _rule(statement, source: str) -> Rule:
    import ast

    line = getattr(statement, "lineno", None)
    if not isinstance(statement, ast.Expr) or not isinstance(statement.value, ast.Call):
        shown = statement.value if isinstance(statement, ast.Expr) else statement
        raise RulesError(source, line, f"only prefix_rule(...) calls are allowed, not {_describe(shown)}")
    call = statement.value
    if not isinstance(call.func, ast.Name) or call.func.id != "prefix_rule":
        raise RulesError(source, line, f"only prefix_rule(...) calls are allowed, not a call of {_describe(call.func)}")
    if call.args:
        raise RulesError(source, line, "prefix_rule takes keyword arguments only")
    values = {}
    for keyword in call.keywords:
        if keyword.arg not in KEYWORDS:
            name = "**" if keyword.arg is None else keyword.arg
            raise RulesError(source, line, f"unknown argument {name!r} (allowed: {', '.join(sorted(KEYWORDS))})")
        if keyword.arg in values:
            raise RulesError(source, line, f"argument {keyword.arg!r} given twice")
        values[keyword.arg] = _literal(keyword.value, source, keyword.arg)
    return _build(values, source, line)


def _literal(node, source: str, key: str):
    """A string or a (nested) list of strings; anything else is refused."""
    import ast

    if isinstance(node, ast.Constant) and type(node.value) is str:
        return node.value
    if isinstance(node, ast.List):
        return [_literal(item, source, key) for item in node.elts]
    raise RulesError(source, getattr(node, "lineno", None), f"{key}: only string literals and lists are allowed, not {_describe(node)}")


def _describe(node) -> str:
    import ast

    if isinstance(node, ast.Name):
        return f"the name {node.id!r}"
    if isinstance(node, ast.Constant):
        return f"a {type(node.value).__name__} literal"
    return f"{type(node).__name__.lower()} syntax"


def _build(values: dict, source: str, line: int | None) -> Rule:
    if "pattern" not in values:
        raise RulesError(source, line, "prefix_rule needs a pattern")
    decision = values.get("decision", "allow")
    if decision not in DECISIONS:
        raise RulesError(source, line, f"decision must be one of {', '.join(DECISIONS)}, not {decision!r}")
    justification = values.get("justification")
    if justification is not None and not isinstance(justification, str):
        raise RulesError(source, line, "justification must be a string")
    rule = Rule(_pattern(values["pattern"], source, line), decision, justification or None, source, line or 0)
    for example in _examples(values.get("match", []), "match", source, line):
        if not rule.matches(example):
            raise RulesError(source, line, f"match example {shlex.join(example)!r} does not match the pattern {rule.pattern_text()}")
    for example in _examples(values.get("not_match", []), "not_match", source, line):
        if rule.matches(example):
            raise RulesError(source, line, f"not_match example {shlex.join(example)!r} matches the pattern {rule.pattern_text()}")
    return rule


def _pattern(value, source: str, line: int | None) -> tuple[tuple[str, ...], ...]:
    if not isinstance(value, list) or not value:
        raise RulesError(source, line, "pattern must be a non-empty list")
    if len(value) > MAX_PATTERN_WORDS:
        raise RulesError(source, line, f"pattern longer than {MAX_PATTERN_WORDS} words")
    positions = []
    for item in value:
        alternatives = [item] if isinstance(item, str) else item
        if not alternatives or not all(isinstance(a, str) and a for a in alternatives):
            raise RulesError(source, line, "each pattern item must be a non-empty string or a non-empty list of them")
        positions.append(tuple(dict.fromkeys(alternatives)))
    return tuple(positions)


def _examples(value, key: str, source: str, line: int | None) -> list[list[str]]:
    if not isinstance(value, list):
        raise RulesError(source, line, f"{key} must be a list")
    examples = []
    for item in value:
        if isinstance(item, str):
            try:
                words = shlex.split(item)
            except ValueError as err:
                raise RulesError(source, line, f"{key} example {item!r}: {err}") from None
        elif isinstance(item, list) and all(isinstance(w, str) for w in item):
            words = item
        else:
            raise RulesError(source, line, f"{key} items must be a command string or a list of strings")
        if not words:
            raise RulesError(source, line, f"{key} example is empty")
        examples.append(words)
    return examples
