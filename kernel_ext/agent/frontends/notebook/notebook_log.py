"""`%agent log`: a readable audit of a saved notebook from its `kernel-agent` metadata.

Two kinds of records are read from the .ipynb (nothing else is):
- an agent turn's output carries `output.metadata["kernel-agent"]` (provenance.py): the
  session, model, tools run, approvals given, files changed;
- a cell the agent created or changed through notebook_edit carries
  `cell.metadata["kernel-agent"]` (session_id, turn_id, model, provider, action, time).

`audit(path)` returns Markdown; `LogError` says in one line why there is nothing to read.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

KEY = "kernel-agent"


class LogError(Exception):
    """The notebook can't be read (absent, unsaved, not a notebook): one line for the user."""


def find_notebook(given: str | None, served: str | None) -> Path:
    """The notebook to audit: `given`, else the one this kernel serves (`served`)."""
    raw = given or served
    if not raw:
        raise LogError("This kernel does not know its notebook's path: run `%agent log PATH/TO/notebook.ipynb`.")
    path = Path(raw).expanduser()
    if not path.is_absolute() and not path.exists() and not given:
        path = Path.cwd() / path.name  # Jupyter names it relative to the server's root; the kernel runs beside it
    if not path.is_file():
        hint = "" if given else " Save the notebook first."
        raise LogError(f"No saved notebook at `{path}`.{hint}")
    return path


def audit(path: Path) -> str:
    try:
        notebook = json.loads(path.read_text(encoding="utf-8"))
        cells = notebook["cells"]
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as err:
        raise LogError(f"`{path}` is not a readable notebook ({type(err).__name__}).") from err
    sections = []
    for number, cell in enumerate(cells if isinstance(cells, list) else [], start=1):
        if not isinstance(cell, dict):
            continue
        label = _label(number, cell)
        edit = _record(cell.get("metadata"))
        if edit is not None:
            sections.append(_edit_section(label, edit))
        for output in cell.get("outputs") or []:
            turn = _record(output.get("metadata")) if isinstance(output, dict) else None
            if turn is not None:
                sections.append(_turn_section(label, turn))
    if not sections:
        return f"No agent turns or agent-edited cells in the saved `{path.name}` (unsaved turns are not in it yet: save first)."
    return f"**Agent audit of `{path.name}`**\n\n" + "\n\n".join(sections)


def _record(metadata: Any) -> dict[str, Any] | None:
    record = metadata.get(KEY) if isinstance(metadata, dict) else None
    return record if isinstance(record, dict) else None


def _label(number: int, cell: dict[str, Any]) -> str:
    count = cell.get("execution_count")
    return f"Cell {number}" + (f" (In [{count}])" if isinstance(count, int) else "")


def _turn_section(label: str, rec: dict[str, Any]) -> str:
    outcome = str(rec.get("outcome", "?")) + (f" ({rec['reason']})" if rec.get("reason") else "")
    lines = [f"#### {label}: agent turn, {_time(rec.get('started'))}, {outcome}",
             f"- session {_code(rec.get('session_id'))}, turn {_code(rec.get('turn_id'))}; model "
             f"{_code(rec.get('model'))} ({rec.get('provider', '?')}); approval policy {rec.get('approval_policy', '?')}, "
             f"sandbox {rec.get('sandbox', '?')}"]
    tools = [_tool(t) for t in _dicts(rec.get("tools"))]
    lines.append("- tools: " + ("; ".join(tools) if tools else "none"))
    approvals = [f"{a.get('tool')} {_code(a.get('call_id'))}: **{a.get('decision')}** "
                 f"(policy {a.get('policy')}, {_time(a.get('time'))})" for a in _dicts(rec.get("approvals"))]
    lines.append("- approvals: " + ("; ".join(approvals) if approvals else "none asked"))
    files = [_file(f) for f in _dicts(rec.get("files"))]
    lines.append("- files changed: " + ("; ".join(files) if files else "none"))
    usage = rec.get("token_usage")
    if isinstance(usage, dict) and isinstance(usage.get("total_tokens"), int):
        lines.append(f"- tokens used by the session so far: {usage['total_tokens']:,}")
    return "\n".join(lines)


def _edit_section(label: str, rec: dict[str, Any]) -> str:
    return (f"#### {label}: {rec.get('action', 'changed')} by the agent, {_time(rec.get('time'))}\n"
            f"- session {_code(rec.get('session_id'))}, turn {_code(rec.get('turn_id'))}; model "
            f"{_code(rec.get('model'))} ({rec.get('provider', '?')})")


def _tool(tool: dict[str, Any]) -> str:
    name = str(tool.get("tool", "?"))
    if isinstance(tool.get("argv"), list):
        what = _code(_short(shlex.join(str(a) for a in tool["argv"])))
    elif isinstance(tool.get("files"), list):
        what = ", ".join(_code(f) for f in tool["files"]) + (" (auto-approved)" if tool.get("auto_approved") else "")
    elif tool.get("code_first_line") is not None:
        what = _code(_short(str(tool["code_first_line"]))) + f" (sha256 {str(tool.get('code_sha256', ''))[:12]})"
    else:
        what = ""
    result = f"exit {tool['exit_code']}" if isinstance(tool.get("exit_code"), int) else str(tool.get("status", "?"))
    return f"{name} {what} → {result}".replace("  ", " ")


def _file(entry: dict[str, Any]) -> str:
    name = _code(entry.get("path")) + (f" → {_code(entry['move_path'])}" if entry.get("move_path") else "")
    hashes = f"{_hash(entry.get('before_sha256'))} → {_hash(entry.get('after_sha256'))}"
    note = f" ({entry['note']})" if entry.get("note") else ""
    return f"{name} {entry.get('change', '?')}, sha256 {hashes}{note}"


def _hash(value: Any) -> str:
    return f"`{value[:12]}`" if isinstance(value, str) else "none"


def _time(value: Any) -> str:
    """An ISO time as `2026-12-03 15:00:01 UTC`."""
    if not isinstance(value, str):
        return "time unknown"
    return value.replace("T", " ").replace("+00:00", " UTC")


def _short(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _code(value: Any) -> str:
    """`value` as inline code that its own backticks cannot break."""
    text = str(value) if value is not None else "?"
    fence = "``" if "`" in text else "`"
    return f"{fence} {text} {fence}" if fence == "``" else f"`{text}`"


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []
