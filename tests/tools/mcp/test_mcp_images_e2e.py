"""`model_accepts_images` end to end: `kernel-agent exec` with the real
@modelcontextprotocol/server-everything (npm) as a stdio server whose `get-tiny-image` tool
returns a PNG, and the scripted model server on both wire APIs. A model that does not accept
images gets a note and no image bytes (and no `view_image` tool); one that does (the
control) gets the image in a user message."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.cli.test_exec import make_home, run_exec
from tests.scripted_server import Reply, ScriptedServer, ToolCall

from .conftest import everything_entries  # noqa: F401  (the fixture)

TOOL = "mcp__everything__get-tiny-image"
PNG_B64 = "iVBORw0KGgo"
"""The base64 of PNG's magic bytes: present in a request only when the image was sent."""
NOTE = "the model does not accept images"


def _run(tmp_path: Path, entry: Path, wire: str, setting: str) -> tuple[Any, dict[str, Any], dict[str, Any]]:
    """One exec turn in which the model calls the image tool; (result, first request, second request)."""
    server_home = tmp_path / "work" / ".everything-home"
    server_home.mkdir(parents=True)
    with ScriptedServer() as server:
        server.enqueue(Reply(tool_calls=[ToolCall(TOOL, {}, "call_img")]), Reply(text="I looked."))
        home = make_home(tmp_path, server.url, wire=wire)
        config = home / "config.toml"
        config.write_text(
            setting + config.read_text()
            + f'\n[mcp_servers.everything]\ncommand = "{shutil.which("node")}"\nargs = ["{entry}", "stdio"]\n'
            f'env = {{ HOME = "{server_home}" }}\n'
        )
        result = run_exec(tmp_path, home, "--json", "show me the image", timeout=120)
        requests = [r.json for r in server.requests]
    assert result.returncode == 0, result.stderr
    assert len(requests) == 2, result.stderr
    return result, requests[0], requests[1]


def _tool_names(request: dict[str, Any]) -> list[str]:
    return [t.get("name") or t["function"]["name"] for t in request["tools"]]


@pytest.mark.parametrize(("wire", "setting"), [("responses", "model_accepts_images = false\n"), ("chat", "")])
def test_a_model_that_does_not_accept_images_gets_a_note_and_no_image(tmp_path, everything_entries, wire, setting):  # noqa: F811
    _, first, second = _run(tmp_path, everything_entries["current"], wire, setting)
    assert TOOL in _tool_names(first) and "view_image" not in _tool_names(first)
    body = json.dumps(second)
    assert PNG_B64 not in body and "input_image" not in body and "image_url" not in body
    if wire == "responses":
        output = next(i for i in second["input"] if i.get("type") == "function_call_output")["output"]
    else:
        output = next(m for m in second["messages"] if m["role"] == "tool")["content"]
    note = next(block for block in json.loads(output) if block.get("type") == "image")
    assert note == {"type": "image", "mimeType": "image/png", "omitted": NOTE}


@pytest.mark.parametrize(("wire", "setting"), [("responses", ""), ("chat", "model_accepts_images = true\n")])
def test_a_model_that_accepts_images_gets_the_image_in_a_user_message(tmp_path, everything_entries, wire, setting):  # noqa: F811
    _, first, second = _run(tmp_path, everything_entries["current"], wire, setting)
    assert TOOL in _tool_names(first) and "view_image" in _tool_names(first)
    if wire == "responses":
        output = next(i for i in second["input"] if i.get("type") == "function_call_output")["output"]
        users = [i for i in second["input"] if i.get("type") == "message" and i["role"] == "user"]
        images = [c["image_url"] for u in users if isinstance(u["content"], list) for c in u["content"]
                  if c["type"] == "input_image"]
    else:
        output = next(m for m in second["messages"] if m["role"] == "tool")["content"]
        users = [m for m in second["messages"] if m["role"] == "user"]
        images = [c["image_url"]["url"] for u in users if isinstance(u["content"], list) for c in u["content"]
                  if c["type"] == "image_url"]
    assert len(images) == 1 and images[0].startswith(f"data:image/png;base64,{PNG_B64}")
    assert {"type": "image", "mimeType": "image/png", "attached": True} in json.loads(output)
    assert PNG_B64 not in output  # the bytes go in the user message only
