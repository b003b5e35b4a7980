"""Masking secrets in what the kernel tools show the model, and saying what was masked.

kernel_variables, last_error, notebook_history and run_python hand the model text built
from the user's live objects, where API keys and passwords often sit. Before their output
leaves the tool, `MaskScope` replaces with `[REDACTED]`:

* key-shaped strings (`KEY_SHAPES`): OpenAI `sk-…`/`sk-proj-…`, Anthropic `sk-ant-…`,
  AWS access key ids `AKIA…`/`ASIA…` and a 40-character secret key near one, GitHub
  `ghp_…`/`gho_…`/`github_pat_…`, Slack `xox?-…`, Google `AIza…`, Hugging Face `hf_…`,
  Stripe `sk_live_…`, JWTs, `-----BEGIN … PRIVATE KEY-----` blocks, a URL's password;
* the value of a secret-named pair (`password = '…'`, `'api_key': '…'`, `TOKEN=…`), of
  at least `MIN_SECRET_CHARS` characters: a name is secret when one of its words (split
  at `_`, `.`, `-` and camelCase) is password/passwd/passphrase/secret/token/credential(s)/
  creds/apikey/…, or `key` after api/access/private (`tokenizer_name`, `sort_key` and
  `token_count` are not secret names, `db_password`, `OPENAI_API_KEY`, `authToken` are);
* wherever they appear (e.g. printed by run_python), the values of the namespace's
  secret-named strings: `db_password`, and `cfg['api_key']` one level into a dict
  (`namespace_secrets`, given as `scope(where, namespace=…)`).

`scope = masker.scope(where)` (one tool call): `scope.mask(text)` masks and counts per
`scope.where` (e.g. "variable `cfg`"); `scope.note()` is the one line appended to the
output (`[masked: 1 OpenAI key in variable `cfg`]`, never a value). `with
scope.active():` also masks every string that `kernel_access.safe_repr` formats, before
it is cut, so a key cut in the middle of a long repr cannot leak its tail. A name in
`unmasked` (config `kernel_variables_unmasked`) is shown as is: `scope.allowed(name)`
(a dotted path is allowed through its first part). The known secret values of the
session (provider key, secret-named environment variables, auth.json) are replaced again
on all model input by the session (core/model_input_redaction.py).
"""

from __future__ import annotations

import contextlib
import itertools
import re
from collections import Counter
from typing import Any, Iterable, Iterator, Mapping

from .kernel_access import repr_masking

__all__ = ["KEY_SHAPES", "MARKER", "MIN_SECRET_CHARS", "MaskScope", "SecretMasker", "secret_kind_of_name",
           "secret_value_kind"]

MARKER = "[REDACTED]"
MIN_SECRET_CHARS = 6
"""Shorter values of secret-named pairs are left alone (`token = 'the'` in NLP code)."""

KEY_SHAPES: tuple[tuple[str, str], ...] = (
    ("private key", r"-----BEGIN[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----(?:.*?-----END[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----|(?:[A-Za-z0-9+/=\s:,-]|\\n)*)"),
    ("Anthropic key", r"(?<![A-Za-z0-9])sk-ant-[A-Za-z0-9_\-]{20,}"),
    ("Stripe key", r"(?<![A-Za-z0-9])[sr]k_live_[A-Za-z0-9]{20,}"),
    ("OpenAI key", r"(?<![A-Za-z0-9])sk-[A-Za-z0-9_\-]{20,}"),
    ("AWS access key id", r"(?<![A-Za-z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])"),
    ("GitHub token", r"(?<![A-Za-z0-9])(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{20,})"),
    ("Slack token", r"(?<![A-Za-z0-9])xox[abposr]-[A-Za-z0-9\-]{10,}"),
    ("Google API key", r"(?<![A-Za-z0-9])AIza[0-9A-Za-z_\-]{35}"),
    ("Hugging Face token", r"(?<![A-Za-z0-9])hf_[A-Za-z0-9]{30,}"),
    ("JWT", r"(?<![A-Za-z0-9_\-])eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}"),
)
_SECRET_NAME = r"[A-Za-z0-9_.\-]*(?:passw|passphrase|secret|token|api_?key|apikey|access_?key|private_?key|credential)[A-Za-z0-9_.\-]*"
_NOT_MARKER = r"(?!\[REDACTED\])"
_PAIRS = (
    # name = 'value', 'name': "value", name: 'value' (reprs, code, JSON)
    rf"(?<![A-Za-z0-9_.\-])(?P<qname>(?i:{_SECRET_NAME}))(?P<qsep>['\"]?\s*[:=]\s*[bru]{{0,2}})(?P<q>['\"]){_NOT_MARKER}(?P<qval>[^'\"\n]{{{MIN_SECRET_CHARS},}}?)(?P=q)",
    # NAME=value (environment dumps, .env files)
    rf"(?P<ename>\b[A-Z0-9_]*(?:PASSW|PASSPHRASE|SECRET|TOKEN|API_?KEY|APIKEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIAL)[A-Z0-9_]*)(?P<esep>=){_NOT_MARKER}(?P<eval>[^\s'\"]{{{MIN_SECRET_CHARS},}})",
    # scheme://user:password@host
    rf"(?P<uprefix>\b[a-z][a-z0-9+.\-]*://[^/\s:@'\"]+:){_NOT_MARKER}(?P<uval>[^/\s@'\"]{{3,}})(?=@)",
)
_PATTERN = re.compile("|".join([*_PAIRS, *(f"(?P<k{i}>{shape})" for i, (_, shape) in enumerate(KEY_SHAPES))]), re.DOTALL)
_SHAPE_ONLY = re.compile("|".join(f"(?P<k{i}>{shape})" for i, (_, shape) in enumerate(KEY_SHAPES)), re.DOTALL)
_NAME_WORDS = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])")
_SECRET_WORDS = {"password": "password", "passwd": "password", "passphrase": "password", "secret": "secret",
                 "token": "token", "authtoken": "token", "accesstoken": "token", "credential": "credential",
                 "credentials": "credential", "creds": "credential", "apikey": "key", "accesskey": "key",
                 "privatekey": "key", "secretkey": "key"}
