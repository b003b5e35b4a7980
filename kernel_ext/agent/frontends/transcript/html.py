"""A finished transcript as self-contained HTML: what a `%%agent` cell keeps once its turn ends.

`render_html(state)` is a pure function of `Transcript.state()` (like markdown.py). The
output looks like the live widget (labextension/src/transcript/blocks.ts, same `jp-agent-`
classes) but needs no script, no stylesheet and no kernel: every style that matters is
inline, so it survives front ends that drop `<style>` (an untrusted notebook in JupyterLab,
GitHub). Colours are theme-neutral (translucent tints, mid-tone accents) with JupyterLab
theme variables layered on top where the front end keeps them (see `themed`), so it reads
in light and dark themes. Everything shown comes from the state (already-redacted events)
and is escaped; the model's Markdown goes through html_markdown's safe subset. Long command
output is cut to its last lines and long diffs to their first lines, with a note.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .html_markdown import BORDER, INLINE_CODE_STYLE, PRE_STYLE, code_block, escape, highlight, render_markdown_html, themed
from .markdown import DECISION_LABELS, STATE_LABELS, python_code
from .parts import command_text

OUTPUT_LINES = 200
DIFF_LINES = 400
ICONS = {"ok": "\u2713", "failed": "\u2717", "declined": "\u2298", "aborted": "\u2298", "refused": "\u2298", "waiting": "?",
         "applied": "\u2713", "running": "\u2026", "applying": "\u2026"}
COMMAND_STATUS = {"waiting": "waiting for approval", "running": "running", "ok": "succeeded", "failed": "failed",
                  "declined": "declined", "aborted": "aborted", "refused": "refused"}
PATCH_TITLES = {"pending": "Patch", "applying": "Applying patch", "applied": "Patch applied", "failed": "Patch failed",
                "declined": "Patch rejected by user", "aborted": "Patch aborted"}

GREEN, RED, ORANGE, BLUE = ("#28963e", "--jp-success-color1"), ("#dc4a44", "--jp-error-color1"), \
    ("#e07b00", "--jp-warn-color1"), ("#1e88e5", "--jp-brand-color1")
MUTED = "opacity: 0.75;"
VIEW_STYLE = ("font-family: system-ui, sans-serif; font-family: var(--jp-ui-font-family, system-ui, sans-serif); "
              "font-size: 13px; line-height: 1.45; border: 1px solid " + BORDER + "; border-radius: 4px; "
              "padding: 6px 10px; overflow-wrap: break-word; max-width: 100%; box-sizing: border-box;")
OUTPUT_STYLE = PRE_STYLE + " max-height: 20em;"
META_STYLE = f"font-size: 11px; {MUTED}"


def render_html(state: dict[str, Any]) -> str:
    """The whole transcript: session line, blocks in order, the turn diff, the status line."""
    blocks = state.get("blocks", [])
    status = state.get("status", {}) or {}
    parts = [_session_line(status)]
    parts += [_unit(unit) for unit in group_blocks(blocks)]
    parts.append(_turn_diff(state.get("turn_diff")))
    parts.append(_footer(status))
    body = "".join(part for part in parts if part)
    return f'<div class="jp-agent-view jp-agent-static" style="{VIEW_STYLE}">{body}</div>'


# --- helpers -------------------------------------------------------------------------------


def _attrs(cls: str, style: str) -> str:
    return (f' class="{cls}"' if cls else "") + (f' style="{style}"' if style.strip() else "")


def _div(cls: str, style: str, *children: str) -> str:
    return f'<div{_attrs(cls, style)}>{"".join(children)}</div>'


def _span(cls: str, style: str, text_html: str) -> str:
    return f'<span{_attrs(cls, style)}>{text_html}</span>'


def _block_div(kind: str, extra_cls: str, style: str, *children: str) -> str:
    cls = f"jp-agent-block jp-agent-{kind}" + (f" {extra_cls}" if extra_cls else "")
    return _div(cls, f"margin-top: 8px; {style}".strip(), *children)


def _label(text: str) -> str:
    return _span("jp-agent-label", "font-weight: bold; margin-right: 6px;", escape(text))


def _meta(*parts: str | None) -> str:
    shown = [p for p in parts if p]
    return _div("jp-agent-meta", META_STYLE, escape(" \u00b7 ".join(shown))) if shown else ""


def _note(text: str) -> str:
    return _div("jp-agent-note", META_STYLE + " font-style: italic;", escape(text))


def _icon(status: str) -> str:
    color = {"ok": GREEN, "applied": GREEN, "failed": RED}.get(status, ORANGE)
    return _span(f"jp-agent-icon jp-agent-icon-{escape(status)}",
                 themed("color", *color) + " display: inline-block; width: 1.1em; text-align: center;",
                 escape(ICONS.get(status, "")))


def _head(*children: str) -> str:
    return _div("jp-agent-head", "", *children)


def _inline_code(text: str) -> str:
    return f'<code style="{INLINE_CODE_STYLE}">{escape(text)}</code>'


def _output(text: str, truncated_bytes: int = 0) -> str:
    lines = text.splitlines()
    dropped = max(0, len(lines) - OUTPUT_LINES)
    note = ""
    if dropped or truncated_bytes:
        note = _note("\u2026 earlier output not shown" if not dropped else f"\u2026 {_count(dropped, 'earlier line')} not shown")
    shown = "\n".join(lines[-OUTPUT_LINES:])
    return note + f'<pre class="jp-agent-output" style="{OUTPUT_STYLE}">{escape(shown)}</pre>'


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _shell_join(argv: list[str]) -> str:
    """As the live view shows a command (parts.command_text)."""
    return command_text(argv)


def _diff(diff: str, omitted: int = 0) -> str:
    lines = diff.splitlines()
    more = max(0, len(lines) - DIFF_LINES) + omitted
    shown = code_block("\n".join(lines[:DIFF_LINES]), "diff")
    return shown + (_note(f"\u2026 {_count(more, 'more line')} not shown") if more else "")


def _details(summary_html: str, content: str, open_: bool) -> str:
    return (f'<details class="jp-agent-details"{" open" if open_ else ""}>'
            f'<summary style="cursor: pointer;">{summary_html}</summary>{content}</details>')


def _file(entry: dict[str, Any], open_: bool) -> str:
    change = str(entry.get("change", ""))
    tint = {"add": "rgba(46, 160, 67, 0.25)", "delete": "rgba(248, 81, 73, 0.25)"}.get(change, "rgba(2, 136, 209, 0.25)")
    badge = _span(f"jp-agent-badge jp-agent-badge-{escape(change)}", f"font-size: 11px; border-radius: 3px; padding: 0 4px; background: {tint};",
                  escape(change))
    target = f" \u2192 {entry['move_path']}" if entry.get("move_path") else ""
    summary = f"{badge} {escape(str(entry.get('path', '')) + target)}"
    return _details(summary, _diff(str(entry.get("diff", "")), int(entry.get("omitted_lines") or 0)), open_)


def _seconds(ms: int | None) -> str | None:
    if ms is None:
        return None
    if ms < 1000:
        return f"{ms} ms"
    s = ms / 1000
    return f"{s:.1f} s" if s < 60 else f"{int(s // 60)}m {int(s % 60):02d}s"


# --- blocks --------------------------------------------------------------------------------


def _session_line(status: dict[str, Any]) -> str:
    parts = ["kernel-agent"]
    if status.get("model"):
        parts.append(f"model: {status['model']}" + (f" ({status['provider']})" if status.get("provider") else ""))
    if status.get("approval_policy"):
        parts.append(f"approval: {status['approval_policy']}")
    if status.get("sandbox"):
        mechanism = f" ({status['sandbox_mechanism']})" if status.get("sandbox_mechanism") else ""
        parts.append(f"sandbox: {status['sandbox']}{mechanism}")
    if status.get("session_id"):
        parts.append(f"session {str(status['session_id'])[:8]}")
    return _div("jp-agent-session jp-agent-meta", META_STYLE, escape(" \u00b7 ".join(parts)))


def _user(b: dict[str, Any]) -> str:
    images = _meta(f"+{b['images']} image{'s' if b['images'] != 1 else ''}") if b.get("images") else ""
    return _block_div("user", "", "border-left: 3px solid " + BLUE[0] + "; border-left: 3px solid var(--jp-brand-color1, #1e88e5); padding-left: 8px;",
                      _div("jp-agent-label", "font-weight: bold;", "You"),
                      _div("jp-agent-user-text", "white-space: pre-wrap;", escape(b.get("text", ""))), images)


def _agent(b: dict[str, Any]) -> str:
    return _block_div("agent", "", "", _div("jp-agent-markdown", "", render_markdown_html(b.get("text", ""))))


def _reasoning(b: dict[str, Any]) -> str:
    if not str(b.get("text", "")).strip():
        return ""
    label = "Raw reasoning" if b.get("raw") else "Thinking"
    return _block_div("reasoning", "", MUTED,
                      _details(escape(label), _div("jp-agent-markdown", "", render_markdown_html(b["text"])), False))


def _command(b: dict[str, Any], asked: list[dict[str, Any]] | None = None) -> str:
    """A command, the approvals it asked for right under it, then its output."""
    status = str(b.get("status", ""))
    argv = [str(a) for a in b.get("argv") or []]
    source = python_code(argv)
    if source is not None:
        head = _head(_icon(status), _label("Python"), _inline_code("run_python")) + code_block(source.rstrip("\n"), "python")
    else:
        head = _head(_icon(status), f'<code class="jp-agent-argv" style="{PRE_STYLE} display: inline-block; white-space: pre-wrap; margin: 0;">'
                     f"{highlight('$ ' + _shell_join(argv), 'console')}</code>")
    ran = b.get("exit_code") is not None and status not in ("declined", "refused")  # neither ran
    info = _meta(COMMAND_STATUS.get(status, status), f"in {b['cwd']}" if b.get("cwd") else None,
                 f"exit {b['exit_code']}" if ran else None, _seconds(b.get("duration_ms")))
    boxes = "".join(_approval_box(a) for a in asked or [])
    out = _output(b["output"], int(b.get("truncated_bytes") or 0)) if b.get("output") else ""
    return _block_div("command", f"jp-agent-command-{escape(status)}", "", head, info, boxes, out)


def _tool(b: dict[str, Any]) -> str:
    status = str(b.get("status", ""))
    head = _head(_icon(status), _label("Tool"), _inline_code(str(b.get("name", ""))))
    args = f'<pre class="jp-agent-output jp-agent-args" style="{OUTPUT_STYLE}">{escape(b["arguments"])}</pre>' if b.get("arguments") else ""
    out = _output(b["output"]) if b.get("output") else ""
    return _block_div("tool", f"jp-agent-tool-{escape(status)}", "", head, args, _meta(status, _seconds(b.get("duration_ms"))), out)


def _patch_status(asked: dict[str, Any] | None, patch: dict[str, Any] | None, failed: dict[str, Any] | None) -> str:
    """Where a patch stands: its patch block's status once applied, else its approval's."""
    if patch is not None:
        return str(patch.get("status", ""))
    if failed is not None:
        return "failed"
    if asked is None or asked.get("status") == "pending":
        return "pending"
    if asked.get("decision") == "denied":
        return "declined"
    return "aborted" if asked.get("decision") == "abort" or asked.get("status") == "aborted" else "applying"


def _patch(asked: dict[str, Any] | None, patch: dict[str, Any] | None, failed: dict[str, Any] | None = None) -> str:
    """One patch: its diff once, the approval it asked for under it, what became of it."""
    status = _patch_status(asked, patch, failed)
    files = (patch or {}).get("files") or (asked or {}).get("files") or []
    auto = _span("jp-agent-meta", META_STYLE, " (auto-approved)") if (patch or {}).get("auto_approved") else ""
    head = _head(_icon("waiting" if status == "pending" else status), _label(PATCH_TITLES.get(status, "Patch")),
                 _span("jp-agent-meta", META_STYLE, escape(_count(len(files), "file"))), auto)
    error = ((patch or {}).get("stderr") or (failed or {}).get("output") or "") if status == "failed" else ""
    err = (f'<pre class="jp-agent-output jp-agent-error-text" style="{OUTPUT_STYLE} {themed("color", *RED)}">{escape(error)}</pre>'
           if error else "")
    shown = "".join(_file(f, status != "declined" and len(files) <= 3) for f in files)
    box = _approval_box(asked) if asked is not None and status != "declined" else ""
    return _block_div("patch", f"jp-agent-patch-{escape(status)}", "", head, err, shown, box)


def _plan(b: dict[str, Any]) -> str:
    marks = {"completed": "\u2611", "in_progress": "\u25b6", "pending": "\u2610"}
    styles = {"completed": "text-decoration: line-through; " + MUTED, "in_progress": "font-weight: bold;"}
    items = "".join(
        f'<li class="jp-agent-plan-{escape(it.get("status", ""))}" style="{styles.get(it.get("status"), "")}">'
        f'<span class="jp-agent-plan-mark" style="display: inline-block; width: 1.2em;">{marks.get(it.get("status"), "")}</span> '
        f"{escape(it.get('step', ''))}</li>"
        for it in b.get("items") or []
    )
    explanation = _meta(str(b["explanation"])) if b.get("explanation") else ""
    return _block_div("plan", "", "", _div("jp-agent-label", "font-weight: bold;", "Plan"), explanation,
                      f'<ul class="jp-agent-plan-list" style="list-style: none; padding-left: 4px; margin: 2px 0;">{items}</ul>')


def _approval_box(b: dict[str, Any], what: str = "", block: bool = False) -> str:
    """The question, the reason and the verdict; inside the block of the command or patch it
    asks about (which shows the command or the diff), or on its own with `what`."""
    status, decision = str(b.get("status", "")), b.get("decision")
    python = python_code([str(a) for a in b.get("argv") or []]) is not None
    title = "Apply this patch?" if b.get("request") == "patch" else "Run this Python code?" if python else "Run this command?"
    root = _note(f"Also grants write access to {b['grant_root']}") if b.get("grant_root") else ""
    reason = ""
    if b.get("reason"):
        reason = (f'<blockquote class="jp-agent-reason" style="margin: 4px 0; padding-left: 8px; border-left: 3px solid {BORDER}; '
                  f'white-space: pre-wrap;">{escape(b["reason"])}</blockquote>')
    if status == "decided" and decision:
        color = GREEN if decision in ("approved", "approved_for_session") else RED
        verdict = _div(f"jp-agent-verdict jp-agent-verdict-{escape(decision)}", "font-weight: bold; margin-top: 4px; " + themed("color", *color),
                       escape(DECISION_LABELS.get(decision, decision)))
    elif status == "aborted":
        verdict = _div("jp-agent-verdict jp-agent-verdict-abort", "font-weight: bold; margin-top: 4px; " + themed("color", *RED),
                       "Aborted before a decision")
    else:
        verdict = _note("No decision was made.")
    cls = ("jp-agent-block " if block else "") + f"jp-agent-approval jp-agent-approval-{escape(status)}"
    return _div(cls, f"margin-top: 6px; border: 1px solid {BORDER}; border-radius: 4px; padding: 6px 8px;",
                _div("jp-agent-label", "font-weight: bold;", escape(title)), what, root, reason, verdict)


def _approval(b: dict[str, Any]) -> str:
    """An approval with no block of its own to sit in: it shows what it asks about."""
    if b.get("request") == "patch":
        return _patch(b, None)
    argv = [str(a) for a in b.get("argv") or []]
    source = python_code(argv)
    what = code_block(source.rstrip("\n"), "python") if source is not None else (
        code_block("$ " + _shell_join(argv), "console") + _meta(f"in {b['cwd']}" if b.get("cwd") else None))
    return _approval_box(b, what, block=True)


def _error(b: dict[str, Any]) -> str:
    code = f" (HTTP {b['http_status']})" if b.get("http_status") else ""
    return _block_div("error", "", f"{themed('color', *RED)} border-left: 3px solid {RED[0]}; padding-left: 8px; white-space: pre-wrap;",
                      f"<strong>Error{escape(code)}: </strong>{escape(b.get('message', ''))}")


def _stream_error(b: dict[str, Any]) -> str:
    return _block_div("stream-error", "", f"{themed('color', *ORANGE)} font-style: italic;", escape(b.get("message", "")))


def _notice(b: dict[str, Any]) -> str:
    level = str(b.get("level", "info"))
    style = f"{themed('color', *ORANGE)} font-style: italic;" if level == "warning" else f"{MUTED} font-style: italic;"
    return _block_div("notice", f"jp-agent-notice-{escape(level)}", style, escape(b.get("message", "")))


def _unknown(b: dict[str, Any]) -> str:
    return ""


def _turn_diff(diff: str | None) -> str:
    if not diff:
        return ""
    return _div("jp-agent-turn-diff", "margin-top: 8px;", _details("Changes in this turn", _diff(diff), False))


def _footer(status: dict[str, Any]) -> str:
    state = str(status.get("state", ""))
    label = STATE_LABELS.get(state, state) + (f" ({status['reason']})" if status.get("reason") else "")
    color = {"error": RED, "aborted": ORANGE, "waiting_for_approval": ORANGE}.get(state)
    items = [_span(f"jp-agent-state jp-agent-state-{escape(state)}", "font-weight: bold;" + (" " + themed("color", *color) if color else ""),
                   escape(label))]
    texts = [_seconds(int(status["elapsed_s"] * 1000)) if isinstance(status.get("elapsed_s"), (int, float)) else None]
    if status.get("tokens_used"):
        texts.append(f"{status['tokens_used']:,} tokens")
    if status.get("context_left_percent") is not None:
        texts.append(f"{status['context_left_percent']}% context left")
    items += [_span("", "", escape(t)) for t in texts if t]
    return _div("jp-agent-footer", f"margin-top: 8px; padding-top: 4px; border-top: 1px solid {BORDER}; font-size: 11px;",
                _div("jp-agent-footer-items", "display: flex; flex-wrap: wrap; gap: 4px 12px;", *items))


def group_blocks(blocks: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Blocks drawn as one, at the first one's place (like the live view's `groupBlocks`): a
    call's command with the approvals it asked for; a patch's approval with its patch block
    (or the failed apply_patch call)."""
    commands = {b.get("call_id") for b in blocks if b.get("kind") == "command"}
    patches = {b.get("call_id") for b in blocks if b.get("kind") == "approval" and b.get("request") == "patch"}
    units: dict[str, list[dict[str, Any]]] = {}
    for b in blocks:
        kind, call = b.get("kind"), b.get("call_id")
        if kind == "command" or (kind == "approval" and b.get("request") == "exec" and call in commands):
            key = f"command:{call}"
        elif call in patches and (kind == "patch" or (kind == "tool" and b.get("name") == "apply_patch")
                                  or (kind == "approval" and b.get("request") == "patch")):
            key = f"patch:{call}"
        else:
            key = f"block:{b.get('id')}"
        units.setdefault(key, []).append(b)
    return list(units.values())


def _unit(blocks: list[dict[str, Any]]) -> str:
    if len(blocks) == 1:
        return _block(blocks[0])
    approvals = [b for b in blocks if b.get("kind") == "approval"]
    command = next((b for b in blocks if b.get("kind") == "command"), None)
    if command is not None:
        return _command(command, approvals)
    patch = next((b for b in blocks if b.get("kind") == "patch"), None)
    failed = next((b for b in blocks if b.get("kind") == "tool"), None)
    return _patch(approvals[-1] if approvals else None, patch, failed)


def _block(block: dict[str, Any]) -> str:
    kind = block.get("kind", "")
    if kind == "patch":
        return _patch(None, block)
    return _RENDERERS.get(kind, _unknown)(block)


_RENDERERS: dict[str, Callable[[dict[str, Any]], str]] = {
    "user": _user, "agent": _agent, "reasoning": _reasoning, "command": _command, "tool": _tool,
    "plan": _plan, "approval": _approval, "error": _error, "stream_error": _stream_error,
    "notice": _notice,
}
