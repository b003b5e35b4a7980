"""What we know about a model from its name (spec §8.4, §2.3, §3.1).

`find_family(slug)` matches the longest known prefix. Unknown models get conservative
defaults: no reasoning field, no parallel calls, no verbosity, unknown context window.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ModelFamily:
    prefix: str
    context_window: int | None = None
    supports_reasoning: bool = False
    supports_parallel_tool_calls: bool = False
    supports_verbosity: bool = False


_FAMILIES = (
    ModelFamily("gpt-5.1-codex", 272_000, True, True),
    ModelFamily("gpt-5-codex", 272_000, True, True),
    ModelFamily("gpt-5.1", 272_000, True, True, True),
    ModelFamily("gpt-5", 272_000, True, False, True),
    ModelFamily("codex-mini-latest", 200_000, True),
    ModelFamily("codex-", 272_000, True),
    ModelFamily("o3", 200_000, True),
    ModelFamily("o4-mini", 200_000, True),
    ModelFamily("gpt-4.1", 1_047_576),
    ModelFamily("gpt-4o", 128_000),
    ModelFamily("gpt-oss", 96_000),
    ModelFamily("openai/gpt-oss", 96_000),
    ModelFamily("gpt-3.5-turbo", 16_385),
)


def find_family(slug: str) -> ModelFamily:
    matches = [f for f in _FAMILIES if slug.startswith(f.prefix)]
    if not matches:
        return ModelFamily(slug)
    return max(matches, key=lambda f: len(f.prefix))


def apply_patch_variant(model: str, wire_api: str) -> str:
    """`freeform` (a custom tool) for reasoning families on the Responses API, where it is
    supported; `function` everywhere else (Chat Completions keeps only function tools)."""
    family = find_family(model)
    return "freeform" if wire_api == "responses" and family.supports_reasoning and model.startswith(("gpt-5", "codex")) else "function"
