"""What one agent turn did, for the cell's saved output: `metadata["kernel-agent"]`.

    provenance = TurnProvenance()
    provenance.apply(event)                      # the same events as the cell's view
    provenance.record_decision(call_id, "approved")
    provenance.metadata()                        # JSON-able dict, saved in the .ipynb

The record (version 1):

    session_id, turn_id, model, provider, approval_policy, sandbox
    started, ended        UTC ISO-8601 times (when this view saw the turn start / end)
    outcome               running | completed | failed | aborted (`reason`: interrupted, ...)
    tools                 [{call_id, tool, status, ...}]: shell -> argv, exit_code (none when
                          it never ran: status `declined` by the user, `refused` by a policy);
                          apply_patch -> files, auto_approved; run_python -> code_sha256,
                          code_first_line; any tool -> success
    approvals             [{call_id, tool, decision, policy, time}] (the decisions given)
    files                 [{path, change, move_path?, before_sha256, after_sha256, note?}]:
                          what apply_patch changed, then what else the turn's end-of-turn
                          workspace diff (`turn_diff`) names (files commands or run_python
                          changed); hashed when the record is first asked for after the turn
                          (null: no file). The earlier content is rebuilt by undoing the
                          turn's patches, else that diff, on the file as it is now; when
                          neither can rebuild it exactly, `before_sha256` is null with a `note`
    token_usage           the session's token totals after this turn

It holds only what the cell shows (argv, paths, the first line of run_python's code) and
hashes: no model text, no command output, nothing from the environment. Events reaching
a front end are already redacted; every string is masked once more here (`Redactor`:
anything shaped like an API key becomes `[REDACTED]`).
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import stat
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable

from agent.protocol import events as ev

VERSION = 1
MAX_HASHED_BYTES = 64 * 1024 * 1024
"""A file larger than this is not read to be hashed (its entry says so)."""

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class _FileHistory:
    """The successful apply_patch changes of one file during the turn, in order."""

    path: str
    move_path: str | None = None
    ops: list[tuple[str, str]] = field(default_factory=list)
    """("add", content) | ("delete", content) | ("update", unified diff)."""


class TurnProvenance:
    def __init__(self, *, clock: Clock = utc_now):
        self._clock = clock
        self._config: dict[str, Any] = {}
        self._turn_id: str | None = None
        self._started: str | None = None
        self._ended: str | None = None
        self._outcome = "running"
        self._reason: str | None = None
        self._had_error = False
        self._tools: dict[str, dict[str, Any]] = {}
        self._requests: dict[str, str] = {}
        """Approval requests not decided yet: call_id -> tool."""
        self._approvals: list[dict[str, Any]] = []
        self._files: dict[str, _FileHistory] = {}
        self._file_order: list[_FileHistory] = []
        self._usage: dict[str, int] | None = None
        self._cwd = "."
        self._workspace_diff = ""
        """The latest `turn_diff` (at the end of a turn: everything it changed, by any tool)."""
        self._frozen_files: list[dict[str, Any]] | None = None

    # --- events -------------------------------------------------------------------------

    def apply(self, event: ev.Event) -> None:
        handler = getattr(self, f"_on_{event.msg.type}", None)
        if handler is not None:
            handler(event.id, event.msg)

    def _on_session_configured(self, _id: str, m: ev.SessionConfigured) -> None:
        self._config = {"session_id": m.session_id, "model": m.model, "provider": m.model_provider_id,
                        "approval_policy": m.approval_policy, "sandbox": m.sandbox_policy.type}
        self._cwd = m.cwd

    def _on_task_started(self, sub_id: str, _m: ev.TaskStarted) -> None:
        if self._started is None:
            self._turn_id, self._started = sub_id, self._now()

    def _on_task_complete(self, _id: str, _m: ev.TaskComplete) -> None:
        self._end("failed" if self._had_error else "completed", None)

    def _on_turn_aborted(self, _id: str, m: ev.TurnAborted) -> None:
        self._end("aborted", m.reason)

    def _on_shutdown_complete(self, _id: str, _m: ev.ShutdownComplete) -> None:
        self._end("aborted", "shutdown")

    def _on_error(self, _id: str, _m: ev.Error) -> None:
        self._had_error = True

    def _on_token_count(self, _id: str, m: ev.TokenCount) -> None:
        if m.info is not None:
            self._usage = m.info.total_token_usage.model_dump()

    def _on_exec_command_begin(self, _id: str, m: ev.ExecCommandBegin) -> None:
        self._tool(m.call_id, "shell", argv=list(m.command))

    def _on_exec_command_end(self, _id: str, m: ev.ExecCommandEnd) -> None:
        entry = self._tool(m.call_id, "shell", argv=list(m.command))
        if m.refused:  # a policy refused it: it never ran, its -1 is a placeholder
            entry["status"] = "refused"
        elif entry["status"] != "declined":  # a declined command's -1 is a placeholder
            entry.update(exit_code=m.exit_code, status="ok" if m.exit_code == 0 else "failed")

    def _on_exec_approval_request(self, _id: str, m: ev.ExecApprovalRequest) -> None:
        self._tool(m.call_id, "shell", argv=list(m.command))
        self._requests[m.call_id] = "shell"

    def _on_apply_patch_approval_request(self, _id: str, m: ev.ApplyPatchApprovalRequest) -> None:
        self._tool(m.call_id, "apply_patch", files=_paths(m.changes))
        self._requests[m.call_id] = "apply_patch"

    def _on_patch_apply_begin(self, _id: str, m: ev.PatchApplyBegin) -> None:
        self._tool(m.call_id, "apply_patch", files=_paths(m.changes), auto_approved=m.auto_approved)

    def _on_patch_apply_end(self, _id: str, m: ev.PatchApplyEnd) -> None:
        entry = self._tool(m.call_id, "apply_patch")
        if m.changes:
            entry["files"] = _paths(m.changes)
        entry["status"] = "applied" if m.success else "failed"
        if m.success:
            for path, change in m.changes.items():
                self._file_changed(path, change)

    def _on_turn_diff(self, _id: str, m: ev.TurnDiff) -> None:
        self._workspace_diff = m.unified_diff

    def _on_tool_call_begin(self, _id: str, m: ev.ToolCallBegin) -> None:
        entry = self._tool(m.call_id, m.name)
        if m.name == "run_python":
            code = _argument(m.arguments, "code")
            if code is not None:
                entry["code_sha256"] = hashlib.sha256(code.encode()).hexdigest()
                entry["code_first_line"] = code.strip().split("\n", 1)[0][:200]

    def _on_tool_call_end(self, _id: str, m: ev.ToolCallEnd) -> None:
        entry = self._tool(m.call_id, m.name)
        entry["success"] = m.success
        if entry["status"] == "running":
            entry["status"] = "ok" if m.success else "failed"

    # --- decisions ----------------------------------------------------------------------

    def record_decision(self, call_id: str, decision: str) -> bool:
        """A decision given on a pending request of this turn (the first one counts)."""
        tool = self._requests.pop(call_id, None)
        if tool is None:
            return False
        self._approvals.append({"call_id": call_id, "tool": tool, "decision": decision,
                                "policy": self._config.get("approval_policy"), "time": self._now()})
        if decision in ("denied", "abort") and call_id in self._tools:
            self._tools[call_id]["status"] = "declined"
        return True

    # --- the record ---------------------------------------------------------------------

    def metadata(self) -> dict[str, Any]:
        """The JSON-able record (module docstring). Files are hashed the first time it is
        asked for after the turn ended (and on every call while it runs)."""
        files = self._frozen_files
        if files is None:
            files = _file_records(self._file_order, _sections(self._workspace_diff), self._cwd)
            if self._ended is not None:
                self._frozen_files = files
        record = {
            "version": VERSION, **self._config, "turn_id": self._turn_id,
            "started": self._started, "ended": self._ended, "outcome": self._outcome,
            **({"reason": self._reason} if self._reason else {}),
            "tools": [self._final(t) for t in self._tools.values()],
            "approvals": list(self._approvals), "files": files, "token_usage": self._usage,
        }
        return _masked(json.loads(json.dumps(record)))

    # --- helpers ------------------------------------------------------------------------

    def _now(self) -> str:
        return self._clock().astimezone(timezone.utc).isoformat(timespec="seconds")

    def _end(self, outcome: str, reason: str | None) -> None:
        if self._ended is None and self._started is not None:
            self._ended, self._outcome, self._reason = self._now(), outcome, reason

    def _tool(self, call_id: str, name: str, **fields: Any) -> dict[str, Any]:
        entry = self._tools.get(call_id)
        if entry is None:
            entry = self._tools[call_id] = {"call_id": call_id, "tool": name, "status": "running"}
        entry.update(fields)
        return entry

    def _final(self, entry: dict[str, Any]) -> dict[str, Any]:
        """A tool still running when the turn ended was stopped with it."""
        if self._ended is not None and entry["status"] == "running":
            return {**entry, "status": "aborted"}
        return dict(entry)

    def _file_changed(self, path: str, change: ev.FileChange) -> None:
        history = self._files.pop(path, None)
        if history is None:
            history = _FileHistory(path)
            self._file_order.append(history)
        if isinstance(change, ev.FileAdd):
            history.ops.append(("add", change.content))
        elif isinstance(change, ev.FileDelete):
            history.ops.append(("delete", change.content))
        else:
            history.ops.append(("update", change.unified_diff))
            if change.move_path:
                history.move_path = change.move_path
        self._files[history.move_path or path] = history


def _paths(changes: dict[str, ev.FileChange]) -> list[str]:
    out = []
    for path, change in changes.items():
        move = getattr(change, "move_path", None)
        out.append(f"{path} -> {move}" if move else path)
    return out


def _argument(arguments: str, name: str) -> str | None:
    try:
        value = json.loads(arguments).get(name)
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


def _masked(record: dict[str, Any]) -> dict[str, Any]:
    from agent.core.api import Redactor

    return Redactor().data(record)


# --- files --------------------------------------------------------------------------------


class _Unknown(Exception):
    """The content before the turn cannot be rebuilt from the file and the turn's patches."""


def _file_records(histories: list[_FileHistory], workspace: dict[str, str], cwd: str) -> list[dict[str, Any]]:
    """One entry per file apply_patch changed, then per other file the turn's workspace diff names."""
    records = [_patched_record(h, workspace, cwd) for h in histories]
    patched = {p for h in histories for p in (h.path, h.move_path) if p}
    return records + [_diff_record(path, section, cwd) for path, section in workspace.items() if path not in patched]


def _patched_record(history: _FileHistory, workspace: dict[str, str], cwd: str) -> dict[str, Any]:
    final_path = history.move_path or history.path
    section = workspace.get(final_path) if not history.move_path else None
    attempts: list[Callable[[bytes | None], bytes | None]] = [lambda after: _before(history.ops, after)]
    if section is not None:  # also changed by a command: the end-of-turn workspace diff may still tell
        attempts.append(lambda after: _before_from_section(section, after))
    record = _hashed({"path": history.path}, os.path.join(cwd, final_path), attempts, history.ops[0][0] != "add")
    if history.move_path:
        record = {"path": history.path, "move_path": history.move_path, **record, "change": "moved"}
    return record


def _diff_record(path: str, section: str, cwd: str) -> dict[str, Any]:
    """A file changed by something else than apply_patch (a command, run_python)."""
    existed = "\nnew file mode" not in section.partition("\n@@")[0] + "\n"
    return _hashed({"path": path}, os.path.join(cwd, path), [lambda after: _before_from_section(section, after)], existed)


def _hashed(record: dict[str, Any], path: str, attempts: list[Callable[[bytes | None], bytes | None]],
            existed: bool) -> dict[str, Any]:
    """`record` with the change and the hashes: the file now, and before the turn as the
    first of `attempts` that can rebuild it tells (`existed`: the guess when none can)."""
    try:
        after = _read(path)
    except _Unknown as err:
        return {**record, "change": "unknown", "before_sha256": None, "after_sha256": None, "note": str(err)}
    note = None
    for attempt in attempts:
        try:
            before = attempt(after)
            existed, note = before is not None, None
            break
        except _Unknown as err:
            before, note = None, note or str(err)
    record["change"] = ("updated" if after is not None else "deleted") if existed else ("added" if after is not None else "unchanged")
    record.update(before_sha256=_sha256(before), after_sha256=_sha256(after))
    return {**record, "note": note} if note else record


_LINE_BREAKS = "\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
"""Line breaks other than "\n" (Python's `splitlines` splits on them: such a diff is ambiguous)."""


def _before_from_section(section: str, after: bytes | None) -> bytes | None:
    """The file before the turn from its git-style section of the workspace diff."""
    head, at, hunks = section.partition("\n@@")
    if "\nnew file mode" in head + "\n":
        return None
    if not at and "\nold mode " in head + "\n":
        return after  # only the permission bits changed
    if not at:
        raise _Unknown("changed, but the turn's diff does not show how: the earlier hash is unknown")
    try:
        text = after.decode("utf-8") if after is not None else ""
    except UnicodeDecodeError as err:
        raise _Unknown("not UTF-8 text now: the earlier hash is unknown") from err
    if any(c in text or c in hunks for c in _LINE_BREAKS):
        raise _Unknown("has line breaks other than \\n: the earlier hash is unknown")
    return unapply_diff(text, "@@" + hunks).encode("utf-8")


def _sections(diff: str) -> dict[str, str]:
    """A git-style diff by file: path -> its section (header lines and hunks)."""
    out: dict[str, str] = {}
    for part in re.split(r"(?m)^(?=diff --git a/)", diff):
        first = part.split("\n", 1)[0].removeprefix("diff --git a/")
        name = first[: (len(first) - 3) // 2]  # "NAME b/NAME": both names are the same
        if part.startswith("diff --git a/") and first == f"{name} b/{name}":
            out[name] = part
    return out


def _sha256(content: bytes | None) -> str | None:
    return hashlib.sha256(content).hexdigest() if content is not None else None


def _read(path: str) -> bytes | None:
    """A regular file's bytes, None when there is none; a FIFO, device or oversized file is
    not read (it cannot be hashed without blocking or hogging the kernel)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    except OSError as err:
        raise _Unknown(f"not readable now: {os.strerror(err.errno or errno.EIO)}") from err
    try:
        with os.fdopen(fd, "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                raise _Unknown("not a regular file now")
            data = f.read(MAX_HASHED_BYTES + 1)
    except OSError as err:
        raise _Unknown(f"not readable now: {os.strerror(err.errno or errno.EIO)}") from err
    if len(data) > MAX_HASHED_BYTES:
        raise _Unknown(f"larger than {MAX_HASHED_BYTES >> 20} MiB: not hashed")
    return data


def _before(ops: list[tuple[str, str]], after: bytes | None) -> bytes | None:
    """The file before the first of `ops`, undoing them (latest first) on `after`."""
    try:
        content = after.decode("utf-8") if after is not None else None
    except UnicodeDecodeError as err:
        raise _Unknown("not UTF-8 text now: the earlier hash is unknown") from err
    for kind, payload in reversed(ops):
        if kind == "add":
            if content != payload:
                raise _Unknown(_CHANGED_ELSEWHERE)
            content = None
        elif kind == "delete":
            if content is not None:
                raise _Unknown(_CHANGED_ELSEWHERE)
            content = payload
        else:
            if content is None:
                raise _Unknown(_CHANGED_ELSEWHERE)
            content = unapply_diff(content, payload)
    return content.encode("utf-8") if content is not None else None


_CHANGED_ELSEWHERE = "also changed by something other than apply_patch: the earlier hash is unknown"


def unapply_diff(new: str, diff: str) -> str:
    """The text `diff` (hunks as the patch tool renders them: `@@ -a,b +c,d @@`, with
    `\\ No newline at end of file` markers) was made from, given the text it made."""
    lines = _split(new)
    for start, length, old_side, new_side in reversed(_hunks(diff)):
        index = start if length == 0 else start - 1
        if lines[index:index + length] != new_side:
            raise _Unknown(_CHANGED_ELSEWHERE)
        lines[index:index + length] = old_side
    return "".join(lines)


def _split(text: str) -> list[str]:
    """Lines with their "\\n" (the last one may lack it); split on "\\n" only."""
    parts = text.split("\n")
    lines = [p + "\n" for p in parts[:-1]]
    return lines + [parts[-1]] if parts[-1] else lines


def _hunks(diff: str) -> list[tuple[int, int, list[str], list[str]]]:
    """(new start, new length, old lines, new lines) of each hunk."""
    hunks: list[tuple[int, int, list[str], list[str]]] = []
    last: list[list[str]] = []
    """The sides the previous line went to (a context line is in both)."""
    for line in _split(diff):
        if line.startswith("@@"):
            hunks.append((*_new_range(line), [], []))
            last = []
        elif line.startswith("\\"):  # "\\ No newline at end of file": the previous line has none
            for side in last:
                side[-1] = side[-1].removesuffix("\n")
        elif hunks and line[:1] in (" ", "-", "+"):
            old_side, new_side = hunks[-1][2], hunks[-1][3]
            last = {" ": [old_side, new_side], "-": [old_side], "+": [new_side]}[line[0]]
            for side in last:
                side.append(line[1:])
    return hunks


def _new_range(header: str) -> tuple[int, int]:
    try:
        new = header.split("+", 1)[1].split(" ", 1)[0]
        start, _, length = new.partition(",")
        return int(start), int(length) if length else 1
    except (IndexError, ValueError) as err:
        raise _Unknown("unreadable patch hunk") from err
