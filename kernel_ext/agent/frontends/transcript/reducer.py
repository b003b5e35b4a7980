"""Session events -> one transcript state, shared by every view (widget, markdown, panel).

Pure: no I/O, no IPython. `Transcript.apply(event)` reduces an `Event`; `state()` returns a
fresh JSON-serialisable dict; `to_markdown()` renders that dict as a readable fallback.
`watch(fn)` calls `fn(kind)` after every change (`kind`: the event type, or one of
`LOCAL_CHANGES` for changes made by a view), so several consumers (the cell widget, the side
panel) can share one reduction; `patches.PatchCursor` turns the state into patches.

State (version 1): `{"version", "seq", "blocks": [...], "turn_diff": str | None, "status": {...}}`.
Every block has a stable `id`, a `kind` and a `rev` bumped on each change (renderers redraw
only blocks whose rev moved). A block's base rev (see `patch_blocks`) is the rev of its last
change other than its `text` growing (streamed answers and reasoning only grow): a consumer
holding a rev at least that recent needs only the new text. Kinds and their fields:

    user          text, images (a count)
    agent         text, streaming
    reasoning     text, streaming, raw
    command       call_id, argv, cwd, parsed_cmd, source, output (a bounded tail), truncated_bytes,
                  exit_code, duration_ms, status: waiting|running|ok|failed|declined|aborted|refused
                  (declined: the user said no; refused: a policy did, the output is its reason;
                  neither ran, so neither has an exit code)
    tool          call_id, name, arguments, output, omitted_chars, success, duration_ms,
                  status: running|ok|failed|aborted; an MCP call also has server, tool
                  (name: `server/tool`; its approval is an exec approval of `mcp server tool args`)
    patch         call_id, files, auto_approved, stdout, stderr, status: applying|applied|failed|aborted
    plan          explanation, items [{step, status}]   (one block, updated in place)
    approval      call_id, request: exec|patch, argv, cwd, parsed_cmd, files, reason, grant_root,
                  options, decision, status: pending|decided|aborted
    error         message, info, http_status
    stream_error  message, retry_in_ms, at (clock seconds), count: one line for consecutive
                  retries (the latest replaces the previous); dropped when an error follows it
    notice        level: info|warning, message

A file entry is `{path, change, move_path, diff, omitted_lines}` (see transcript_parts).
`status` holds `state` (queued|running|waiting_for_approval|done|aborted|error), `reason`,
`stopping`, `started_at`/`ended_at`/`now` (clock seconds), `elapsed_s`, `tokens_used`,
`context_window`, `context_left_percent`, `model`, `provider`, `approval_policy`,
`sandbox`, `sandbox_mechanism`, `cwd`, `session_id`. Nothing read from the environment is
ever put in the state: every string comes from an (already redacted) event.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from agent.protocol import events as ev

from .parts import DEFAULT_TAIL_BYTES, OutputTail
from .tools import EXEC_OPTIONS, PATCH_OPTIONS, ToolBlocks

__all__ = [
    "APPROVAL_EVENTS", "EXEC_OPTIONS", "LOCAL_CHANGES", "PATCH_OPTIONS", "TERMINAL_EVENTS", "Transcript", "URGENT",
    "URGENT_EVENTS",
]

APPROVAL_EVENTS = frozenset({"exec_approval_request", "apply_patch_approval_request"})
TERMINAL_EVENTS = frozenset({"task_complete", "turn_aborted", "shutdown_complete", "error"})
URGENT_EVENTS = TERMINAL_EVENTS | APPROVAL_EVENTS
"""Events after which a live view should sync at once instead of waiting for its next tick."""
LOCAL_CHANGES = frozenset({"decision", "stop", "note", "close"})
"""The `kind`s a watcher sees for changes made by a view (`record_decision`, `request_stop`,
`note`, `close`) rather than by an event; a user is waiting for them, so they are urgent."""
URGENT = URGENT_EVENTS | LOCAL_CHANGES
_DECISION_STATUS = {"denied": "declined", "abort": "aborted"}
Watcher = Callable[[str], None]


class Transcript(ToolBlocks):
    """The reducer. `clock` returns seconds since the epoch (injectable for tests)."""

    def __init__(self, *, clock: Callable[[], float] = time.time, output_tail_bytes: int = DEFAULT_TAIL_BYTES):
        self._clock = clock
        self._tail_bytes = output_tail_bytes
        self._blocks: list[dict[str, Any]] = []
        self._by_id: dict[str, dict[str, Any]] = {}
        self._base: dict[str, int] = {}
        self._watchers: list[Watcher] = []
        self.header_ids: set[str] = set()
        """Blocks made from `session_configured` (the same in every turn of a session)."""
        self._by_call: dict[tuple[str, str], dict[str, Any]] = {}
        self._pending: dict[str, dict[str, Any]] = {}
        self._parts: dict[str, list[str]] = {}
        self._tails: dict[str, OutputTail] = {}
        self._finals: dict[str, int] = {}
        self._dirty: set[str] = set()
        self._plan: dict[str, Any] | None = None
        self._turn_diff: str | None = None
        self._seq = 0
        self._next_id = 0
        self._had_error = False
        self._queued_prompt: str | None = None
        self._status: dict[str, Any] = {
            "phase": "running", "reason": None, "stopping": False, "started_at": clock(), "ended_at": None,
            "tokens_used": 0, "context_window": None, "context_left_percent": None, "model": None,
            "provider": None, "approval_policy": None, "sandbox": None, "sandbox_mechanism": None,
            "cwd": None, "session_id": None,
        }

    # --- public API ---------------------------------------------------------------------

    def apply(self, event: ev.Event) -> None:
        """Reduce one event; unknown or irrelevant event types only bump `seq`."""
        self._seq += 1
        kind = event.msg.type
        handler = _HANDLERS.get(kind)
        if handler is not None:
            handler(self, event.msg)
        for watcher in self._watchers:
            watcher(kind)

    def watch(self, watcher: Watcher) -> None:
        """Call `watcher(kind)` after every change (on the thread that made it)."""
        self._watchers.append(watcher)

    def unwatch(self, watcher: Watcher) -> None:
        if watcher in self._watchers:
            self._watchers.remove(watcher)

    def _changed(self, kind: str) -> None:
        self._seq += 1
        for watcher in self._watchers:
            watcher(kind)

    def record_decision(self, call_id: str, decision: str) -> bool:
        """Mark the pending approval for `call_id` as decided; False if there is none or the
        decision is not one of its options (a second click is therefore a no-op)."""
        block = self._pending.get(call_id)
        if block is None or decision not in block["options"]:
            return False
        del self._pending[call_id]
        self._touch(block, decision=decision, status="decided")
        command = self._by_call.get(("command", call_id))
        if block["request"] == "exec" and command is not None and command["status"] == "waiting":
            self._touch(command, status=_DECISION_STATUS.get(decision, "running"))
        self._changed("decision")
        return True

    def pending(self, call_id: str) -> bool:
        """True while the approval request for `call_id` awaits a decision."""
        return call_id in self._pending

    def request_stop(self) -> bool:
        """Note that the user asked to stop; False if the turn is over or a stop is pending."""
        if not self.active or self._status["stopping"]:
            return False
        self._status["stopping"] = True
        self._changed("stop")
        return True

    def note(self, level: str, message: str) -> None:
        """Add a view-side notice (`info`, `warning` or `error`), e.g. a failed callback."""
        if level == "error":
            self._add("error", message=message, info=None, http_status=None)
        else:
            self._add("notice", level=level, message=message)
        self._changed("note")

    def queue(self, prompt: str, note: str) -> None:
        """The turn waits behind another (state `queued`): show its prompt and `note` ("queued
        behind cell [3]"); its `user_message` event, when it starts, is not shown twice."""
        self._status.update(phase="queued", started_at=self._clock())
        self._queued_prompt = prompt
        self._add("user", text=prompt, images=0)
        self._add("notice", level="info", message=note)
        self._changed("note")

    def cancel(self, note: str) -> None:
        """A queued turn that will not run: `note` says why; the turn ends as aborted."""
        if self._status["phase"] == "queued":
            self._add("notice", level="warning", message=note)
            self._status.update(phase="aborted", reason="cancelled", stopping=False, ended_at=self._clock())
            self._changed("close")

    def close(self) -> None:
        """The event stream ended: a turn that never completed is marked aborted."""
        if self.active:
            self._abort_open("closed")
            self._changed("close")

    @property
    def active(self) -> bool:
        return self._status["phase"] in ("running", "queued")

    @property
    def seq(self) -> int:
        """Bumped by every event and every local change."""
        return self._seq

    @property
    def turn_diff(self) -> str | None:
        return self._turn_diff

    def status(self) -> dict[str, Any]:
        """A fresh copy of the state's `status`."""
        return self._status_dict()

    def patch_blocks(self) -> list[tuple[str, dict[str, Any], int]]:
        """(id, live block, base rev) in order, text and output up to date (a `PatchSource`).
        The base rev is the rev of the block's last change other than its `text` growing.
        Read-only: copy a block before changing or keeping it (nested values never change)."""
        self._materialize()
        base = self._base
        return [(block["id"], block, base[block["id"]]) for block in self._blocks]

    def state(self) -> dict[str, Any]:
        """A fresh JSON-serialisable snapshot (blocks are copies; nested values are never mutated)."""
        self._materialize()
        return {
            "version": 1,
            "seq": self._seq,
            "blocks": [dict(block) for block in self._blocks],
            "turn_diff": self._turn_diff,
            "status": self._status_dict(),
        }

    def to_markdown(self) -> str:
        from .markdown import render_markdown

        return render_markdown(self.state())

    # --- block bookkeeping --------------------------------------------------------------

    def _materialize(self) -> None:
        for block_id in self._dirty:
            block = self._by_id.get(block_id)
            if block is None:
                continue
            parts, tail = self._parts.get(block_id), self._tails.get(block_id)
            if parts is not None:
                joined = "".join(parts)
                self._parts[block_id] = [joined]
                block["text"] = joined
            if tail is not None:
                block["output"], block["truncated_bytes"] = tail.text(), tail.truncated
        self._dirty.clear()

    def _status_dict(self) -> dict[str, Any]:
        status = dict(self._status)
        phase = status.pop("phase")
        status["state"] = "waiting_for_approval" if phase == "running" and self._pending else phase
        now = self._clock()
        status["now"] = now
        status["elapsed_s"] = round((status["ended_at"] or now) - status["started_at"], 3)
        return status

    # --- streamed text ------------------------------------------------------------------

    def _streaming(self, kind: str, raw: bool = False) -> dict[str, Any] | None:
        for block in reversed(self._blocks):
            if block["kind"] == kind and block["streaming"] and block.get("raw", False) == raw:
                return block
        return None

    def _append_text(self, kind: str, delta: str, raw: bool = False) -> None:
        last = self._blocks[-1] if self._blocks else None
        if last is None or last["kind"] != kind or not last["streaming"] or last.get("raw", False) != raw:
            extra = {"raw": raw} if kind == "reasoning" else {}
            last = self._add(kind, text="", streaming=True, **extra)
            self._parts[last["id"]] = []
        self._parts[last["id"]].append(delta)
        self._dirty.add(last["id"])
        last["rev"] += 1

    def _set_text(self, block: dict[str, Any], text: str) -> None:
        """The block's final text; its stream ends. When the streamed text was a prefix of it
        (the usual case) the text only grew, so the base rev stays (consumers get an append)."""
        parts = self._parts.pop(block["id"], None)
        self._dirty.discard(block["id"])
        streamed = "".join(parts) if parts is not None else block["text"]
        if text.startswith(streamed):
            block.update(text=text, streaming=False)
            block["rev"] += 1
        else:
            self._touch(block, text=text, streaming=False)

    def _final_reasoning(self, text: str, raw: bool) -> None:
        last = self._blocks[-1] if self._blocks else None
        if last is not None and last["kind"] == "reasoning" and last["raw"] == raw and self._finals.get(last["id"]):
            self._materialize()
            self._set_text(last, last["text"] + "\n\n" + text)
        elif (block := self._streaming("reasoning", raw)) is not None:
            self._set_text(block, text)
            self._finals[block["id"]] = 1
        else:
            block = self._add("reasoning", text=text, streaming=False, raw=raw)
            self._finals[block["id"]] = 1

    def _stop_streaming(self, drop: bool) -> None:
        """End every streamed block; with `drop`, remove the unfinished ones (a retried stream resends them)."""
        for block in [b for b in self._blocks if b["kind"] in ("agent", "reasoning") and b["streaming"]]:
            if drop:
                self._blocks.remove(block)
                del self._by_id[block["id"]]
                self._parts.pop(block["id"], None)
                self._dirty.discard(block["id"])
            else:
                self._materialize()
                self._set_text(block, block["text"])

    # --- lifecycle ----------------------------------------------------------------------

    def _on_session_configured(self, m: ev.SessionConfigured) -> None:
        self._status.update(
            model=m.model, provider=m.model_provider_id, approval_policy=m.approval_policy,
            sandbox=m.sandbox_policy.type, sandbox_mechanism=m.sandbox_mechanism, cwd=m.cwd, session_id=m.session_id,
        )
        if m.sandbox_warning:
            self.header_ids.add(self._add("notice", level="warning", message=m.sandbox_warning)["id"])

    def _on_task_started(self, m: ev.TaskStarted) -> None:
        if self._status["phase"] != "running":
            self._status.update(phase="running", reason=None, stopping=False, started_at=self._clock(), ended_at=None)
            self._had_error = False
        if m.model_context_window:
            self._status["context_window"] = m.model_context_window

    def _on_task_complete(self, m: ev.TaskComplete) -> None:
        self._close_open()
        self._finish("error" if self._had_error else "done", None)

    def _on_turn_aborted(self, m: ev.TurnAborted) -> None:
        self._add("notice", level="warning", message=f"Turn aborted ({m.reason}).")
        self._abort_open(m.reason)

    def _on_shutdown_complete(self, m: ev.ShutdownComplete) -> None:
        if self.active:
            self._abort_open("shutdown")

    def _finish(self, phase: str, reason: str | None) -> None:
        if self.active:
            self._status.update(phase=phase, reason=reason, stopping=False, ended_at=self._clock())

    def _abort_open(self, reason: str) -> None:
        self._close_open()
        self._finish("aborted", reason)

    def _close_open(self) -> None:
        """End streamed text; anything still running or pending when the turn ends is aborted."""
        self._stop_streaming(drop=False)
        open_status = {"command": ("waiting", "running"), "tool": ("running",), "patch": ("applying",)}
        for block in self._blocks:
            if block.get("status") in open_status.get(block["kind"], ()):
                self._touch(block, status="aborted")
        for block in self._pending.values():
            self._touch(block, status="aborted")
        self._pending.clear()

    def _on_error(self, m: ev.Error) -> None:
        self._had_error = True
        last = self._blocks[-1] if self._blocks else None
        if last is not None and last["kind"] == "stream_error":  # the retries ended in this error
            self._blocks.remove(last)
            del self._by_id[last["id"]]
        self._add("error", message=m.message, info=m.codex_error_info, http_status=m.http_status_code)

    def _on_warning(self, m: ev.Warning) -> None:
        self._add("notice", level="warning", message=m.message)

    def _on_background_event(self, m: ev.BackgroundEvent) -> None:
        self._add("notice", level="info", message=m.message)

    def _on_undo_started(self, m: ev.UndoStarted) -> None:
        self._add("notice", level="info", message=m.message or "Undoing the last turn…")

    def _on_undo_completed(self, m: ev.UndoCompleted) -> None:
        text = m.message or ("Undo completed." if m.success else "Undo failed.")
        self._add("notice", level="info" if m.success else "warning", message=text)

    def _on_stream_error(self, m: ev.StreamError) -> None:
        self._stop_streaming(drop=True)
        last = self._blocks[-1] if self._blocks else None
        fields = {"message": m.message, "retry_in_ms": m.retry_in_ms, "at": self._clock()}
        if last is not None and last["kind"] == "stream_error":
            self._touch(last, count=last["count"] + 1, **fields)
        else:
            self._add("stream_error", count=1, **fields)

    def _on_token_count(self, m: ev.TokenCount) -> None:
        if m.info is None:
            return
        window = m.info.model_context_window or self._status["context_window"]
        in_context = m.info.last_token_usage.total_tokens
        self._status.update(
            tokens_used=m.info.total_token_usage.total_tokens, context_window=window,
            context_left_percent=ev.percent_of_context_left(in_context, window) if window else None,
        )

    # --- messages -----------------------------------------------------------------------

    def _on_user_message(self, m: ev.UserMessage) -> None:
        if self._queued_prompt is not None and m.message == self._queued_prompt:
            self._queued_prompt = None  # shown since the turn was queued
            return
        self._add("user", text=m.message, images=len(m.images or []))

    def _on_agent_message_delta(self, m: ev.AgentMessageDelta) -> None:
        self._append_text("agent", m.delta)

    def _on_agent_message(self, m: ev.AgentMessage) -> None:
        block = self._streaming("agent")
        if block is None:
            self._add("agent", text=m.message, streaming=False)
        else:
            self._set_text(block, m.message)

    def _on_agent_reasoning_delta(self, m: ev.AgentReasoningDelta) -> None:
        self._append_text("reasoning", m.delta)

    def _on_agent_reasoning_raw_content_delta(self, m: ev.AgentReasoningRawContentDelta) -> None:
        self._append_text("reasoning", m.delta, raw=True)

    def _on_agent_reasoning(self, m: ev.AgentReasoning) -> None:
        self._final_reasoning(m.text, raw=False)

    def _on_agent_reasoning_raw_content(self, m: ev.AgentReasoningRawContent) -> None:
        self._final_reasoning(m.text, raw=True)

    def _on_agent_reasoning_section_break(self, m: ev.AgentReasoningSectionBreak) -> None:
        block = self._streaming("reasoning")
        if block is not None and any(self._parts.get(block["id"], [])):
            self._append_text("reasoning", "\n\n")


_HANDLERS: dict[str, Callable[[Transcript, Any], None]] = {
    name[len("_on_"):]: getattr(Transcript, name) for name in dir(Transcript) if name.startswith("_on_")
}
"""Event type -> handler, looked up once (an event burst reduces tens of thousands of deltas)."""
