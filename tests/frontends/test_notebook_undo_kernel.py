"""`%agent undo` reverses a turn's notebook_edit through the side panel, in a real kernel.

The test plays the panel (tests/frontends/test_panel_kernel.py): it accepts the model's
insert and answers with the new cell's id, as labextension/src/notebook_edit.ts does; the
undo then reads the cell back and deletes it with requests marked `undo` (which the panel
applies without Accept / Reject)."""

from __future__ import annotations

from tests.frontends.test_panel_kernel import panel  # noqa: F401 - fixture
from tests.kernel.conftest import home, kernel, make_kernel  # noqa: F401 - fixtures
from tests.scripted_server import Reply, ToolCall


def shown(kernel, msg_id: str) -> str:
    kinds = ("display_data", "update_display_data", "execute_result", "stream")
    msgs = [m for m in kernel.by_parent[msg_id] if m["msg_type"] in kinds]
    return "\n".join(m["content"].get("data", {}).get("text/markdown", m["content"].get("text", "")) for m in msgs)


def answer(panel, request: dict, **fields) -> None:  # noqa: F811
    panel.send({"type": "notebook_edit_result", "request_id": request["request_id"], "status": "received"})
    panel.send({"type": "notebook_edit_result", "request_id": request["request_id"], "status": "applied", **fields})


def test_undo_deletes_the_cell_the_turn_inserted(kernel, panel, server):  # noqa: F811
    edit = ToolCall("notebook_edit", {"action": "insert", "index": 1, "source": "y = 2", "undo": True}, "call_nb")
    server.enqueue(Reply(tool_calls=[edit]), Reply(text="Inserted."))
    panel.send({"type": "user_input", "text": "add a cell"})
    [request] = kernel.wait_for(lambda: panel.messages("notebook_edit_request"), what="the edit request")
    assert request["undo"] is False, "the model's `undo` argument is ignored: the user still accepts"
    assert request["provenance"]["model"] == "gpt-4.1" and request["provenance"]["turn_id"]
    answer(panel, request, message="Inserted cell 1 (id abc).", cell_id="abc", index=1)
    kernel.wait_for(lambda: panel.turn()["state"] == "done", what="the turn to end")

    msg_id = kernel.submit("%agent undo")  # the cell runs until the undo is done: answer the panel meanwhile
    read = kernel.wait_for(lambda: [r for r in panel.messages("notebook_edit_request") if r["undo"]], what="the read")
    assert read[0]["action"] == "read" and read[0]["cell_id"] == "abc"
    answer(panel, read[0], cell_id="abc", index=1, source="y = 2")
    reverse = kernel.wait_for(lambda: [r for r in panel.messages("notebook_edit_request") if r["undo"]][1:], what="the reverse edit")
    assert reverse[0]["action"] == "delete" and reverse[0]["cell_id"] == "abc" and reverse[0]["expected_source"] == "y = 2"
    answer(panel, reverse[0], cell_id="abc", index=1, message="Deleted cell 1.")
    message = kernel.wait_for(lambda: "notebook cell 1" in shown(kernel, msg_id) and shown(kernel, msg_id), what="the undo message")
    assert "Not restored" not in message, message
