"""Undoing a `notebook_edit` (a `Revertible`, undo_journal.py).

The front end's answer to an applied insert / replace / delete names the cell (id,
index) and, for replace and delete, the cell as it was (`previous`). `NotebookEditUndo`
keeps that and reverses the edit through the same front end: an insert is deleted (by id),
a replace gets its previous source and metadata back, a deleted cell is re-inserted at its
index. Reverse edits carry `undo: True` (applied without Accept / Reject: the user asked
for them with `%agent undo`) and `expected_source`, the source the turn left, which the
front end checks before it changes anything. Only this module sets `undo`; the model's
arguments never reach it.

`conflicts()` reads the cell back (`read`) and names it when it was deleted or edited
since the turn. Without a panel, nothing can be checked and `revert()` reports the cell as
not restored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .undo_journal import RevertReport

if TYPE_CHECKING:
    from .notebook_edit import NotebookFrontend

UNDO_TIMEOUT_S = 30.0
NO_PANEL = "no JupyterLab side panel attached"


@dataclass
class NotebookEditUndo:
    frontend: NotebookFrontend
    action: str
    """The applied edit: insert, replace or delete."""
    cell_id: str | None
    index: int | None
    previous: dict[str, Any] | None
    """replace / delete: {cell_type, source, metadata, id} before the edit."""
    left_source: str | None
    """insert / replace: the source the edit left."""
    kind: str = "notebook cells"
    timeout_s: float = UNDO_TIMEOUT_S

    @property
    def label(self) -> str:
        where = f"cell {self.index}" if self.index is not None else "a cell"
        return f"{where} ({'re-insert' if self.action == 'delete' else 'id ' + str(self.cell_id)})"

    async def conflicts(self) -> list[str]:
        if self.action == "delete" or not self.frontend.connected:
            return []
        answer = await self._send({"action": "read", "cell_id": self.cell_id})
        if answer.get("status") != "applied":
            return [f"notebook cell {self.index} (id {self.cell_id}: deleted since the turn)"]
        if answer.get("source") != self.left_source:
            return [f"notebook cell {answer.get('index', self.index)} (edited since the turn)"]
        return []

    async def revert(self) -> RevertReport:
        report = RevertReport()
        if not self.frontend.connected:
            report.not_restored.append((f"notebook {self.label}", NO_PANEL))
            return report
        answer = await self._send(self.reverse_request())
        if answer.get("status") == "applied":
            report.restored.append(f"notebook {self.label}")
        else:
            report.not_restored.append((f"notebook {self.label}", str(answer.get("message") or "the panel refused")))
        return report

    def reverse_request(self) -> dict[str, Any]:
        if self.action == "insert":
            return {"action": "delete", "cell_id": self.cell_id, "expected_source": self.left_source}
        previous = self.previous or {}
        cell = {"source": previous.get("source", ""), "cell_type": previous.get("cell_type", "code"),
                "metadata": previous.get("metadata") or {}}
        if self.action == "replace":
            return {"action": "replace", "cell_id": self.cell_id, "expected_source": self.left_source, **cell}
        return {"action": "insert", "index": self.index, "cell_id": previous.get("id"), **cell}

    async def _send(self, request: dict[str, Any]) -> dict[str, Any]:
        try:
            return await self.frontend.request_edit({**request, "undo": True}, self.timeout_s)
        except TimeoutError:
            return {"status": "failed", "message": f"the panel did not answer within {self.timeout_s:.0f} s"}


def undo_entry(frontend: NotebookFrontend, request: dict[str, Any], answer: dict[str, Any]) -> NotebookEditUndo | None:
    """The undo of an applied edit, from the front end's answer; None for a run (nothing to
    undo) or an answer that does not name the cell."""
    action = request["action"]
    if action not in ("insert", "replace", "delete") or not answer.get("cell_id"):
        return None
    previous = answer.get("previous")
    if action != "insert" and not isinstance(previous, dict):
        return None
    left = request.get("source") if action != "delete" else None
    return NotebookEditUndo(frontend, action, answer["cell_id"], answer.get("index"), previous, left)
