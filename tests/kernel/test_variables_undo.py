"""A turn's run_python changes to the kernel's variables are undone by `%agent undo` in a
real kernel: created names deleted, rebound and deleted ones restored, an in-place change
undone from its copy, and a variable too large to copy named with the reason."""

from __future__ import annotations

from tests.scripted_server import Reply, ToolCall

from .conftest import write_config

SETUP = "x = 1\ndata = [1, 2]\ngone = 'g'\nbig = bytearray(80 * 1024 * 1024)\nbig_id = id(big)"
CODE = "x = 2\ndata.append(3)\ndel gone\ny = 'new'\nbig[0] = 7"


def shown(kernel, msg_id: str) -> str:
    kinds = ("display_data", "update_display_data", "execute_result", "stream")
    msgs = [m for m in kernel.by_parent[msg_id] if m["msg_type"] in kinds]
    return "\n".join(m["content"].get("data", {}).get("text/markdown", m["content"].get("text", "")) for m in msgs)


def test_undo_restores_the_variables_run_python_changed(make_kernel, home, server, work):
    write_config(home, server.url, extra='approval_policy = "on-request"')
    kernel = make_kernel()
    kernel.run("%load_ext agent")
    kernel.run(SETUP)
    server.enqueue(Reply(tool_calls=[ToolCall("run_python", {"code": CODE}, "c_py")]), Reply(text="Done."))
    view = kernel.wait_for_view(kernel.run("%%agent\nchange the variables").msg_id)
    kernel.wait_for(view.pending_approvals, what="the run_python approval")
    kernel.decide(view, "approved")
    kernel.wait_for(lambda: view.phase == "done", timeout=30, what="the turn to end")
    assert kernel.run("print(x, data, 'gone' in dir(), y, big[0])").stdout() == "2 [1, 2, 3] False new 7\n"

    msg_id = kernel.run("%agent undo").msg_id
    message = kernel.wait_for(lambda: "`big`" in shown(kernel, msg_id) and shown(kernel, msg_id), what="the undo message")
    for name in ("`x`", "`data`", "`gone`", "`y` (deleted)"):
        assert name in message, message
    assert "`big` (in-place changes (if any) not undone: too large to copy: 80.0 MB)" in message, message
    check = "print(x, data, gone, 'y' in dir(), id(big) == big_id, big[0])"
    assert kernel.run(check).stdout() == "1 [1, 2] g False True 7\n"
