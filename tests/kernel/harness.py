"""A headless Jupyter front end for kernel-level tests, on `jupyter_client`.

    k = Kernel(cwd=work, env=env).start()
    reply = k.run("%load_ext agent")             # execute, wait for execute_reply + idle
    msg_id = k.submit("%%agent\\nfix the bug")     # don't wait
    view = k.wait_for_view(msg_id)               # the AnyModel widget the cell displayed
    k.wait_for(lambda: view.phase == "done")     # pumps iopub/shell while waiting
    k.send_custom(view.comm_id, {"kind": "stop"})
    k.interrupt(); k.restart(); k.stop()

Every iopub message is kept (`k.iopub`, in arrival order, also indexed by parent msg_id);
shell replies are kept by parent msg_id. Widget state is tracked from `comm_open` and
`comm_msg` (`method: update`), as a browser's widget manager would, and the %%agent
widget's transcript from its patches (`method: custom`, type `transcript`) as its view would.
"""

from __future__ import annotations

import json
import queue
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jupyter_client import KernelManager

from tests.frontends.patch_applier import Applier

POLL_S = 0.02


class KernelTimeout(AssertionError):
    pass


@dataclass
class Widget:
    comm_id: str
    parent: str | None
    state: dict[str, Any] = field(default_factory=dict)
    updates: int = 0
    patches: Applier = field(default_factory=Applier)
    closed: bool = False

    @property
    def model_name(self) -> str | None:
        return self.state.get("_model_name")

    # AgentView (anywidget) streams its transcript as patches; the synced trait `state` holds
    # it at the start and at the end of the turn.
    @property
    def agent(self) -> dict[str, Any]:
        return self.patches.state() if self.patches.synced else (self.state.get("state") or {})

    @property
    def blocks(self) -> list[dict[str, Any]]:
        return list(self.agent.get("blocks") or [])

    @property
    def status(self) -> dict[str, Any]:
        return dict(self.agent.get("status") or {})

    @property
    def phase(self) -> str | None:
        return self.status.get("state")

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [b for b in self.blocks if b.get("kind") == kind]

    def pending_approvals(self) -> list[dict[str, Any]]:
        return [b for b in self.of_kind("approval") if b.get("status") == "pending"]

    def agent_text(self) -> str:
        return "\n".join(b.get("text", "") for b in self.of_kind("agent"))


@dataclass
class Execution:
    msg_id: str
    reply: dict[str, Any]
    messages: list[dict[str, Any]]

    @property
    def status(self) -> str:
        return self.reply["content"]["status"]

    def of_type(self, *types: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m["msg_type"] in types]

    def stdout(self) -> str:
        return "".join(m["content"]["text"] for m in self.of_type("stream") if m["content"]["name"] == "stdout")

    def stderr(self) -> str:
        return "".join(m["content"]["text"] for m in self.of_type("stream") if m["content"]["name"] == "stderr")

    def errors(self) -> list[dict[str, Any]]:
        return [m["content"] for m in self.of_type("error")]

    def result(self) -> str | None:
        results = self.of_type("execute_result")
        return results[-1]["content"]["data"].get("text/plain") if results else None

    def markdown(self) -> str:
        """Every text/markdown the cell displayed (display_data, execute_result, updates)."""
        kinds = ("display_data", "update_display_data", "execute_result")
        return "\n".join(m["content"]["data"].get("text/markdown", "") for m in self.of_type(*kinds))

    def payload_text(self) -> str:
        """Pager payloads (what `%magic?` shows in a notebook)."""
        pages = [p for p in self.reply["content"].get("payload", []) if p.get("source") == "page"]
        return "\n".join(p["data"].get("text/plain", "") for p in pages)


