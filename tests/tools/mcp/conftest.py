"""Shared helpers for the MCP client tests: the fault server's config and a started manager."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from agent.exec.sandbox import probe_mechanism
from agent.protocol.policy import WorkspaceWrite
from agent.tools.mcp.manager import McpManager, ServerStatus
from agent.tools.mcp.server_config import McpServerConfig

FAULT_SERVER = str(Path(__file__).resolve().parents[2] / "mcp_fault_server.py")


def fault(mode: str = "ok", name: str = "fault", **fields: Any) -> McpServerConfig:
    fields.setdefault("sandbox", False)
    return McpServerConfig(name=name, command=sys.executable, args=(FAULT_SERVER, mode), **fields)


class Started:
    """A manager started with some servers, and every status update it reported."""

    def __init__(self, manager: McpManager, updates: list[ServerStatus]) -> None:
        self.manager = manager
        self.updates = updates

    def status(self, name: str) -> ServerStatus:
        return next(s for s in self.manager.statuses() if s.name == name)


@pytest.fixture
async def start(work: Path) -> AsyncIterator[Callable[..., Any]]:
    managers: list[McpManager] = []

    async def _start(*servers: McpServerConfig, policy: Any = None) -> Started:
        manager = McpManager(list(servers), cwd=work, sandbox_policy=policy or WorkspaceWrite(),
                             mechanism=probe_mechanism().mechanism)
        managers.append(manager)
        updates: list[ServerStatus] = []
        await manager.start(updates.append)
        return Started(manager, updates)

    yield _start
    for manager in managers:
        await manager.close()


# -- @modelcontextprotocol/server-everything (npm), installed once into a cache outside the repo --

EVERYTHING_VERSION = "2026.8.31"
"""The current release: isError results, resource templates, a long-running tool."""
EVERYTHING_PAGED_VERSION = "2025.9.25"
"""The last release whose resources/list pages (100 resources, 10 per page, nextCursor)."""
NPM_CACHE = Path.home() / ".cache" / "kernel-agent" / "test-npm"
_PACKAGE = "@modelcontextprotocol/server-everything"


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"MCP server-everything tests cannot run on CI: {reason}")
    pytest.skip(reason)


def _entry(alias: str) -> Path:
    return NPM_CACHE / "node_modules" / alias / "dist" / "index.js"


@pytest.fixture(scope="session")
def everything_entries() -> dict[str, Path]:
    """{"current": index.js, "paged": index.js} of the two pinned releases (npm install once)."""
    entries = {"current": _entry(_PACKAGE), "paged": _entry("server-everything-paged")}
    wanted = {_PACKAGE: EVERYTHING_VERSION, "server-everything-paged": EVERYTHING_PAGED_VERSION}
    if all(_installed_version(NPM_CACHE, alias) == version for alias, version in wanted.items()):
        return entries
    npm, node = shutil.which("npm"), shutil.which("node")
    if npm is None or node is None:
        _unavailable("node and npm are needed to install @modelcontextprotocol/server-everything")
    NPM_CACHE.mkdir(parents=True, exist_ok=True)
    specs = [f"{_PACKAGE}@{EVERYTHING_VERSION}",
             f"server-everything-paged@npm:{_PACKAGE}@{EVERYTHING_PAGED_VERSION}"]
    proc = subprocess.run([npm, "install", "--no-audit", "--no-fund", "--prefix", str(NPM_CACHE), *specs],
                          capture_output=True, text=True, timeout=300)
    if proc.returncode != 0 or not all(p.is_file() for p in entries.values()):
        _unavailable(f"npm install failed: {(proc.stderr.strip().splitlines() or ['no output'])[-1]}")
    return entries


def _installed_version(prefix: Path, alias: str) -> str | None:
    try:
        return json.loads((prefix / "node_modules" / alias / "package.json").read_text())["version"]
    except (OSError, ValueError, KeyError):
        return None


def everything(entry: Path, work: Path, name: str = "everything", **fields: Any) -> McpServerConfig:
    """The server on stdio, with a HOME inside the workspace (given through its env table)."""
    home = work / ".everything-home"
    home.mkdir(exist_ok=True)
    return McpServerConfig(name=name, command=shutil.which("node") or "node", args=(str(entry), "stdio"),
                           env=(("HOME", str(home)),), **fields)
