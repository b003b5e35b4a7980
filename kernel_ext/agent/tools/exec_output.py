"""What the model sees of a command (spec §6.2). Pure.

Structured form (JSON `{"output", "metadata": {"exit_code", "duration_seconds"}}`) when
apply_patch is a function tool; freeform text (`Exit code: / Wall time: / Output:`) when
the freeform apply_patch tool is offered. Both truncate in the middle to the budget.
"""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from .truncate import TruncationPolicy, formatted_truncate_text, truncate_text

OutputStyle = Literal["structured", "freeform"]


def round_half_away(seconds: float) -> float:
    return float(Decimal(str(seconds)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def shortest(value: float) -> str:
    """Rust's shortest float display: 1.0 -> "1", 1.5 -> "1.5"."""
    return str(int(value)) if value == int(value) else repr(value)


def formatted_output(aggregated: str, *, timed_out: bool, timeout_ms: int, policy: TruncationPolicy) -> str:
    """The `formatted_output` of exec_command_end and the JSON form's `output`."""
    text = f"command timed out after {timeout_ms} milliseconds\n{aggregated}" if timed_out else aggregated
    return formatted_truncate_text(text, policy)


def model_output(
    aggregated: str, *, exit_code: int, duration_s: float, timed_out: bool, timeout_ms: int,
    policy: TruncationPolicy, style: OutputStyle,
) -> str:
    seconds = round_half_away(duration_s)
    if style == "structured":
        output = formatted_output(aggregated, timed_out=timed_out, timeout_ms=timeout_ms, policy=policy)
        return json.dumps({"output": output, "metadata": {"exit_code": exit_code, "duration_seconds": seconds}})
    body = truncate_text(aggregated, policy)
    lines = [f"Exit code: {exit_code}", f"Wall time: {shortest(seconds)} seconds"]
    original, kept = len(aggregated.splitlines()), len(body.splitlines())
    if body != aggregated and original != kept:
        lines.append(f"Total output lines: {original}")
    lines += ["Output:", body]
    return "\n".join(lines)
