"""Transcript state -> compact Markdown: the fallback saved in notebooks (GitHub, nbviewer,
nbconvert) and shown where no widget can render.

`render_markdown(state)` is a pure function of `Transcript.state()`, so any holder of the
JSON state can produce the same text. It shows only what the state holds (which comes from
already-redacted events); it never adds anything from the environment. Long outputs are
cut to their last lines and long diffs to their first lines, with a note saying so.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from typing import Any

OUTPUT_LINES = 40
DIFF_LINES = 400
REASONING_CHARS = 2000
DECISION_LABELS = {
    "approved": "Approved",
    "approved_for_session": "Approved for this session",
    "denied": "Denied",
    "abort": "Aborted the turn",
}
STATE_LABELS = {
    "running": "Running",
    "waiting_for_approval": "Waiting for approval",
    "done": "Done",
    "aborted": "Aborted",
    "error": "Failed",
}
_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]<>#|])")


def render_markdown(state: dict[str, Any]) -> str:
    """The whole transcript: blocks in order, the turn diff when no patch showed it, a footer."""
    parts = [_RENDERERS.get(block["kind"], _unknown)(block) for block in state.get("blocks", [])]
    has_patch = any(block["kind"] == "patch" for block in state.get("blocks", []))
    if state.get("turn_diff") and not has_patch:
        parts.append("**Changes in this turn:**\n\n" + fence(_head_lines(state["turn_diff"], DIFF_LINES), "diff"))
    parts.append(footer(state.get("status", {})))
    return "\n\n".join(part for part in parts if part) + "\n"


def fence(text: str, lang: str = "") -> str:
    """A fenced code block that cannot be closed early by backticks inside `text`."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    ticks = "`" * max(3, longest + 1)
    body = text if text.endswith("\n") or not text else text + "\n"
    return f"{ticks}{lang}\n{body}{ticks}"


def inline(text: str) -> str:
    """One line of plain text made safe inside Markdown emphasis (no markup, no HTML)."""
    return _INLINE_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def code(text: str) -> str:
    """A one-line inline code span that backticks inside `text` cannot close."""
    flat = " ".join(str(text).split())
    longest = max((len(run) for run in re.findall(r"`+", flat)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") else ""
    return f"{ticks}{pad}{flat}{pad}{ticks}"


def footer(status: dict[str, Any]) -> str:
    items = [STATE_LABELS.get(status.get("state", ""), str(status.get("state", "")))]
    if status.get("reason"):
        items[0] += f" ({status['reason']})"
    if status.get("elapsed_s") is not None:
        items.append(f"{status['elapsed_s']:.1f} s")
    if status.get("tokens_used"):
        items.append(f"{status['tokens_used']:,} tokens")
    if status.get("context_left_percent") is not None:
        items.append(f"{status['context_left_percent']}% context left")
    if status.get("model"):
        items.append(str(status["model"]))
    if status.get("sandbox"):
        mechanism = f" ({status['sandbox_mechanism']})" if status.get("sandbox_mechanism") else ""
        items.append(f"sandbox: {status['sandbox']}{mechanism}")
    return "---\n*" + inline(" · ".join(items)) + "*"


def _tail_lines(text: str, limit: int) -> tuple[str, int]:
    lines = text.splitlines()
    return "\n".join(lines[-limit:]), max(0, len(lines) - limit)


def _head_lines(text: str, limit: int, omitted: int = 0) -> str:
    lines = text.splitlines()
    more = max(0, len(lines) - limit) + omitted
    return "\n".join(lines[:limit]) + (f"\n… {_count(more, 'more line')} not shown" if more else "")


def _seconds(ms: int | None) -> str:
    return "" if ms is None else f"{ms / 1000:.1f} s"


def _user(block: dict[str, Any]) -> str:
    images = f" *(+{block['images']} image{'s' if block['images'] != 1 else ''})*" if block.get("images") else ""
    return f"**You:** {block['text']}{images}"


def _agent(block: dict[str, Any]) -> str:
    return block["text"] + (" …" if block.get("streaming") else "")


def _reasoning(block: dict[str, Any]) -> str:
    text = block["text"].strip()
    if not text:
        return ""
    if len(text) > REASONING_CHARS:
        text = text[:REASONING_CHARS] + " …"
    label = "Raw reasoning" if block.get("raw") else "Thinking"
    return "\n".join(["> *" + label + "*", ">"] + [f"> {line}" if line else ">" for line in text.splitlines()])


def python_code(argv: list[str]) -> str | None:
    """The code of a `run_python` call (its argv is `["run_python", code]`), else None."""
    return argv[1] if len(argv) == 2 and argv[0] == "run_python" else None


