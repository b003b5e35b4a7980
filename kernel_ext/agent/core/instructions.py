"""The texts we send the model: base instructions, the compact prompt, the summary prefix.

Base instructions precedence: `instructions` (inline text in config) > `instructions_file`
> the shipped `prompts/base_instructions.md`. The compact prompt: `compact_prompt` in
config > the shipped `prompts/compact_prompt.md`. Files are read when asked for.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .config import Config


@cache
def shipped_prompt(name: str) -> str:
    """The text of `prompts/{name}` in the package."""
    return resources.files("agent").joinpath(f"prompts/{name}").read_text(encoding="utf-8")


def shipped_instructions() -> str:
    return shipped_prompt("base_instructions.md")


def base_instructions(config: Config) -> str:
    if config.instructions:
        return config.instructions
    if config.instructions_file:
        return Path(config.instructions_file).expanduser().read_text(encoding="utf-8")
    return shipped_instructions()


def compact_prompt(config: Config | None) -> str:
    """What the model is asked to do when the conversation is compacted (None: the shipped text)."""
    configured = config.compact_prompt if config is not None else None
    return configured or shipped_prompt("compact_prompt.md").strip()


def summary_prefix() -> str:
    """The paragraph put before a compaction summary in the new history."""
    return shipped_prompt("summary_prefix.md").strip()
