"""The session follows the notebook: a new kernel for the same notebook continues its
conversation on the first `%%agent` (the cell says so); `--new` starts fresh; another
notebook, or no notebook, does not continue it."""

from __future__ import annotations

import re

from tests.scripted_server import Reply

from .helpers import user_texts


def _turn(kernel, server, cell: str, answer: str):
    server.enqueue(Reply(text=answer))
    execution = kernel.run(cell)
    view = kernel.wait_for_view(execution.msg_id)
    kernel.wait_for(lambda: view.phase == "done", what=f"the turn of {cell!r}")
    return view


def test_a_reopened_notebook_continues_its_conversation_and_new_starts_fresh(kernel, server):
    first = _turn(kernel, server, "%%agent\nremember the word PAPAYA", "Noted: PAPAYA.")
    session_id = first.status["session_id"]

    kernel.restart()  # the notebook reopened: a new kernel process, the same notebook
    kernel.run("%load_ext agent")
    after = _turn(kernel, server, "%%agent\nwhich word?", "PAPAYA.")
    assert after.status["session_id"] == session_id
    notice = after.blocks[0]
    assert notice["kind"] == "notice" and re.fullmatch(
        rf"continuing session {session_id} from \d{{4}}-\d\d-\d\d \d\d:\d\d; `--new` starts fresh", notice["message"])
    assert "remember the word PAPAYA" in user_texts(server.requests[-1])
    assert "continuing session" not in str(_turn(kernel, server, "%%agent\nand again?", "Still PAPAYA.").blocks)

    fresh = _turn(kernel, server, "%%agent --new\nstart over", "Fresh.")
    assert fresh.status["session_id"] != session_id and "continuing session" not in str(fresh.blocks)
    assert "remember the word PAPAYA" not in user_texts(server.requests[-1])

    kernel.restart()  # the fresh conversation is now the notebook's latest
    kernel.run("%load_ext agent")
    kernel.run("%agent new")
    again = _turn(kernel, server, "%%agent\nhello", "Hello.")
    assert again.status["session_id"] not in (session_id, fresh.status["session_id"])
    assert "continuing session" not in str(again.blocks)


def test_another_notebook_or_no_notebook_does_not_continue_it(kernel, make_kernel, server, work):
    first = _turn(kernel, server, "%%agent\nremember the word MANGO", "Noted: MANGO.")
    for other in (make_kernel(notebook=str(work / "other.ipynb")), make_kernel()):
        other.run("%load_ext agent")
        view = _turn(other, server, "%%agent\nwhich word?", "No idea.")
        assert view.status["session_id"] != first.status["session_id"]
        assert "continuing session" not in str(view.blocks)
        assert "remember the word MANGO" not in user_texts(server.requests[-1])
