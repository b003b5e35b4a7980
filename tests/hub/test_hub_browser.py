"""The agent in a real JupyterHub, driven as its users would: headless Chromium logs in.

One hub for the module (tests/hub/conftest.py): dummy authenticator, local process spawner,
configurable-http-proxy, everything on 127.0.0.1. The admin's system folder holds a managed
provider (the scripted model server), requirements that allow only the `untrusted` and
`on-request` approval policies, and a team rule forbidding `git push`. Each user's own
config.toml has a provider of their own on a closed port. The tests, in order:

1. alice logs in through the hub's login form, lands in JupyterLab at /user/alice/lab, runs
   `%%agent`: the answer appears and the request reached the scripted server (the managed
   provider) with the hub's key; the same when her config.toml selects her own provider.
2. `%%agent --approval never` is refused with one line naming `allowed_approval_policies` and
   the requirements file; the model is not asked.
3. under `on-request` (allowed) the model asks for `git push origin main`, plainly and wrapped in
   `bash -lc`: both are refused (`execpolicy forbids this command`, `Use the review flow`) and
   the local remote never receives the branch, while the control `echo ok` runs.
4. the side panel answers a prompt; its comm traffic goes over the hub's proxied kernel
   websocket, /user/alice/api/kernels/<id>/channels.
5. bob logs in (a new browser context), runs a turn of his own: `%agent sessions --all` lists
   his session and none of alice's, and no file in bob's agent home holds alice's words.

Screenshots: test-artifacts/hub/*.png.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.test_panel_browser import PANEL, open_panel, send, wait_state
from tests.browser.test_widget_browser import NB, open_notebook, output_text, run_cell, wait_cell_done
from tests.scripted_server import Reply, ToolCall

from .conftest import ARTIFACTS, HUB_KEY, PASSWORD, Hub, HubUser

pytestmark = pytest.mark.timeout(420)

ALICE_ASK = "Summarise the notebook for the alice-only-marker review"
ALICE_ANSWER = "The managed hub provider answered alice."


def shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def login(context, hub: Hub, user: HubUser):
    """Log in through the hub's form; returns the page once JupyterLab is up at /user/<name>/lab."""
    page = context.new_page()
    page.goto(f"{hub.url}/hub/login")
    page.fill("#username_input", user.name)
    page.fill("#password_input", PASSWORD)
    shot(page, f"{user.name}-01-login")
    page.click("#login_submit")
    page.wait_for_url(f"**/user/{user.name}/lab**", timeout=120_000)
    page.wait_for_selector("#jp-main-dock-panel", timeout=60_000)
    return page


def tool_output(hub: Hub, call_id: str) -> str:
    """The output the agent sent back to the model for the tool call `call_id`."""
    for request in hub.scripted.requests:
        for item in (request.json or {}).get("input", []):
            if isinstance(item, dict) and item.get("type") == "function_call_output" and item.get("call_id") == call_id:
                output = item.get("output")
                return output if isinstance(output, str) else str(output)
    raise AssertionError(f"no function_call_output for {call_id} reached the model")


def files_under(path: Path) -> list[Path]:
    return sorted(p for p in path.rglob("*") if p.is_file())


@pytest.fixture(scope="module")
def alice_page(browser, hub: Hub) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    context.set_default_timeout(30_000)
    try:
        yield login(context, hub, hub.users["alice"])
    finally:
        context.close()


@pytest.fixture(autouse=True)
def _clean_queue_and_shoot(hub: Hub, request: pytest.FixtureRequest) -> Iterator[None]:
    """No scripted reply left over from another test; alice's page as the test left it."""
    hub.scripted.clear()
    yield
    hub.scripted.clear()
    if "alice_page" in request.fixturenames:
        shot(request.getfixturevalue("alice_page"), f"teardown-{request.node.name}")


def test_alice_logs_in_and_the_managed_provider_answers(alice_page, hub: Hub):
    page, alice = alice_page, hub.users["alice"]
    assert page.url.startswith(f"{alice.url}/lab")
    shot(page, "alice-02-lab")
    _ask_and_check_the_hub_answered(page, hub, alice, "managed.ipynb", "alice-03-managed-answer")


