"""One turn per cell in a real kernel: a `%%agent` cell run while a turn runs is queued
behind it and runs as its own turn (its own request to the model) when that one ends; a
kernel interrupt cancels the queued cells."""

from __future__ import annotations

from tests.scripted_server import Reply

from .helpers import shell, user_texts


def _notices(view) -> list[str]:
    return [b["message"] for b in view.of_kind("notice")]


def test_a_cell_run_while_a_turn_waits_is_queued_and_runs_as_its_own_turn(kernel, server, work):
    server.enqueue(Reply(tool_calls=[shell("echo one > one.txt", "call_1")]), Reply(text="Wrote one.txt."),
                   Reply(text="The follow-up, on its own."))
    a_run = kernel.run("%%agent --approval untrusted\nwrite one.txt")
    a_cell = a_run.reply["content"]["execution_count"]
    first = kernel.wait_for_view(a_run.msg_id)
    kernel.wait_for(first.pending_approvals, what="the approval request")

    follow_up = kernel.submit("%%agent --wait\nalso mention the follow-up")  # waits until its own turn has run
    second = kernel.wait_for_view(follow_up)
    kernel.wait_for(lambda: second.phase == "queued", what="the second cell to say it is queued")
    assert _notices(second) == [f"queued behind cell [{a_cell}]"]
    assert [b["text"] for b in second.of_kind("user")] == ["also mention the follow-up"]
    assert len(server.requests) == 1

    kernel.decide(first, "approved")
    execution = kernel.collect(follow_up, timeout=15)
    assert execution.status == "ok"
    assert first.phase == "done" and second.phase == "done"
    assert first.agent_text() == "Wrote one.txt." and second.agent_text() == "The follow-up, on its own."
    assert "also mention the follow-up" not in str(first.blocks)
    requests = server.wait_for_requests(3)
    assert all("also mention the follow-up" not in user_texts(r) for r in requests[:2])  # A never holds B's prompt
    prompts = [t for t in user_texts(requests[2]) if not t.startswith("<")]  # not the environment context
    assert prompts[-2:] == ["write one.txt", "also mention the follow-up"]
    assert second.status["approval_policy"] == "on-request"  # B's own options, not A's --approval
    assert (work / "one.txt").exists()


def test_a_kernel_interrupt_stops_the_turn_and_cancels_the_queued_cells(kernel, server):
    server.enqueue(Reply(tool_calls=[shell("echo two > two.txt", "call_2")]))
    first = kernel.wait_for_view(kernel.run("%%agent --approval untrusted\nwrite two.txt").msg_id)
    kernel.wait_for(first.pending_approvals, what="the approval request")
    queued = [kernel.wait_for_view(kernel.run(f"%%agent\nqueued {i}").msg_id) for i in range(2)]
    kernel.wait_for(lambda: all(v.phase == "queued" for v in queued), what="both cells queued")
    assert "queued:** 2 prompt(s)" in kernel.run("%agent status").markdown()

    kernel.interrupt()  # Jupyter's stop button
    kernel.wait_for(lambda: first.phase == "aborted", what="the running turn to stop")
    for view in queued:
        kernel.wait_for(lambda: view.phase == "aborted", what="the queued cell to be cancelled")
        assert _notices(view)[-1] == "cancelled: the kernel was interrupted"
    assert len(server.requests) == 1  # no queued prompt reached the model
    assert "queued" not in kernel.run("%agent status").markdown()

    server.enqueue(Reply(text="still here"))
    assert kernel.run("%%agent --wait\nare you there?").status == "ok"
    assert kernel.views()[-1].agent_text() == "still here"
