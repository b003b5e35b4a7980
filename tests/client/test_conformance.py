"""Upstream SSE fixtures (shared/conformance/sse, read in place) served over real HTTP."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.client.errors import StreamError
from agent.client.stream import Completed, Created, OutputItemDone
from agent.protocol.events import TokenUsage
from tests.scripted_server import Reply

pytestmark = pytest.mark.timeout(20)

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "conformance" / "sse"


def json_array_to_sse(events: list[dict]) -> bytes:
    """The upstream conversion: `event: <type>` plus compact `data:`; type-only -> no data."""
    out = []
    for event in events:
        if set(event) == {"type"}:
            out.append(f"event: {event['type']}\n\n")
        else:
            out.append(f"event: {event['type']}\ndata: {json.dumps(event, separators=(',', ':'))}\n\n")
    return "".join(out).encode()


def test_every_fixture_is_covered():
    assert FIXTURES.is_dir(), FIXTURES
    names = {p.name for p in FIXTURES.iterdir() if p.name != "README.md"}
    assert names == {"cli_responses_fixture.sse", "incomplete_sse.json", "completed_template.json"}


async def test_cli_responses_fixture(srv, make_client, prompt, collect):
    srv.enqueue(Reply(raw_body=(FIXTURES / "cli_responses_fixture.sse").read_bytes()))
    events = await collect(make_client(srv.url, "responses"), prompt())
    assert events[0] == Created("resp1")
    (done,) = [e for e in events if isinstance(e, OutputItemDone)]
    assert done.item.type == "message" and done.item.role == "assistant" and done.item.text() == "fixture hello"
    assert events[-1] == Completed(response_id="resp1", usage=None)
    assert len(events) == 3


async def test_incomplete_fixture(srv, make_client, prompt, collect):
    body = json_array_to_sse(json.loads((FIXTURES / "incomplete_sse.json").read_text()))
    assert body == b"event: response.output_item.done\n\n"
    srv.enqueue(Reply(raw_body=body))
    with pytest.raises(StreamError) as info:
        await collect(make_client(srv.url, "responses"), prompt())
    assert info.value.message == "stream disconnected before completion: stream closed before response.completed"
    assert info.value.retryable


async def test_completed_template_fixture(srv, make_client, prompt, collect):
    template = (FIXTURES / "completed_template.json").read_text().replace("__ID__", "resp-conformance")
    srv.enqueue(Reply(raw_body=json_array_to_sse(json.loads(template))))
    events = await collect(make_client(srv.url, "responses"), prompt())
    assert events == [Completed(response_id="resp-conformance", usage=TokenUsage())]