_KEY_QUALIFIERS = frozenset({"api", "access", "private"})
_AWS_ID = re.compile(dict(KEY_SHAPES)["AWS access key id"])
_AWS_SECRET = re.compile(r"(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+])")
_AWS_WINDOW = 160
_PAIR_VALUE = {"qname": "qval", "ename": "eval", "uprefix": "uval"}
_TRIGGERS = ("sk-", "k_live_", "akia", "asia", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "xox", "aiza", "hf_", "eyj", "-----begin", "://",
             "passw", "passphrase", "secret", "token", "key", "credential")
"""Lower-case substrings one of which every match contains: text without any is skipped
at C speed (the common case) instead of running the whole pattern."""


def _may_hold_secret(text: str) -> bool:
    lowered = text.lower()
    return any(trigger in lowered for trigger in _TRIGGERS)


def secret_value_kind(name: str, value: object) -> str | None:
    """The kind of secret a string value named `name` (its last dotted part) is taken
    for, or None (not a string, too short, or an ordinary name)."""
    if not isinstance(value, (str, bytes)) or len(value) < MIN_SECRET_CHARS:
        return None
    return secret_kind_of_name(name.rsplit(".", 1)[-1])


def secret_kind_of_name(name: str) -> str | None:
    """What a value named `name` is taken for ("password", "token", …), or None."""
    words = [w.lower() for w in _NAME_WORDS.split(name) if w]
    for i, word in enumerate(words):
        if word in _SECRET_WORDS:
            return _SECRET_WORDS[word]
        if word == "key" and i and words[i - 1] in _KEY_QUALIFIERS:
            return "key"
    return None


class SecretMasker:
    """The masking rules plus the names the user allowed (`unmasked`)."""

    def __init__(self, unmasked: Iterable[str] = ()):
        self.unmasked = frozenset(unmasked)

    def scope(self, where: str = "the output", namespace: Mapping[str, Any] | None = None) -> MaskScope:
        known = namespace_secrets(namespace, self.unmasked) if namespace is not None else {}
        return MaskScope(self, where, known)


_DICT_ITEMS_SCANNED = 200


def namespace_secrets(namespace: Mapping[str, Any], unmasked: Iterable[str] = ()) -> dict[str, str]:
    """value -> kind for the secret-named string variables of `namespace` (not `_`-names,
    not `unmasked`) and the secret-named string entries of its dicts (first 200 items)."""
    allowed = frozenset(unmasked)
    found: dict[str, str] = {}

    def add(name: Any, value: Any) -> None:
        kind = secret_value_kind(name, value) if isinstance(name, str) else None
        if kind and isinstance(value, str):
            shape = _SHAPE_ONLY.fullmatch(value)
            found[value] = KEY_SHAPES[int(shape.lastgroup[1:])][0] if shape and shape.lastgroup else kind

    for name, value in list(namespace.items()):
        if not isinstance(name, str) or name.startswith("_") or name in allowed:
            continue
        add(name, value)
        if isinstance(value, dict):
            for key, item in itertools.islice(value.items(), _DICT_ITEMS_SCANNED):
                add(key, item)
    return found


