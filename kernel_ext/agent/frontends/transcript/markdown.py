"""Transcript state -> compact Markdown: the fallback saved in notebooks (GitHub, nbviewer,
nbconvert) and shown where no widget can render.

`render_markdown(state)` is a pure function of `Transcript.state()`, so any holder of the
JSON state can produce the same text. It shows only what the state holds (which comes from
already-redacted events); it never adds anything from the environment. Long outputs are
cut to their last lines and long diffs to their first lines, with a note saying so.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from .parts import command_text

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
    "queued": "Queued",
    "running": "Running",
    "waiting_for_approval": "Waiting for approval",
    "done": "Done",
    "aborted": "Aborted",
    "error": "Failed",
}
_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]<>#|])")


def render_markdown(state: dict[str, Any]) -> str:
    """The whole transcript: blocks in order, the turn diff when no patch showed it, a footer.
    An approval is shown in its tool's block (a command's, under the command; a patch's, with
    its diff shown once), not as a block of its own."""
    blocks = state.get("blocks", [])
    calls = _by_call(blocks)
    parts = [_render(block, calls) for block in blocks if not _inlined(block, calls)]
    has_patch = any(block["kind"] == "patch" for block in blocks)
    if state.get("turn_diff") and not has_patch:
        parts.append("**Changes in this turn:**\n\n" + fence(_head_lines(state["turn_diff"], DIFF_LINES), "diff"))
    parts.append(footer(state.get("status", {})))
    return "\n\n".join(part for part in parts if part) + "\n"


Calls = dict[tuple[str, str], list[dict[str, Any]]]


def _by_call(blocks: list[dict[str, Any]]) -> Calls:
    """(kind, call_id) -> the command, patch, apply_patch tool and approval blocks of each call."""
    calls: Calls = {}
    for block in blocks:
        if block["kind"] in ("command", "patch", "approval") or (block["kind"] == "tool" and block["name"] == "apply_patch"):
            calls.setdefault((block["kind"], block["call_id"]), []).append(block)
    return calls


def _patch_approval(call_id: str, calls: Calls) -> dict[str, Any] | None:
    found = [a for a in calls.get(("approval", call_id), []) if a["request"] == "patch"]
    return found[-1] if found else None


def _inlined(block: dict[str, Any], calls: Calls) -> bool:
    """Shown inside another block of its call: an exec approval in its command, a patch block
    and a failed apply_patch call in the patch's approval."""
    if block["kind"] == "approval":
        return block["request"] == "exec" and ("command", block["call_id"]) in calls
    if block["kind"] in ("patch", "tool") and "call_id" in block:
        return _patch_approval(block["call_id"], calls) is not None
    return False


def _render(block: dict[str, Any], calls: Calls) -> str:
    kind, call_id = block["kind"], block.get("call_id", "")
    if kind == "command":
        return _command(block, calls.get(("approval", call_id), []))
    if kind == "approval" and block["request"] == "patch":
        tools = calls.get(("tool", call_id), [])
        patches = calls.get(("patch", call_id), [])
        return _patch_unit(block, patches[-1] if patches else None, tools[-1] if tools else None)
    return _RENDERERS.get(kind, _unknown)(block)


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


def _command(block: dict[str, Any], approvals: Sequence[dict[str, Any]] = ()) -> str:
    """A command (or run_python's code), the approvals it asked for right under it, its output."""
    output, dropped = _tail_lines(block.get("output", ""), OUTPUT_LINES)
    shown = (["… (earlier output not shown)"] if dropped or block.get("truncated_bytes") else []) + ([output] if output else [])
    source = python_code(block["argv"])
    ran = block.get("exit_code") is not None and block["status"] not in ("declined", "refused")  # neither ran
    caption = ["`run_python`" if source is not None else "", f"`exit {block['exit_code']}`" if ran else ""]
    caption += [_seconds(block.get("duration_ms")), f"in {code(block['cwd'])}" if block.get("cwd") else ""]
    if block["status"] in ("declined", "refused", "aborted", "running", "waiting"):
        caption.insert(0, f"*{block['status']}*")
    out = fence("\n".join(shown), "text") if shown else ""
    if source is not None:
        head = fence(source.rstrip("\n"), "python")
    elif approvals:
        head = fence(f"$ {command_text(block['argv'])}", "console")
    else:
        head, out = fence("\n".join([f"$ {command_text(block['argv'])}", *shown]), "console"), ""
    asked = "\n\n".join(_asked(a) for a in approvals)
    body = head + (f"\n\n{asked}\n\n" if asked else "\n") + (out + "\n" if out else "")
    return body + " · ".join(c for c in caption if c)


def _asked(approval: dict[str, Any]) -> str:
    """An approval shown inside its tool's block: what was asked, why, and the answer."""
    what = "Apply this patch?" if approval["request"] == "patch" else (
        "Run this Python code?" if python_code(approval["argv"]) is not None else "Run this command?")
    reason = f" — {inline(approval['reason'])}" if approval.get("reason") else ""
    root = f" (also grants write access to {code(approval['grant_root'])})" if approval.get("grant_root") else ""
    return f"**{what}**{reason}{root} {_verdict(approval)}"


def _verdict(approval: dict[str, Any]) -> str:
    if approval["status"] == "decided":
        return f"→ **{DECISION_LABELS.get(approval['decision'], approval['decision'])}**"
    return "→ *aborted before a decision*" if approval["status"] == "aborted" else "→ *waiting for a decision*"


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


PATCH_TITLES = {"applying": "Applying patch", "applied": "Patch applied", "failed": "Patch failed", "aborted": "Patch aborted"}


def _patch(block: dict[str, Any]) -> str:
    return _patch_unit(None, block, None)


def _patch_unit(approval: dict[str, Any] | None, patch: dict[str, Any] | None, tool: dict[str, Any] | None) -> str:
    """One patch: its approval (if it asked), its diff once, and what became of it. A declined
    patch is one line naming its files."""
    files = (patch or approval or {}).get("files", [])
    decision = approval["decision"] if approval is not None else None
    count = f" ({_count(len(files), 'file')})"
    if patch is None and decision == "denied":
        names = ", ".join(code(entry["path"]) for entry in files)
        return f"**Patch rejected by user**{count}" + (f": {names}" if names else "")
    if patch is not None:
        title = PATCH_TITLES.get(patch["status"], "Patch")
    elif tool is not None:
        title = "Patch failed"
    elif approval is not None and approval["status"] == "pending":
        title = "Apply this patch?"
    elif decision == "abort" or (approval is not None and approval["status"] == "aborted"):
        title = "Patch aborted"
    else:
        title = "Applying patch"
    head = f"**{title}**{count}"
    error = (patch or {}).get("stderr") if patch is not None and patch["status"] == "failed" else (tool or {}).get("output")
    if error:
        head += f": {inline(error)}"
    if approval is not None:
        reason = f" — {inline(approval['reason'])}" if approval.get("reason") else ""
        root = f" (also grants write access to {code(approval['grant_root'])})" if approval.get("grant_root") else ""
        head += f"\n\nAsked{reason}{root} {_verdict(approval)}"
    return head + ("\n\n" + _files(files) if files else "")


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
        head = f"**Approval requested** to run {code(command_text(block['argv']))} in {code(block['cwd'] or '')}"
    else:
        head = f"**Approval requested** to apply a patch ({_count(len(block['files']), 'file')})"
    reason = f"\n\n> {inline(block['reason'])}" if block.get("reason") else ""
    body = "\n\n" + _files(block["files"]) if block.get("files") else ""
    return head + reason + body + "\n\n" + _verdict(block)


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
