"""Both shipped notebooks run headlessly (nbclient, the venv's python3 kernel) against the
scripted model server and complete without errors.

The model's replies are scripted per turn: `RoutedServer` picks the reply queue whose key
appears in the turn's prompt (the last user message of a request), so a turn that is
stopped before its request goes out cannot shift the replies of later turns. The agent
home's config sets `approval_policy = "never"` because nbclient cannot click Approve; the
notebooks' text explains the buttons an interactive run shows.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections import deque
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tests.notebooks.agent_home import scripted_home
from tests.scripted_server import (
    Reply,
    ScriptedServer,
    ToolCall,
    _read_request,
    _send_reply,
    _send_simple,
)

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
KEY = "sk-notebook-test-0123456789abcdef"


class RoutedServer(ScriptedServer):
    """A ScriptedServer whose replies are chosen by the turn's prompt, not FIFO."""

    def __init__(self) -> None:
        super().__init__()
        self.routes: dict[str, deque[Reply]] = {}

    def route(self, prompt_part: str, *replies: Reply) -> None:
        self.routes.setdefault(prompt_part, deque()).extend(replies)

    async def _one_request(self, reader, writer) -> bool:  # type: ignore[override]
        request = await _read_request(reader)
        if request is None:
            return False
        with self._seen:
            self.requests.append(request)
            self._seen.notify_all()
        prompt = last_user_text(request.json or {})
        with self._lock:
            queue = next((q for key, q in self.routes.items() if key in prompt and q), None)
            reply = queue.popleft() if queue else None
        if reply is None:
            print(f"routed server: no reply for prompt {prompt!r}", file=sys.stderr)
            await _send_simple(writer, 500, "text/plain", b"routed server: no reply for this prompt")
            return True
        return await _send_reply(writer, reply, request)


def last_user_text(body: dict) -> str:
    for item in reversed(body.get("input", [])):
        if item.get("type") == "message" and item.get("role") == "user":
            texts = [c.get("text", "") for c in item.get("content", []) if isinstance(c, dict)]
            if not any(t.startswith("<environment_context>") for t in texts):
                return "\n".join(texts)
    return ""


def tool_outputs(server: ScriptedServer) -> dict[str, str]:
    found: dict[str, str] = {}
    for request in server.requests:
        for item in (request.json or {}).get("input", []):
            if item.get("type") == "function_call_output":
                found[item["call_id"]] = item["output"] if isinstance(item["output"], str) else json.dumps(item["output"])
    return found


@pytest.fixture
def server():
    with RoutedServer() as srv:
        yield srv


