"""Middle truncation (spec §8.3 worked examples) and the model's view of a command (§6.2)."""

from __future__ import annotations

import json

from agent.tools.exec_output import model_output, round_half_away, shortest
from agent.tools.truncate import TruncationPolicy, formatted_truncate_text, truncate_text

SIXTY = "this is an example of a long output that should be truncated"


def test_spec_examples():
    assert len(SIXTY) == 60
    assert formatted_truncate_text(SIXTY, TruncationPolicy("bytes", 30)) == (
        "Total output lines: 1\n\nthis is an exam…30 chars truncated…ld be truncated"
    )
    assert formatted_truncate_text(SIXTY, TruncationPolicy("tokens", 5)) == (
        "Total output lines: 1\n\nthis is an…10 tokens truncated… truncated"
    )
    assert formatted_truncate_text("example output", TruncationPolicy("tokens", 1)) == (
        "Total output lines: 1\n\nex…3 tokens truncated…ut"
    )


def test_fits_exactly_is_unchanged_and_zero_budget_is_only_the_marker():
    assert truncate_text("abcd", TruncationPolicy("bytes", 4)) == "abcd"
    assert formatted_truncate_text("abcd", TruncationPolicy("bytes", 4)) == "abcd"
    assert truncate_text("abcd", TruncationPolicy("bytes", 0)) == "…4 chars truncated…"


def test_never_splits_a_character():
    text = "é" * 20  # 40 bytes
    out = truncate_text(text, TruncationPolicy("bytes", 11))
    head, _, rest = out.partition("…")
    tail = rest.split("…")[-1]
    assert head == "éé" and tail == "ééé"  # 5 bytes left -> 2 chars, 6 right -> 3 chars
    assert out == "éé…15 chars truncated…ééé"


def test_rounding_and_float_display():
    assert round_half_away(0.25) == 0.3 and round_half_away(1.04) == 1.0
    assert shortest(1.0) == "1" and shortest(1.5) == "1.5"


def test_structured_and_freeform_forms():
    policy = TruncationPolicy("bytes", 10_000)
    structured = json.loads(model_output("hi\n", exit_code=0, duration_s=1.0, timed_out=False, timeout_ms=1000, policy=policy, style="structured"))
    assert structured == {"output": "hi\n", "metadata": {"exit_code": 0, "duration_seconds": 1.0}}
    timed = json.loads(model_output("x", exit_code=124, duration_s=2.04, timed_out=True, timeout_ms=2000, policy=policy, style="structured"))
    assert timed["output"] == "command timed out after 2000 milliseconds\nx"
    free = model_output("a\nb", exit_code=1, duration_s=1.0, timed_out=False, timeout_ms=1, policy=policy, style="freeform")
    assert free == "Exit code: 1\nWall time: 1 seconds\nOutput:\na\nb"
    many = "\n".join(f"line {i}" for i in range(1000))
    cut = model_output(many, exit_code=0, duration_s=0.5, timed_out=False, timeout_ms=1, policy=TruncationPolicy("bytes", 100), style="freeform")
    assert cut.splitlines()[2] == "Total output lines: 1000"