def test_the_users_own_provider_does_not_displace_the_managed_one(alice_page, hub: Hub):
    page, alice = alice_page, hub.users["alice"]
    config = alice.agent_home / "config.toml"
    own = config.read_text()
    config.write_text('model_provider = "mine"\n' + own)  # alice selects her own provider: managed wins
    try:
        text = _ask_and_check_the_hub_answered(page, hub, alice, "own_provider.ipynb", "alice-03b-own-provider-overridden")
        assert "'model_provider' = 'mine' is not used: it is managed by" in text  # said, not silent
        assert str(hub.system_dir / "managed_config.toml") in text
    finally:
        config.write_text(own)


def _ask_and_check_the_hub_answered(page, hub: Hub, alice: HubUser, notebook: str, screenshot: str) -> str:
    """Run `%%agent` in a new notebook: the answer appears, and the request reached the
    scripted server (the managed provider; alice's own provider is a closed port) with the
    hub's key."""
    hub.scripted.enqueue(Reply(text=ALICE_ANSWER))
    before = len(hub.scripted.requests)
    open_notebook(page, alice, notebook, ["%load_ext agent", f"%%agent\n{ALICE_ASK}"])
    run_cell(page, 0)
    wait_cell_done(page, 0)
    run_cell(page, 1)
    text = output_text(page, 1, ALICE_ANSWER)
    shot(page, screenshot)
    assert ALICE_ANSWER in text
    request = hub.scripted.requests[before]
    assert request.path.endswith("/v1/responses")
    assert request.headers.get("authorization") == f"Bearer {HUB_KEY}"
    assert ALICE_ASK in request.body.decode()
    return text


def test_a_policy_the_requirements_forbid_is_refused_in_the_cell(alice_page, hub: Hub):
    page, alice = alice_page, hub.users["alice"]
    requirements = hub.system_dir / "requirements.toml"
    before = len(hub.scripted.requests)
    open_notebook(page, alice, "never.ipynb", ["%load_ext agent", "%%agent --approval never\nDelete the scratch files"])
    run_cell(page, 0)
    wait_cell_done(page, 0)
    run_cell(page, 1)
    text = output_text(page, 1, "allowed_approval_policies")
    wait_cell_done(page, 1)
    shot(page, "alice-04-never-refused")
    refusal = [line for line in text.splitlines() if "allowed_approval_policies" in line]
    assert refusal and str(requirements) in refusal[0], text  # one line: the requirement and its file
    assert "Traceback" not in text
    assert len(hub.scripted.requests) == before  # refused before the model was asked
    stop = page.locator(f"{NB} .jp-Cell").nth(1).locator(".jp-agent-view button:has-text('Stop')")
    assert stop.count() == 0, "the refused cell still shows a running turn with a Stop button"


def test_a_forbidden_rule_blocks_git_push_and_a_control_command_runs(alice_page, hub: Hub):
    page, alice = alice_page, hub.users["alice"]
    remote = alice.home / "remote.git"
    _git_repo_with_a_remote(alice.home, remote)
    hub.scripted.enqueue(
        Reply(tool_calls=[ToolCall("shell", {"command": ["git", "push", "origin", "main"]}, "call_push")]),
        Reply(tool_calls=[ToolCall("shell", {"command": ["bash", "-lc", "git push origin main"]}, "call_push_wrapped")]),
        Reply(tool_calls=[ToolCall("shell", {"command": ["echo", "ok"]}, "call_ok")]),
        Reply(text="The push is not allowed here; use the review flow."),
    )
    open_notebook(page, alice, "rules.ipynb", ["%load_ext agent", "%%agent --approval on-request\nPublish main to origin (alice-only-marker)"])
    run_cell(page, 0)
    wait_cell_done(page, 0)
    run_cell(page, 1)
    text = output_text(page, 1, "use the review flow.")
    wait_cell_done(page, 1, timeout=60_000)
    shot(page, "alice-05-rule-forbids-push")
    assert "execpolicy forbids this command" in text and "Use the review flow" in text, text
    for call in ("call_push", "call_push_wrapped"):
        out = tool_output(hub, call)
        assert "execpolicy forbids this command" in out and "Use the review flow" in out, out
    control = json.loads(tool_output(hub, "call_ok"))
    assert control["output"].strip() == "ok" and control["metadata"]["exit_code"] == 0, control
    heads = subprocess.run(["git", "--git-dir", str(remote), "for-each-ref", "refs/heads"],
                           capture_output=True, text=True, check=True).stdout
    assert heads == "", f"the push ran: {heads}"


