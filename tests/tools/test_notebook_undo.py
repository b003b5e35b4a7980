"""notebook_edit records each applied edit in the turn journal; undo reverses it through the
front end (notebook_undo.py). The front end here is a small in-memory notebook that
answers like labextension/src/notebook_edit.ts (its own behaviour is tested with jest)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from agent.protocol.panel import NotebookEditRequest
from agent.tools.base import ToolCall
from agent.tools.notebook_edit import NotebookEditTool
from agent.tools.notebook_undo import NotebookEditUndo

from .fakes import FakeCtx


class Notebook:
    """Cells as dicts; every request is validated against the wire model first."""

    def __init__(self, *sources: str):
        self.cells = [{"id": f"c{i}", "cell_type": "code", "source": s, "metadata": {}} for i, s in enumerate(sources)]
        self.connected = True
        self.requests: list[dict[str, Any]] = []
        self._ids = 100

    async def request_edit(self, request: dict[str, Any], timeout_s: float) -> dict[str, Any]:
        NotebookEditRequest(request_id="r", **request)  # the bridge builds exactly this
        self.requests.append(request)
        try:
            return {"status": "applied", "message": "ok", **self._apply(request)}
        except LookupError as err:
            return {"status": "failed", "message": str(err)}

    def _find(self, request: dict[str, Any]) -> int:
        for i, cell in enumerate(self.cells):
            if cell["id"] == request.get("cell_id"):
                return i
        if request.get("index") is not None and not request.get("cell_id"):
            return request["index"]
        raise LookupError(f"cell {request.get('cell_id')} is no longer in the notebook")

    def _apply(self, r: dict[str, Any]) -> dict[str, Any]:
        if r["action"] == "insert":
            self._ids += 1
            cell_id = r.get("cell_id") if r.get("undo") and r.get("cell_id") else f"c{self._ids}"
            meta = r.get("metadata") or {}
            if not r.get("undo") and r.get("provenance"):
                meta = {"kernel-agent": {**r["provenance"], "action": "inserted"}}
            index = min(r["index"] if r.get("index") is not None else len(self.cells), len(self.cells))
            self.cells.insert(index, {"id": cell_id, "cell_type": r["cell_type"], "source": r["source"], "metadata": meta})
            return {"cell_id": cell_id, "index": index}
        index = self._find(r)
        cell = self.cells[index]
        if r["action"] == "read":
            return {"cell_id": cell["id"], "index": index, "source": cell["source"]}
        if r.get("expected_source") is not None and cell["source"] != r["expected_source"]:
            raise LookupError(f"cell {index} was edited since the turn")
        previous = json.loads(json.dumps(cell))
        if r["action"] == "delete":
            del self.cells[index]
        elif r["action"] == "replace":
            cell["source"] = r["source"]
            cell["metadata"] = r["metadata"] if r.get("undo") else {**cell["metadata"], "kernel-agent": {**r["provenance"], "action": "replaced"}}
        return {"cell_id": cell["id"], "index": index, "previous": previous}

    def sources(self) -> list[str]:
        return [c["source"] for c in self.cells]


async def edit(notebook: Notebook, ctx: FakeCtx, **args: Any) -> str:
    call = ToolCall(call_id="n", name="notebook_edit", kind="function", payload=json.dumps(args))
    result = await NotebookEditTool(notebook).handle(call, ctx)
    assert result.success, result.output
    return result.output


async def test_undo_reverses_insert_replace_and_delete_latest_first() -> None:
    nb = Notebook("a = 1", "b = 2", "c = 3")
    nb.cells[0]["metadata"] = {"tags": ["mine"]}
    ctx = FakeCtx(cwd=Path.cwd())
    await edit(nb, ctx, action="insert", index=1, source="new")
    await edit(nb, ctx, action="replace", cell_id="c0", source="a = 10")
    await edit(nb, ctx, action="delete", cell_id="c2")
    assert nb.sources() == ["a = 10", "new", "b = 2"]
    assert nb.cells[1]["metadata"]["kernel-agent"] == {"session_id": "s1", "turn_id": "t1", "model": "test-model",
                                                       "provider": "test-provider", "action": "inserted"}
    assert len(ctx.journal.entries) == 3
    assert await ctx.journal.conflicts() == []
    report = await ctx.journal.revert()
    assert nb.sources() == ["a = 1", "b = 2", "c = 3"]
    assert [c["id"] for c in nb.cells] == ["c0", "c1", "c2"]
    assert nb.cells[0]["metadata"] == {"tags": ["mine"]}, "the provenance stamp goes with the undone replace"
    assert len(report.restored) == 3 and report.not_restored == []
    reverse = [r for r in nb.requests if r.get("undo")]
    assert [r["action"] for r in reverse] == ["read", "read", "insert", "replace", "delete"]


async def test_a_cell_edited_since_the_turn_is_a_conflict() -> None:
    nb = Notebook("a = 1")
    ctx = FakeCtx(cwd=Path.cwd())
    await edit(nb, ctx, action="insert", source="agent's cell")
    await edit(nb, ctx, action="replace", index=0, source="agent's a")
    nb.cells[1]["source"] = "the user's cell now"
    del nb.cells[0]
    conflicts = await ctx.journal.conflicts()
    assert conflicts == ["notebook cell 0 (edited since the turn)", "notebook cell 0 (id c0: deleted since the turn)"]
    [entry, _] = ctx.journal.entries
    report = await entry.revert()  # the front end refuses too (expected_source)
    assert report.not_restored and "edited since the turn" in report.not_restored[0][1]
    assert nb.sources() == ["the user's cell now"]


async def test_without_a_panel_cells_are_reported_not_restored() -> None:
    nb = Notebook("a = 1")
    ctx = FakeCtx(cwd=Path.cwd())
    await edit(nb, ctx, action="insert", source="x")
    nb.connected = False
    assert await ctx.journal.conflicts() == []
    report = await ctx.journal.revert()
    assert report.restored == []
    [(label, why)] = report.not_restored
    assert label.startswith("notebook cell 1") and why == "no JupyterLab side panel attached"


async def test_model_cannot_mark_its_edit_as_an_undo_or_forge_provenance() -> None:
    nb = Notebook("a = 1")
    ctx = FakeCtx(cwd=Path.cwd())
    forged = {"session_id": "x", "turn_id": "x", "model": "x", "provider": "x"}
    await edit(nb, ctx, action="delete", index=0, undo=True, expected_source=None, provenance=forged)
    [sent] = nb.requests
    assert "undo" not in sent and "expected_source" not in sent
    assert NotebookEditRequest(request_id="r", **sent).undo is False
    assert sent["provenance"] == {"session_id": "s1", "turn_id": "t1", "model": "test-model", "provider": "test-provider"}


async def test_runs_are_not_recorded() -> None:
    nb = Notebook("a = 1")
    ctx = FakeCtx(cwd=Path.cwd())
    await edit(nb, ctx, action="run", index=0)
    assert ctx.journal.entries == []


async def test_reverse_request_of_a_delete_reinserts_at_its_index() -> None:
    previous = {"id": "old", "cell_type": "markdown", "source": "# t", "metadata": {"a": 1}}
    entry = NotebookEditUndo(Notebook(), "delete", "old", 4, previous, None)
    assert entry.reverse_request() == {"action": "insert", "index": 4, "cell_id": "old", "source": "# t",
                                       "cell_type": "markdown", "metadata": {"a": 1}}