class Kernel:
    def __init__(self, cwd: Path | str, env: dict[str, str], kernel_name: str = "python3"):
        self.cwd = str(cwd)
        self.env = env
        self.km = KernelManager(kernel_name=kernel_name)
        self.kc: Any = None
        self.iopub: list[dict[str, Any]] = []
        self.by_parent: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.replies: dict[str, dict[str, Any]] = {}
        self.widgets: dict[str, Widget] = {}

    # --- lifecycle ------------------------------------------------------------------------

    def start(self, timeout: float = 60) -> Kernel:
        self.km.start_kernel(cwd=self.cwd, env=self.env)
        self._connect(timeout)
        return self

    def _connect(self, timeout: float) -> None:
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=timeout)
        self.pump(0.05)

    def stop(self) -> None:
        if self.kc is not None:
            self.kc.stop_channels()
        if self.km.has_kernel:
            self.km.shutdown_kernel(now=True)

    def restart(self, timeout: float = 60) -> None:
        """A kernel restart (the toolbar's ⟳): a new process, same connection and env."""
        self.kc.stop_channels()
        self.km.restart_kernel(now=True)
        self.widgets.clear()
        self.by_parent.clear()  # message ids may repeat after a restart
        self.replies.clear()
        self._connect(timeout)

    def interrupt(self) -> None:
        self.km.interrupt_kernel()

    # --- message pump ---------------------------------------------------------------------

    def pump(self, duration: float = POLL_S) -> None:
        """Read whatever arrives on iopub and shell within `duration` seconds."""
        deadline = time.monotonic() + duration
        while True:
            got = self._read_one(self.kc.get_iopub_msg, self._on_iopub)
            got |= self._read_one(self.kc.get_shell_msg, self._on_shell)
            if not got and time.monotonic() >= deadline:
                return
            if not got:
                time.sleep(0.005)

    @staticmethod
    def _read_one(get: Callable[..., Any], handle: Callable[[dict[str, Any]], None]) -> bool:
        try:
            msg = get(timeout=0)
        except queue.Empty:
            return False
        handle(msg)
        return True

    def _on_iopub(self, msg: dict[str, Any]) -> None:
        self.iopub.append(msg)
        parent = msg.get("parent_header", {}).get("msg_id")
        if parent:
            self.by_parent[parent].append(msg)
        kind, content = msg["msg_type"], msg["content"]
        if kind == "comm_open":
            state = dict(content.get("data", {}).get("state", {}))
            self.widgets[content["comm_id"]] = Widget(content["comm_id"], parent, state)
        elif kind == "comm_msg":
            widget = self.widgets.get(content["comm_id"])
            data = content.get("data", {})
            if widget is not None and data.get("method") == "update":
                widget.state.update(data.get("state", {}))
                widget.updates += 1
            custom = data.get("content") if data.get("method") == "custom" else None
            if widget is not None and isinstance(custom, dict) and custom.get("type") == "transcript":
                widget.patches.apply(custom)
        elif kind == "comm_close":  # a finished turn's view is closed; keep what it showed
            widget = self.widgets.get(content["comm_id"])
            if widget is not None:
                widget.closed = True

    def _on_shell(self, msg: dict[str, Any]) -> None:
        parent = msg.get("parent_header", {}).get("msg_id")
        if parent:
            self.replies[parent] = msg

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 15, what: str = "condition") -> Any:
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise KernelTimeout(f"timed out after {timeout} s waiting for {what}")
            self.pump(POLL_S)

    # --- execution ------------------------------------------------------------------------

    def submit(self, code: str, *, stop_on_error: bool = True) -> str:
        return self.kc.execute(code, stop_on_error=stop_on_error)

    def idle(self, msg_id: str) -> bool:
        return any(m["msg_type"] == "status" and m["content"]["execution_state"] == "idle" for m in self.by_parent[msg_id])

    def finished(self, msg_id: str) -> bool:
        return msg_id in self.replies and self.idle(msg_id)

    def collect(self, msg_id: str, timeout: float = 30) -> Execution:
        self.wait_for(lambda: self.finished(msg_id), timeout, f"execution {msg_id} to finish")
        return Execution(msg_id, self.replies[msg_id], list(self.by_parent[msg_id]))

    def run(self, code: str, timeout: float = 30, *, ok: bool = True) -> Execution:
        execution = self.collect(self.submit(code), timeout)
        if ok:
            assert execution.status == "ok", (code, execution.reply["content"], execution.errors())
        return execution

    # --- widgets --------------------------------------------------------------------------

    def views(self, parent: str | None = None, model: str = "AnyModel") -> list[Widget]:
        return [w for w in self.widgets.values() if w.model_name == model and (parent is None or w.parent == parent)]

    def wait_for_view(self, parent: str, timeout: float = 15) -> Widget:
        return self.wait_for(lambda: next(iter(self.views(parent)), None), timeout, f"an agent view from {parent}")

    def send_comm_msg(self, comm_id: str, data: dict[str, Any]) -> None:
        msg = self.kc.session.msg("comm_msg", {"comm_id": comm_id, "data": data})
        self.kc.shell_channel.send(msg)

    def send_custom(self, comm_id: str, content: dict[str, Any]) -> None:
        """What anywidget's `model.send(content)` puts on the wire from the browser."""
        self.send_comm_msg(comm_id, {"method": "custom", "content": content})

    def decide(self, view: Widget, decision: str, call_id: str | None = None) -> str:
        """Click a button of the (first) pending approval; returns its call_id."""
        if call_id is None:
            pending = self.wait_for(view.pending_approvals, what="a pending approval")
            call_id = pending[0]["call_id"]
        self.send_custom(view.comm_id, {"kind": "decision", "call_id": call_id, "decision": decision})
        return call_id

    # --- inspection -----------------------------------------------------------------------

    def all_messages_text(self) -> str:
        return "\n".join(json.dumps(m, default=str) for m in self.iopub)
