"""The model's base instructions: ours (a package file), or the user's override.

Precedence: `instructions` (inline text in config) > `instructions_file` > the shipped
`prompts/base_instructions.md`.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any


def shipped_instructions() -> str:
    return resources.files("agent").joinpath("prompts/base_instructions.md").read_text(encoding="utf-8")


def base_instructions(config: Any) -> str:
    inline = getattr(config, "instructions", None)
    if inline:
        return str(inline)
    path = getattr(config, "instructions_file", None)
    if path:
        return Path(path).expanduser().read_text(encoding="utf-8")
    return shipped_instructions()