def _command(block: dict[str, Any]) -> str:
    output, dropped = _tail_lines(block.get("output", ""), OUTPUT_LINES)
    source = python_code(block["argv"])
    lines = [] if source is not None else [f"$ {shlex.join(block['argv'])}"]
    if dropped or block.get("truncated_bytes"):
        lines.append("… (earlier output not shown)")
    if output:
        lines.append(output)
    ran = block.get("exit_code") is not None and block["status"] != "declined"
    caption = [f"`exit {block['exit_code']}`" if ran else ""]
    caption += [_seconds(block.get("duration_ms")), f"in {code(block['cwd'])}" if block.get("cwd") else ""]
    if block["status"] in ("declined", "aborted", "running", "waiting"):
        caption.insert(0, f"*{block['status']}*")
    if source is not None:
        shown = fence(source.rstrip("\n"), "python") + ("\n" + fence("\n".join(lines), "text") if lines else "")
        return shown + "\n" + " · ".join(c for c in ["`run_python`", *caption] if c)
    return fence("\n".join(lines), "console") + "\n" + " · ".join(c for c in caption if c)


def _tool(block: dict[str, Any]) -> str:
    head = f"**Tool** {code(block['name'])} — {block['status']}"
    if block.get("duration_ms") is not None:
        head += f" · {_seconds(block['duration_ms'])}"
    output, _ = _tail_lines(block.get("output", ""), OUTPUT_LINES)
    return head + ("\n\n" + fence(output, "text") if output else "")


def _count(n: int, noun: str) -> str:
    """`1 file`, `2 files`, `0 files`."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _files(files: list[dict[str, Any]]) -> str:
    parts = []
    for entry in files:
        target = f" → {code(entry['move_path'])}" if entry.get("move_path") else ""
        parts.append(f"{code(entry['path'])} ({entry['change']}){target}\n\n"
                     + fence(_head_lines(entry["diff"], DIFF_LINES, entry.get("omitted_lines", 0)), "diff"))
    return "\n\n".join(parts)


def _patch(block: dict[str, Any]) -> str:
    verdict = {"applying": "Applying patch", "applied": "Patch applied", "failed": "Patch failed", "aborted": "Patch aborted"}
    head = f"**{verdict.get(block['status'], 'Patch')}** ({_count(len(block['files']), 'file')})"
    if block["status"] == "failed" and block.get("stderr"):
        head += f": {inline(block['stderr'])}"
    return head + ("\n\n" + _files(block["files"]) if block["files"] else "")


def _plan(block: dict[str, Any]) -> str:
    lines = ["**Plan**" + (f" — {inline(block['explanation'])}" if block.get("explanation") else "")]
    for item in block["items"]:
        step = inline(item["step"])
        if item["status"] == "completed":
            lines.append(f"- [x] {step}")
        elif item["status"] == "in_progress":
            lines.append(f"- [ ] **{step}** *(in progress)*")
        else:
            lines.append(f"- [ ] {step}")
    return "\n".join(lines)


def _approval(block: dict[str, Any]) -> str:
    source = python_code(block["argv"]) if block["request"] == "exec" else None
    if source is not None:
        head = "**Approval requested** to run Python in the kernel:\n\n" + fence(source.rstrip("\n"), "python")
    elif block["request"] == "exec":
        head = f"**Approval requested** to run {code(shlex.join(block['argv']))} in {code(block['cwd'] or '')}"
    else:
        head = f"**Approval requested** to apply a patch ({_count(len(block['files']), 'file')})"
    reason = f"\n\n> {inline(block['reason'])}" if block.get("reason") else ""
    body = "\n\n" + _files(block["files"]) if block.get("files") else ""
    if block["status"] == "decided":
        verdict = f"→ **{DECISION_LABELS.get(block['decision'], block['decision'])}**"
    else:
        verdict = "→ *aborted before a decision*" if block["status"] == "aborted" else "→ *waiting for a decision*"
    return head + reason + body + "\n\n" + verdict


def _error(block: dict[str, Any]) -> str:
    return f"**Error: {inline(block['message'])}**"


def _stream_error(block: dict[str, Any]) -> str:
    return f"*{inline(block['message'])}*"


def _notice(block: dict[str, Any]) -> str:
    prefix = "Warning: " if block.get("level") == "warning" else ""
    return f"*{prefix}{inline(block['message'])}*"


def _unknown(block: dict[str, Any]) -> str:
    return ""


_RENDERERS: dict[str, Callable[[dict[str, Any]], str]] = {
    "user": _user, "agent": _agent, "reasoning": _reasoning, "command": _command, "tool": _tool,
    "patch": _patch, "plan": _plan, "approval": _approval, "error": _error, "stream_error": _stream_error,
    "notice": _notice,
}
