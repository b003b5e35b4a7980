"""What we know about a model from its name (spec §8.3, §8.4, §2.3, §3.1).

`find_family(slug)` matches the longest known prefix. Unknown models get conservative
defaults: no reasoning field, no parallel calls, no verbosity, unknown context window,
a 10,000-byte tool-output budget.

Config overrides: `model_context_window` replaces the table's window,
`model_auto_compact_token_limit` the default auto-compaction limit (90% of the window),
`tool_output_token_limit` the truncation budget (converted at 4 bytes per token for
byte policies).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from agent.tools.truncate import BYTES_PER_TOKEN, TruncationPolicy

if TYPE_CHECKING:
    from .config import Config

DEFAULT_TOOL_OUTPUT_LIMIT = 10_000
AUTO_COMPACT_PERCENT = 90


@dataclass(frozen=True)
class ModelFamily:
    prefix: str
    context_window: int | None = None
    supports_reasoning: bool = False
    supports_parallel_tool_calls: bool = False
    supports_verbosity: bool = False
    truncation_mode: Literal["bytes", "tokens"] = "bytes"


_FAMILIES = (
    ModelFamily("gpt-5.1-codex", 272_000, True, True, truncation_mode="tokens"),
    ModelFamily("gpt-5-codex", 272_000, True, True, truncation_mode="tokens"),
    ModelFamily("gpt-5.1", 272_000, True, True, True),
    ModelFamily("gpt-5", 272_000, True, False, True),
    ModelFamily("codex-mini-latest", 200_000, True),
    ModelFamily("codex-", 272_000, True),
    ModelFamily("o1", 200_000, True),
    ModelFamily("o1-mini", 128_000, True),
    ModelFamily("o3", 200_000, True),
    ModelFamily("o4-mini", 200_000, True),
    ModelFamily("gpt-4.1", 1_047_576),
    ModelFamily("gpt-4o", 128_000),
    ModelFamily("gpt-4-turbo", 128_000),
    ModelFamily("gpt-4", 8_192),
    ModelFamily("gpt-oss", 96_000),
    ModelFamily("openai/gpt-oss", 96_000),
    ModelFamily("gpt-3.5-turbo", 16_385),
)


def find_family(slug: str) -> ModelFamily:
    matches = [f for f in _FAMILIES if slug.startswith(f.prefix)]
    if not matches:
        return ModelFamily(slug)
    return max(matches, key=lambda f: len(f.prefix))


def context_window(model: str, config: Config) -> int | None:
    """The configured `model_context_window`, else the table's value (None: unknown)."""
    return config.model_context_window or find_family(model).context_window


def auto_compact_limit(model: str, config: Config) -> int | None:
    """Tokens at which a task compacts by itself: the configured limit, else 90% of the
    context window; None when neither is known (never compact automatically)."""
    if config.model_auto_compact_token_limit:
        return config.model_auto_compact_token_limit
    window = context_window(model, config)
    return window * AUTO_COMPACT_PERCENT // 100 if window else None


def truncation_policy(model: str, config: Config) -> TruncationPolicy:
    """The family's tool-output policy; `tool_output_token_limit` overrides its size."""
    mode = find_family(model).truncation_mode
    tokens = config.tool_output_token_limit
    if tokens is None:
        return TruncationPolicy(mode, DEFAULT_TOOL_OUTPUT_LIMIT)
    return TruncationPolicy(mode, tokens if mode == "tokens" else tokens * BYTES_PER_TOKEN)


def history_policy(policy: TruncationPolicy) -> TruncationPolicy:
    """The 1.2x allowance used when recording tool outputs into history (rounded up)."""
    return TruncationPolicy(policy.mode, -(-policy.limit * 6 // 5))


def apply_patch_variant(model: str, wire_api: str) -> str:
    """`freeform` (a custom tool) for reasoning families on the Responses API, where it is
    supported; `function` everywhere else (Chat Completions keeps only function tools)."""
    family = find_family(model)
    return "freeform" if wire_api == "responses" and family.supports_reasoning and model.startswith(("gpt-5", "codex")) else "function"
