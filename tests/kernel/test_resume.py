"""The session is bound to the notebook: a kernel restart loses nothing, `%agent resume` continues."""

from __future__ import annotations

from tests.scripted_server import Reply

from .helpers import user_texts


def test_restart_then_resume_continues_the_notebooks_conversation(kernel, server, work):
    server.enqueue(Reply(text="Noted: the word is PAPAYA."))
    first = kernel.wait_for_view(kernel.run("%%agent\nremember the word PAPAYA").msg_id)
    kernel.wait_for(lambda: first.phase == "done", what="the first turn")
    session_id = first.status["session_id"]

    # Another notebook in the same folder records a later session.
    server.enqueue(Reply(text="Noted: MANGO."))
    kernel.run(f"import os; os.environ['JPY_SESSION_NAME'] = {str(work / 'other.ipynb')!r}")
    other = kernel.wait_for_view(kernel.run("%%agent --new\nremember MANGO").msg_id)
    kernel.wait_for(lambda: other.phase == "done", what="the other notebook's turn")
    assert other.status["session_id"] != session_id

    kernel.restart()  # JPY_SESSION_NAME is analysis.ipynb again
    assert kernel.run("%agent resume", ok=False).reply["content"]["ename"] == "UsageError"  # not loaded yet
    kernel.run("%load_ext agent")
    resumed = kernel.run("%agent resume").markdown()
    assert f"Resumed session `{session_id}`" in resumed
    assert "remember the word PAPAYA" in resumed and "Noted: the word is PAPAYA." in resumed
    assert "MANGO" not in resumed

    listing = kernel.run("%agent sessions").markdown()
    assert session_id in listing and other.status["session_id"] in listing

    server.enqueue(Reply(text="The word was PAPAYA."))
    after = kernel.wait_for_view(kernel.run("%%agent\nwhich word?").msg_id)
    kernel.wait_for(lambda: after.phase == "done", what="the resumed turn")
    assert after.status["session_id"] == session_id
    request = server.requests[-1]
    assert user_texts(request)[-1] == "which word?"
    assert "remember the word PAPAYA" in user_texts(request)
    assistant = [c.get("text") for i in request.json["input"] if i.get("role") == "assistant" for c in i["content"]]
    assert "Noted: the word is PAPAYA." in assistant
    assert not any("MANGO" in text for text in user_texts(request))


def test_resume_by_id_after_restart(kernel, server):
    server.enqueue(Reply(text="first"))
    view = kernel.wait_for_view(kernel.run("%%agent\nhello").msg_id)
    kernel.wait_for(lambda: view.phase == "done", what="the turn")
    session_id = view.status["session_id"]

    server.enqueue(Reply(text="fresh start"))
    new = kernel.submit("%agent new")
    fresh_id = kernel.submit("%%agent\nstart over")  # queued right behind, as in Run All
    assert "Started a new conversation" in kernel.collect(new).markdown()
    fresh = kernel.wait_for_view(fresh_id)
    kernel.wait_for(lambda: fresh.phase == "done", what="the fresh turn")
    assert fresh.status["session_id"] != session_id and fresh.agent_text() == "fresh start"
    assert "hello" not in user_texts(server.requests[-1]) and "start over" in user_texts(server.requests[-1])

    kernel.restart()
    kernel.run("%load_ext agent")
    assert f"Resumed session `{session_id}`" in kernel.run(f"%agent resume {session_id[:8]}").markdown()
    assert "**Can't resume:**" in kernel.run("%agent resume no-such-session").markdown()
