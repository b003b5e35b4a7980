"""Request retries reported by the client (`RequestRetry` stream events) become
`stream_error` events of the turn (or compaction) whose request is being retried."""

from __future__ import annotations

from agent.client.scripted import text_reply
from agent.client.stream import RequestRetry
from agent.protocol import ops

from .conftest import collect_until, make_session


async def test_a_request_retry_is_shown_on_the_turn_that_made_the_request(config, client):
    client.add([RequestRetry(1, 4, 1.5, "rate limited (429)"), RequestRetry(2, 4, 0.25, "server error (503)"),
                *text_reply("made it")])
    session = make_session(config, client)
    stream = session.events()
    turn_id = session.submit(ops.text_turn("hi"))
    events = await collect_until(stream, {"task_complete"})
    retries = [e for e in events if e.msg.type == "stream_error"]
    assert [(e.id, e.msg.message, e.msg.retry_in_ms, e.msg.codex_error_info) for e in retries] == [
        (turn_id, "rate limited (429); retrying in 1.5s (1/4)", 1500, "http_connection_failed"),
        (turn_id, "server error (503); retrying in 0.2s (2/4)", 250, "http_connection_failed"),
    ]
    assert events[-1].msg.last_agent_message == "made it"


async def test_a_request_retry_during_compaction_is_shown_on_the_compaction(config, client):
    client.add(text_reply("first"), [RequestRetry(1, 4, 0.5, "connection failed (ConnectError)"), *text_reply("SUMMARY")])
    session = make_session(config, client)
    stream = session.events()
    session.submit(ops.text_turn("hi"))
    await collect_until(stream, {"task_complete"})
    compact_id = session.submit(ops.Compact())
    events = await collect_until(stream, {"task_complete"})
    [retry] = [e for e in events if e.msg.type == "stream_error"]
    assert retry.id == compact_id and retry.msg.message.startswith("connection failed (ConnectError); retrying in 0.5s")
