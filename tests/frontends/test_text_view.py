"""The text front end: rendering plus approvals answered through an injected `ask`."""

from __future__ import annotations

import io
import threading

from agent.frontends.text.view import EXEC_PROMPT, PATCH_PROMPT, TextView
from agent.protocol import events as ev

from .events import UPDATE, begin, chunk, end, event


def scripted(*answers: str):
    prompts: list[str] = []
    queue = list(answers)

    def ask(prompt: str) -> str:
        prompts.append(prompt)
        if not queue:
            raise EOFError
        return queue.pop(0)

    return ask, prompts


def exec_request(call_id: str = "c1") -> ev.ExecApprovalRequest:
    return ev.ExecApprovalRequest(call_id=call_id, turn_id="1", command=["rm", "-rf", "dist"], cwd="/work/repo", reason="clean up")


def test_exec_approval_is_shown_asked_and_delivered():
    out, decisions = io.StringIO(), []
    ask, prompts = scripted("s")
    view = TextView(out, ask=ask, on_decision=lambda c, d: decisions.append((c, d)))
    assert view.handle(event(begin("c1", ["rm", "-rf", "dist"]))) is None
    assert view.handle(event(exec_request())) == "approved_for_session"
    assert decisions == [("c1", "approved_for_session")] and prompts == [EXEC_PROMPT]
    text = out.getvalue()
    assert "approval needed to run: rm -rf dist\n  in: /work/repo\n  reason: clean up" in text
    assert "decision: approved_for_session" in text


def test_patch_approval_shows_every_diff_and_offers_the_session_option():
    """As in the notebook: a patch can be approved for the session (that exact patch text)."""
    out, decisions = io.StringIO(), []
    ask, prompts = scripted("maybe", "s")
    view = TextView(out, ask=ask, on_decision=lambda c, d: decisions.append((c, d)))
    request = ev.ApplyPatchApprovalRequest(call_id="p1", turn_id="1", changes={"src/f.py": UPDATE, "new.txt": ev.FileAdd(content="hi\n")},
                                           reason="fix", grant_root="/work")
    assert view.handle(event(request)) == "approved_for_session"
    assert decisions == [("p1", "approved_for_session")] and prompts == [PATCH_PROMPT] * 2
    text = out.getvalue()
    assert "--- a/src/f.py\n+++ b/src/f.py\n@@ -1,2 +1,2 @@" in text and "+++ b/new.txt\n@@ -0,0 +1,1 @@\n+hi" in text
    assert "also grants write access to: /work" in text and text.count("please answer with one of") == 1


def test_answers_map_to_decisions_and_end_of_input_aborts():
    for answer, decision in [("a", "approved"), ("YES", "approved"), (" d ", "denied"), ("b", "abort"), ("abort", "abort")]:
        ask, _ = scripted(answer)
        assert TextView(io.StringIO(), ask=ask).handle(event(exec_request())) == decision
    ask, _ = scripted()
    assert TextView(io.StringIO(), ask=ask).handle(event(exec_request())) == "abort"
    ask, _ = scripted("?", "?", "?")
    assert TextView(io.StringIO(), ask=ask).handle(event(exec_request())) == "denied"


async def test_consume_renders_a_stream_and_asks_off_the_loop_thread():
    out, decisions, threads = io.StringIO(), [], []

    def ask(prompt: str) -> str:
        threads.append(threading.get_ident())
        return "a"

    async def stream():
        for msg in [ev.UserMessage(message="build it"), begin("c1", ["make"]), exec_request(),
                    chunk("c1", b"ok\n"), end("c1", ["make"], 0), ev.AgentMessage(message="Built."), ev.TaskComplete()]:
            yield event(msg)

    view = TextView(out, ask=ask, on_decision=lambda c, d: decisions.append((c, d, threading.get_ident())))
    await view.consume(stream())
    loop_thread = threading.get_ident()
    assert threads and threads[0] != loop_thread
    assert decisions == [("c1", "approved", loop_thread)]
    text = out.getvalue()
    assert "build it" in text and "exec make in /work/repo" in text and "ok\n" in text and "Built." in text