@pytest.fixture
def env(tmp_path: Path, server: RoutedServer, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An agent home pointing at the server, in the environment the kernel inherits."""
    return scripted_home(tmp_path / "home", server.url, KEY, monkeypatch)


def execute(name: str, work: Path, headless: dict[str, str] | None = None) -> nbformat.NotebookNode:
    """Run the notebook; `headless` replaces cells (source -> source) nbclient cannot play."""
    shutil.copy(NOTEBOOKS / name, work / name)
    nb = nbformat.read(work / name, as_version=4)
    nbformat.validate(nb)
    assert all(not c.get("outputs") and not c.get("execution_count") for c in nb.cells if c.cell_type == "code"), \
        f"{name} must be committed without outputs"
    for cell in nb.cells:
        cell.source = (headless or {}).get(cell.source, cell.source)
    client = NotebookClient(nb, kernel_name="python3", timeout=60, startup_timeout=60,
                            resources={"metadata": {"path": str(work)}})
    client.execute()  # raises CellExecutionError on any error not tagged raises-exception
    return nb


def cell_text(cell: nbformat.NotebookNode) -> str:
    """Everything a reader of the saved notebook sees: markdown, plain text, streams."""
    parts = []
    for output in cell.get("outputs", []):
        if output.output_type == "stream":
            parts.append(output.text)
        elif "data" in output:
            parts.append(output.data.get("text/markdown", "") or output.data.get("text/plain", ""))
    return "\n".join(parts)


def code_cells(nb: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [c for c in nb.cells if c.cell_type == "code"]


def by_source(nb: nbformat.NotebookNode, start: str) -> nbformat.NotebookNode:
    return next(c for c in code_cells(nb) if c.source.startswith(start))


HELLO_PATCH = ("*** Begin Patch\n*** Add File: hello.py\n"
               "+print(\"Hello from kernel-agent!\")\n*** End Patch\n")


def test_quickstart_runs_headlessly(tmp_path, server, env):
    work = tmp_path / "work"
    work.mkdir()
    (work / "data.csv").write_text("a,b\n1,2\n")
    server.route("List the files",
                 Reply(tool_calls=[ToolCall("shell", {"command": ["bash", "-lc", "ls"]}, "call_ls")]),
                 Reply(text="This folder holds **quickstart.ipynb** and a small **data.csv**."))
    server.route("Create hello.py",
                 Reply(tool_calls=[ToolCall("apply_patch", {"input": HELLO_PATCH}, "call_patch")]),
                 Reply(text="Created `hello.py`; run it with `%run hello.py`."))
    server.route("Run the whole test suite", Reply(text="Running the suite", stall_after=3, stall_seconds=20))
    server.route("Sum up what we did", Reply(text="We listed the folder, added hello.py and undid it."))

    # The tour turns on `untrusted` right before the patch so that a reader sees the buttons;
    # nbclient cannot click them, so this run keeps the home's `never`.
    tour = nbformat.read(NOTEBOOKS / "quickstart.ipynb", as_version=4)
    sources = [c.source for c in code_cells(tour)]
    assert sources[sources.index("%agent approvals untrusted") + 1].startswith("%%agent --wait\nCreate hello.py")
    nb = execute("quickstart.ipynb", work, headless={"%agent approvals untrusted": "%agent approvals never"})

    assert "**model:** gpt-4.1" in cell_text(by_source(nb, "%agent status"))
    assert "small **data.csv**" in cell_text(by_source(nb, "%%agent --wait\nList the files"))
    assert "data.csv" in tool_outputs(server)["call_ls"]
    created = cell_text(by_source(nb, "%%agent --wait\nCreate hello.py"))
    assert "Created `hello.py`" in created and "hello.py" in created
    assert cell_text(by_source(nb, "%run hello.py")) == "Hello from kernel-agent!\n"
    assert '+print("Hello from kernel-agent!")' in cell_text(by_source(nb, "%agent diff"))
    assert "Resumed session" in cell_text(by_source(nb, "%agent resume"))
    undone = cell_text(by_source(nb, "%agent undo"))  # awaited in its own cell, not in a later one
    assert "Undone." in undone and "hello.py" in undone and not (work / "hello.py").exists()
    assert "List the files" in cell_text(by_source(nb, "%agent sessions"))
    summary = cell_text(by_source(nb, "%%agent --wait\nSum up"))
    assert "We listed the folder, added hello.py and undid it." in summary
    last = server.requests[-1].body.decode()
    assert "List the files in this folder" in last and "Create hello.py" in last  # the resumed history
    for cell in code_cells(nb):
        assert not any(o.output_type == "error" for o in cell.outputs), cell.source
        assert KEY not in json.dumps(cell.outputs)


def test_data_analysis_runs_headlessly(tmp_path, server, env):
    work = tmp_path / "work"
    work.mkdir()
    config = env / "config.toml"  # run_python runs unasked under `never` only with danger-full-access
    config.write_text(config.read_text().replace('approval_policy = "never"\n', 'approval_policy = "never"\nsandbox_mode = "danger-full-access"\n', 1))
    fix = ('orders["unit_price"] = pd.to_numeric(orders["unit_price"], errors="coerce")\n'
           'orders["revenue"] = orders["units"] * orders["unit_price"]\n'
           'orders[["order_id", "unit_price", "revenue"]]')
    explanation = ("`unit_price` holds text (dtype object) and order 1004 has the placeholder `'n/a'`, which "
                   "`astype(float)` cannot convert, hence the ValueError. I converted the column with "
                   "`pd.to_numeric(..., errors=\"coerce\")`, so 'n/a' becomes NaN, and computed `revenue`.")
    server.route("The last cell failed",
                 Reply(tool_calls=[ToolCall("last_error", {}, "call_err")]),
                 Reply(tool_calls=[ToolCall("kernel_variables", {"name": "orders"}, "call_vars")]),
                 Reply(tool_calls=[ToolCall("run_python", {"code": fix}, "call_fix")]),
                 Reply(text=explanation))

    nb = execute("data-analysis.ipynb", work)

    failing = by_source(nb, 'orders["revenue"]')
    [error] = [o for o in failing.outputs if o.output_type == "error"]
    assert error.ename == "ValueError" and "n/a" in error.evalue

    seen = tool_outputs(server)
    assert "ValueError" in seen["call_err"] and "could not convert string to float: 'n/a'" in seen["call_err"]
    assert "astype(float)" in seen["call_err"]
    assert "shape: 6 rows x 4 columns" in seen["call_vars"]
    assert "unit_price: object" in seen["call_vars"] or "unit_price: str" in seen["call_vars"]
    assert "NaN" in seen["call_fix"] and "error:" not in seen["call_fix"]

    answer = cell_text(by_source(nb, "%%agent --wait"))
    assert "hence the ValueError" in answer and "last_error" in answer and "run_python" in answer
    totals = cell_text(by_source(nb, 'orders.groupby("region")'))
    assert "north    62.5" in totals and "south    48.0" in totals and "east     61.0" in totals
    for cell in code_cells(nb):
        assert KEY not in json.dumps(cell.outputs)
