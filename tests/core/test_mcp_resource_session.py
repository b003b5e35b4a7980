"""The MCP resource tools in a real Session: offered only with a server configured, called
by the model without an approval, answered from the fault server's `resources` mode."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from agent.client.scripted import text_reply, tool_reply
from agent.protocol import ops
from agent.protocol.items import FunctionCallOutput

from .conftest import collect_until
from .test_mcp_session import make

FAULT = str(Path(__file__).resolve().parents[1] / "mcp_fault_server.py")
SERVER = f'[mcp_servers.notes]\ncommand = "{sys.executable}"\nargs = ["{FAULT}", "resources"]\nsandbox = false\n'
NAMES = ("list_mcp_resources", "list_mcp_resource_templates", "read_mcp_resource")


async def test_the_model_reads_a_resource_without_an_approval(tmp_path):
    script = [tool_reply(("read_mcp_resource", {"server": "notes", "uri": "file:///notes/a.txt"}, "c1")), text_reply("ok")]
    session, client = make(tmp_path, SERVER, script)
    stream = session.events()
    session.submit(ops.text_turn("read the note"))
    events = await collect_until(stream, {"task_complete"}, timeout=60)
    await session.shutdown()
    assert set(NAMES) <= {t["name"] for t in client.prompts[0].tools}
    assert "exec_approval_request" not in [e.msg.type for e in events]
    output = next(i for i in client.prompts[1].input if isinstance(i, FunctionCallOutput))
    assert json.loads(output.output)["contents"][0]["text"] == "contents of file:///notes/a.txt"


async def test_without_servers_the_resource_tools_are_not_offered(tmp_path):
    session, client = make(tmp_path, "", [text_reply("ok")])
    stream = session.events()
    session.submit(ops.text_turn("hi"))
    await collect_until(stream, {"task_complete"}, timeout=60)
    await session.shutdown()
    assert not set(NAMES) & {t["name"] for t in client.prompts[0].tools}
