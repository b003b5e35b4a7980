"""The MCP client against real servers from the registries: mcp-server-git (PyPI) and
@modelcontextprotocol/server-everything (npm, installed once by the `everything_entries`
fixture), each run under the session's sandbox."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from agent.exec.sandbox import probe_mechanism
from agent.tools.mcp.errors import McpError
from agent.tools.mcp.naming import MAX_NAME, qualified_name, qualify_tools
from agent.tools.mcp.result import model_output, result_json
from agent.tools.mcp.schema import tool_parameters
from agent.tools.mcp.server_config import McpServerConfig

from .conftest import everything
from .test_mcp_faults import text_of

MECHANISM = probe_mechanism().mechanism
needs_sandbox = pytest.mark.skipif(MECHANISM == "none", reason="no sandbox mechanism here")
MODEL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
GIT_IDENTITY = (("GIT_AUTHOR_NAME", "Test"), ("GIT_AUTHOR_EMAIL", "test@example.invalid"),
                ("GIT_COMMITTER_NAME", "Test"), ("GIT_COMMITTER_EMAIL", "test@example.invalid"))


# -- mcp-server-git ---------------------------------------------------------------------------

def _repo(path: Path) -> Path:
    path.mkdir(parents=True)
    git = ["git", "-C", str(path), "-c", "user.name=Seed", "-c", "user.email=seed@example.invalid"]
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    (path / "seed.txt").write_text("seed\n")
    subprocess.run([*git, "add", "seed.txt"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "seed commit"], check=True)
    (path / "new.txt").write_text("new\n")
    return path


def _git_state(repo: Path) -> tuple[str, str]:
    run = lambda *a: subprocess.run(["git", "-C", str(repo), *a], capture_output=True, text=True, check=True).stdout
    return run("status", "--porcelain"), run("log", "--format=%s")


def _git_server(repo: Path, sandbox: bool) -> McpServerConfig:
    return McpServerConfig(name="git", command=sys.executable, args=("-m", "mcp_server_git", "--repository", str(repo)),
                           env=GIT_IDENTITY, sandbox=sandbox)


async def _add_and_commit(run, repo: Path) -> tuple[bool, str]:
    added = await run.manager.call_tool("git", "git_add", {"repo_path": str(repo), "files": ["new.txt"]})
    if added.is_error:
        return False, text_of(added)
    committed = await run.manager.call_tool("git", "git_commit", {"repo_path": str(repo), "message": "by the server"})
    return not committed.is_error, text_of(committed)


@needs_sandbox
async def test_git_server_reads_a_workspace_repo_sandboxed(start, work: Path):
    repo = _repo(work / "repo")
    run = await start(_git_server(repo, sandbox=True))
    assert run.status("git").state == "ready" and run.status("git").sandboxed == MECHANISM
    names = {t.name for t in run.status("git").tools}
    assert {"git_status", "git_log", "git_add", "git_commit"} <= names
    status = await run.manager.call_tool("git", "git_status", {"repo_path": str(repo)})
    assert not status.is_error and "new.txt" in text_of(status)
    log = await run.manager.call_tool("git", "git_log", {"repo_path": str(repo)})
    assert not log.is_error and "seed commit" in text_of(log)
    escape = await run.manager.call_tool("git", "git_status", {"repo_path": str(work)})
    assert escape.is_error  # the server itself keeps to its --repository


@needs_sandbox
async def test_git_server_writes_to_a_workspace_repo_only_where_the_sandbox_allows_git(start, work: Path):
    """Commands (and so sandboxed servers) never write a `.git` under bubblewrap, even in the
    workspace; the Landlock fallback does not protect `.git` (README: its known limits)."""
    repo = _repo(work / "repo")
    before = _git_state(repo)
    run = await start(_git_server(repo, sandbox=True))
    wrote, text = await _add_and_commit(run, repo)
    if MECHANISM == "bubblewrap":
        assert not wrote and "Read-only file system" in text
        assert _git_state(repo) == before
    else:
        assert wrote, text
        assert _git_state(repo)[1].splitlines() == ["by the server", "seed commit"]


@needs_sandbox
async def test_a_sandboxed_git_server_cannot_write_a_repo_outside_the_workspace(start, work: Path, tmp_path: Path):
    outside = _repo(tmp_path / "outside")
    before = _git_state(outside)
    run = await start(_git_server(outside, sandbox=True))
    status = await run.manager.call_tool("git", "git_status", {"repo_path": str(outside)})
    assert not status.is_error and "new.txt" in text_of(status)  # reading outside is allowed
    wrote, text = await _add_and_commit(run, outside)
    assert not wrote and re.search(r"Read-only file system|Permission denied|Operation not permitted", text), text
    assert _git_state(outside) == before


async def test_control_the_same_git_server_unsandboxed_writes_that_repo(start, tmp_path: Path):
    outside = _repo(tmp_path / "outside")
    run = await start(_git_server(outside, sandbox=False))
    wrote, text = await _add_and_commit(run, outside)
    assert wrote, text
    assert _git_state(outside) == ("", "by the server\nseed commit\n")


# -- @modelcontextprotocol/server-everything ----------------------------------------------------

@needs_sandbox
async def test_everything_tools_get_model_names_and_schemas(start, work: Path, everything_entries):
    server = "the_everything_reference_server"  # long enough that some names are hashed
    run = await start(everything(everything_entries["current"], work, name=server))
    status = run.status(server)
    assert status.state == "ready", status.error
    assert status.sandboxed == MECHANISM
    tools = status.tools
    assert len(tools) >= 10
    qualified, warnings = qualify_tools((server, t) for t in tools)
    assert warnings == [] and len(qualified) == len(tools)
    assert all(MODEL_NAME.match(q.name) for q in qualified)
    assert any(q.name != f"mcp__{server}__{q.tool.name}" for q in qualified)  # some were shortened
    assert all(len(q.name) <= MAX_NAME and q.name == qualified_name(server, q.tool.name) for q in qualified)
    for tool in tools:
        raw = result_json(tool)["inputSchema"]
        params = tool_parameters(raw)
        jsonschema.Draft202012Validator.check_schema(params)
        assert params["type"] == "object" and isinstance(params["properties"], dict)
        assert all("type" in prop for prop in params["properties"].values()), tool.name


@needs_sandbox
async def test_everything_calls_echo_sum_image_and_error(start, work: Path, everything_entries):
    run = await start(everything(everything_entries["current"], work))
    call = run.manager.call_tool
    assert text_of(await call("everything", "echo", {"message": "héllo"})) == "Echo: héllo"
    assert "is 5" in text_of(await call("everything", "get-sum", {"a": 2, "b": 3}))
    image = model_output(result_json(await call("everything", "get-tiny-image", {})), byte_budget=10_000,
                         accepts_images=True)
    assert image.success and len(image.images) == 1
    assert image.images[0].image_url.startswith("data:image/png;base64,")
    assert '"attached": true' in image.text and "iVBOR" not in image.text
    failed = model_output(result_json(await call("everything", "get-sum", {"a": "two"})), byte_budget=10_000,
                          accepts_images=True)
    assert not failed.success and "expected number" in failed.text


@needs_sandbox
async def test_everything_long_running_tool_times_out_and_the_server_keeps_serving(start, work: Path, everything_entries):
    run = await start(everything(everything_entries["current"], work))
    with pytest.raises(McpError) as err:
        await run.manager.call_tool("everything", "trigger-long-running-operation", {"duration": 60, "steps": 1},
                                    timeout_s=0.5)
    assert str(err.value) == "MCP server everything: tools/call timed out after 0.5 s"
    assert text_of(await run.manager.call_tool("everything", "echo", {"message": "still here"})) == "Echo: still here"


@needs_sandbox
async def test_everything_resource_templates_and_reading(start, work: Path, everything_entries):
    run = await start(everything(everything_entries["current"], work))
    templates = (await run.manager.list_resource_templates("everything"))["everything"].resource_templates
    uris = {t.uri_template for t in templates}
    assert "demo://resource/dynamic/text/{resourceId}" in uris
    read = await run.manager.read_resource("everything", "demo://resource/dynamic/text/7")
    assert read.contents[0].text.startswith("Resource 7:")
    with pytest.raises(McpError) as err:
        await run.manager.read_resource("everything", "demo://resource/no/such")
    assert "\n" not in str(err.value) and str(err.value).startswith("MCP server everything: resources/read failed")


@needs_sandbox
async def test_everything_resources_page_with_next_cursor(start, work: Path, everything_entries):
    run = await start(everything(everything_entries["paged"], work))
    resources, cursor, pages = [], None, 0
    while True:
        page = (await run.manager.list_resources("everything", cursor))["everything"]
        pages += 1
        resources += page.resources
        cursor = page.next_cursor
        if cursor is None:
            break
    assert pages == 10 and len({r.uri for r in resources}) == 100
    read = await run.manager.read_resource("everything", resources[14].uri)
    assert read.contents[0].uri == resources[14].uri
