"""One redaction pass on everything sent to the model, just before it is sent.

`PromptAssembler` (every regular and compaction request) passes the instructions and
every input item through `ModelInputRedactor.prompt` (or `text` / `items`): each
known secret value is replaced with `[REDACTED]`, in any item (tool outputs, user and
developer messages, environment context, tool call arguments). Known values: the
session's secrets (provider API key, auth.json's values, secret-named environment
variables at start) plus the secret-named variables of the process environment *now*
(a notebook often sets `os.environ["OPENAI_API_KEY"]` after the session started). The
rule and marker are `Redactor`'s (core/redact.py), the same as for events and files, so
anything shaped like an OpenAI key is replaced too. Image data URLs and reasoning
`encrypted_content` are opaque and left alone.

Key-shaped strings of other kinds (AWS, GitHub, private keys, ...) are masked where they
are produced, by the kernel tools (agent.tools.secret_mask), which can say where each one
was; a value is never redacted twice in two styles.

Cost (it runs on every request): the environment is re-read (microseconds) and the
pattern rebuilt only when the set of secrets changed. Items are cached by identity
(history items are never mutated, only appended or replaced; `agent.client.memo`), so a
request redacts only the items added since the previous one; a history that only grew
reuses the previous result as a block.
"""

from __future__ import annotations

import os
from typing import Any, Iterable, Mapping

from agent.client.memo import ListMemo
from agent.protocol.items import ResponseItem

from .redact import Redactor, secret_env_values

__all__ = ["ModelInputRedactor"]

_OPAQUE_FIELDS = frozenset({"image_url", "encrypted_content"})


class ModelInputRedactor:
    def __init__(self, secrets: Iterable[str] = (), env: Mapping[str, str] | None = None):
        self._secrets = tuple(secrets)
        self._env = os.environ if env is None else env
        self._known: frozenset[str] | None = None
        self._redactor = Redactor()
        self._memo: ListMemo[ResponseItem, ResponseItem] = ListMemo(lambda item: self._item(item))
        self._text_cache: tuple[str, str] = ("", "")

    def prompt(self, instructions: str, items: list[ResponseItem]) -> tuple[str, list[ResponseItem]]:
        """The instructions and items of one request, redacted (the environment read once)."""
        self._refresh()
        return self._text(instructions), self._memo.map(items)

    def items(self, items: list[ResponseItem]) -> list[ResponseItem]:
        """`items` with every secret replaced (unchanged items are returned as they are)."""
        self._refresh()
        return self._memo.map(items)

    def text(self, value: str) -> str:
        self._refresh()
        return self._text(value)

    def _text(self, value: str) -> str:
        if self._text_cache[0] is not value:
            self._text_cache = (value, self._redactor.text(value))
        return self._text_cache[1]

    def _refresh(self) -> None:
        known = frozenset((*self._secrets, *secret_env_values(self._env)))
        if known != self._known:
            self._known = known
            self._redactor = Redactor(known)
            self._memo = ListMemo(lambda item: self._item(item))
            self._text_cache = ("", "")

    def _item(self, item: ResponseItem) -> ResponseItem:
        dumped = item.model_dump()
        redacted = self._value(dumped)
        return item if redacted == dumped else type(item).model_validate(redacted)

    def _value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self._redactor.text(value)
        if isinstance(value, dict):
            return {k: v if k in _OPAQUE_FIELDS else self._value(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._value(v) for v in value]
        return value