def _git_repo_with_a_remote(home: Path, remote: Path) -> None:
    """alice's home as a git repository with one commit on main and a bare `origin` inside her
    workspace: without the rule, an on-request sandboxed `git push` would land there."""
    def git(*args: str, cwd: Path = home) -> None:
        subprocess.run(["git", "-c", "user.name=alice", "-c", "user.email=alice@example.invalid", *args],
                       cwd=cwd, check=True, capture_output=True)

    git("init", "--bare", "-b", "main", str(remote))
    git("init", "-b", "main")
    (home / ".git" / "info" / "exclude").write_text("*\n!README.md\n")
    (home / "README.md").write_text("alice's project\n")
    git("add", "README.md")
    git("commit", "-m", "first")
    git("remote", "add", "origin", str(remote))


def test_the_side_panel_answers_through_the_hubs_proxy(alice_page, hub: Hub):
    page, alice = alice_page, hub.users["alice"]
    prompt = "panel prompt through the hub proxy (alice-only-marker)"
    answer = "The side panel answered through the hub."
    sockets: list[object] = []
    sent: dict[str, list[bytes]] = {}

    def on_socket(ws) -> None:
        sockets.append(ws)
        frames = sent.setdefault(ws.url, [])
        ws.on("framesent", lambda payload: frames.append(payload if isinstance(payload, bytes) else payload.encode()))

    page.on("websocket", on_socket)
    try:
        open_notebook(page, alice, "panel.ipynb", ["x = 1"])
        open_panel(page)
        options = page.locator(f"{PANEL} .jp-agent-panel-approval option")
        options.first.wait_for(state="attached")
        # the requirements allow untrusted and on-request: the menu offers nothing else
        assert options.evaluate_all("els => els.map(e => e.value)") == ["untrusted", "on-request"]
        hub.scripted.enqueue(Reply(text=answer))
        send(page, prompt)
        wait_state(page, "done", timeout=60_000)
        page.locator(PANEL).screenshot(path=str(ARTIFACTS / "alice-06-panel.png"))
        shot(page, "alice-06-panel-page")
    finally:
        page.remove_listener("websocket", on_socket)
    assert page.locator(f"{PANEL} .jp-agent-agent").last.inner_text().strip() == answer
    assert prompt in hub.scripted.requests[-1].body.decode()
    channels = [url for url in sent if url.startswith(f"{alice.url.replace('http', 'ws', 1)}/api/kernels/")
                and "/channels" in url]
    assert channels, f"no kernel websocket through the hub's proxy: {[ws.url for ws in sockets]}"
    comm_frames = [f for url in channels for f in sent[url] if b"comm_msg" in f and prompt.encode() in f]
    assert comm_frames, "the panel's prompt did not travel as a comm message over the proxied kernel websocket"


def test_bob_sees_none_of_alices_sessions(browser, alice_page, hub: Hub):
    alice, bob = hub.users["alice"], hub.users["bob"]
    alice_files = [p for p in files_under(alice.agent_home) if b"alice-only-marker" in p.read_bytes()]
    assert alice_files, "alice's sessions were not recorded in her agent home"
    bob_ask = "What is in bob-only-marker?"
    hub.scripted.enqueue(Reply(text="Bob's own answer."))
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    context.set_default_timeout(30_000)
    try:
        page = login(context, hub, bob)
        shot(page, "bob-02-lab")
        open_notebook(page, bob, "bob.ipynb", ["%load_ext agent", f"%%agent\n{bob_ask}", "%agent sessions --all"])
        run_cell(page, 0)
        wait_cell_done(page, 0)
        run_cell(page, 1)
        output_text(page, 1, "Bob's own answer.")
        wait_cell_done(page, 1)
        run_cell(page, 2)
        listing = output_text(page, 2, "bob-only-marker")
        shot(page, "bob-03-sessions")
    finally:
        context.close()
    assert "alice-only-marker" not in listing, listing
    bob_files = files_under(bob.agent_home)
    assert any(b"bob-only-marker" in p.read_bytes() for p in bob_files), "bob's own session was not recorded"
    leaked = [p for p in bob_files if b"alice-only-marker" in p.read_bytes()]
    assert not leaked, f"bob's agent home holds alice's words: {leaked}"
