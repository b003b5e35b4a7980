"""kernel-agent as a Jupyter AI 3 persona, driven in JupyterLab with headless Chromium.

JupyterLab runs from a venv holding `kernel-agent[jupyter-ai,lab]` (jupyter-ai 3.2,
jupyter-ai-acp-client 0.3.3, ACP SDK 0.11); the persona runs `python -m agent acp`, whose
config points at the scripted model server. What a person sees is saved under
test-artifacts/browser/jupyter-ai-*.png:

1. the persona is the chat's agent, and a message streams the model's answer;
2. a command shows Allow / Allow for this session / Reject in the chat; Allow runs it in
   the sandbox (the file appears in the workspace; a write outside it is refused);
3. the chat's stop button ends a turn whose command waits for permission: the buttons go,
   nothing runs, and the agent answers the next message.
"""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import ARTIFACTS
from tests.scripted_server import Reply, ToolCall

pytestmark = pytest.mark.timeout(400)

PLACEHOLDER = "Type a chat message, @ to mention..."


def shell(script: str, call_id: str) -> ToolCall:
    return ToolCall(name="shell", arguments={"command": ["bash", "-lc", script]}, call_id=call_id)


def shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"jupyter-ai-{name}.png"))


def send(page, text: str) -> None:
    box = page.get_by_placeholder(PLACEHOLDER)
    box.fill(text)
    box.press("Enter")


def agent_says(page, text: str, timeout: float = 60_000) -> None:
    page.get_by_text(text).first.wait_for(timeout=timeout)


def test_a_chat_with_the_kernel_agent_persona(jai_lab, page):
    root, scripted = jai_lab.root, jai_lab.scripted
    outside = root.parent / "outside"
    outside.mkdir()
    (root / "assistant.chat").write_text("{}")
    page.goto(f"{jai_lab.url}/lab/tree/assistant.chat?reset")
    page.get_by_placeholder(PLACEHOLDER).wait_for(timeout=90_000)
    persona = page.locator(".jp-chat-input-container, .jp-chat-input-toolbar, body").get_by_text("kernel-agent").first
    persona.wait_for()

    # 1. An answer, streamed into the chat under the persona's name.
    scripted.enqueue(Reply(text="Hello from the scripted model, through ACP."))
    send(page, "say hello")
    agent_says(page, "Hello from the scripted model, through ACP.")
    shot(page, "1-answer")
    assert "say hello" in str(scripted.requests[0].json["input"])

    # 2. A command asks in the chat; Allow runs it sandboxed.
    scripted.enqueue(
        Reply(tool_calls=[shell(f"echo made > made.txt; echo escaped > {outside}/escape.txt || echo refused-outside", "call_make")]),
        Reply(text="Created made.txt."),
    )
    send(page, "make a file")
    allow = page.locator(".jp-jupyter-ai-acp-client-permission-btn-allow-once")
    allow.wait_for(timeout=60_000)
    for label in ("Allow", "Allow for this session", "Reject"):
        assert page.get_by_role("button", name=label, exact=True).count() >= 1
    assert not (root / "made.txt").exists()
    shot(page, "2-permission")
    allow.click()
    agent_says(page, "Created made.txt.")
    shot(page, "3-allowed")
    assert (root / "made.txt").read_text() == "made\n"
    assert not (outside / "escape.txt").exists()  # the sandbox: only the workspace is writable
    output = str(scripted.requests[-1].json["input"])
    assert "refused-outside" in output and re.search(r"(Read-only|Permission denied)", output)

    # 3. Stop while the permission is pending: nothing runs, the agent keeps serving.
    scripted.enqueue(Reply(tool_calls=[shell("echo late > late.txt", "call_late")]))
    send(page, "make another file")
    page.locator(".jp-jupyter-ai-acp-client-permission-btn-allow-once").last.wait_for(timeout=60_000)
    before = len(scripted.requests)
    page.get_by_role("button", name="Stop generating").click()
    page.locator(".jp-jupyter-ai-acp-client-permission-btn-allow-once").wait_for(state="detached", timeout=30_000)
    shot(page, "4-stopped")
    assert not (root / "late.txt").exists()
    scripted.enqueue(Reply(text="Still here after the stop."))
    send(page, "are you there?")
    agent_says(page, "Still here after the stop.")
    shot(page, "5-after-stop")
    assert not (root / "late.txt").exists()
    assert len(scripted.requests) == before + 1