class MaskScope:
    """One tool call's masking: what it masked, by place (see the module docstring)."""

    def __init__(self, masker: SecretMasker, where: str, known: Mapping[str, str] | None = None):
        self.masker, self.where, self.enabled = masker, where, True
        self._counts: dict[str, Counter[str]] = {}
        self._aws_seen = False
        self._known = dict(known or {})
        values = sorted(self._known, key=len, reverse=True)
        self._known_pattern = re.compile("|".join(map(re.escape, values))) if values else None

    def allowed(self, name: str) -> bool:
        unmasked = self.masker.unmasked
        return name in unmasked or name.split(".", 1)[0] in unmasked

    @contextlib.contextmanager
    def at(self, where: str, *, name: str | None = None) -> Iterator[None]:
        """Count under `where`; a `name` the user allowed is not masked."""
        saved = self.where, self.enabled
        self.where, self.enabled = where, not (name is not None and self.allowed(name))
        try:
            yield
        finally:
            self.where, self.enabled = saved

    @contextlib.contextmanager
    def active(self) -> Iterator[None]:
        """Mask the strings `safe_repr` formats (in this context) before they are cut."""
        with repr_masking(self.mask):
            yield

    def mask(self, text: str) -> str:
        if not self.enabled or not text:
            return text
        if self._known_pattern is not None:
            text = self._known_pattern.sub(lambda m: self.mask_whole(self._known[m.group(0)]), text)
        if self._aws_seen or "AKIA" in text or "ASIA" in text:
            text = self._mask_aws_secrets(text)
        return _PATTERN.sub(self._replace, text) if _may_hold_secret(text) else text

    def mask_whole(self, kind: str) -> str:
        """The marker for a value hidden as a whole (e.g. a secret-named variable), counted."""
        self._count(kind)
        return MARKER

    def note(self) -> str:
        """`[masked: 1 OpenAI key in variable `cfg`; …]`, or "" when nothing was masked."""
        if not self._counts:
            return ""
        parts = []
        for where, counts in self._counts.items():
            things = ", ".join(f"{n} {kind}{'s' if n != 1 and not kind.endswith('s') else ''}" for kind, n in counts.items())
            parts.append(f"{things} in {where}")
        return "[masked: " + "; ".join(parts) + "]"

    def finish(self, text: str) -> str:
        """`text` with the note appended on its own line (unchanged when nothing was masked)."""
        note = self.note()
        return f"{text}\n{note}" if note else text

    # --- internals ------------------------------------------------------------------

    def _count(self, kind: str) -> None:
        self._counts.setdefault(self.where, Counter())[kind] += 1

    def _replace(self, match: re.Match[str]) -> str:
        group = match.lastgroup or ""
        if group.startswith("k") and group[1:].isdigit():
            self._count(KEY_SHAPES[int(group[1:])][0])
            return MARKER
        name_group = next(g for g in _PAIR_VALUE if match.group(g) is not None)
        value_group = _PAIR_VALUE[name_group]
        value = match.group(value_group)
        name_kind = "URL password" if name_group == "uprefix" else secret_kind_of_name(match.group(name_group))
        if name_group != "uprefix" and self.allowed(match.group(name_group)):
            return match.group(0)
        if name_kind is None:  # a candidate name only (`tokenizer_name = '…'`): keys inside still go
            return _SHAPE_ONLY.sub(self._replace, match.group(0))
        shape = _SHAPE_ONLY.search(value)
        kind = KEY_SHAPES[int(shape.lastgroup[1:])][0] if shape and shape.lastgroup and name_group != "uprefix" else name_kind
        self._count(kind)
        start, end = match.span(value_group)
        whole_start = match.start()
        return match.group(0)[: start - whole_start] + MARKER + match.group(0)[end - whole_start:]

    def _mask_aws_secrets(self, text: str) -> str:
        """A 40-character secret access key (mixed case, so never a hex digest) near an
        AWS access key id, or anywhere once this scope met an id (the two may be masked
        separately, e.g. as two strings of one tuple)."""
        windows = [(max(m.start() - _AWS_WINDOW, 0), m.end() + _AWS_WINDOW) for m in _AWS_ID.finditer(text)]
        self._aws_seen = self._aws_seen or bool(windows)
        if self._aws_seen:
            windows = [(0, len(text))]
        spans: list[tuple[int, int]] = []
        for lo, hi in windows:
            for secret in _AWS_SECRET.finditer(text, lo, hi):
                value = secret.group(0)
                if any(c.isupper() for c in value) and any(c.islower() for c in value) and secret.span() not in spans:
                    spans.append(secret.span())
        for start, end in sorted(spans, reverse=True):
            self._count("AWS secret key")
            text = text[:start] + MARKER + text[end:]
        return text
