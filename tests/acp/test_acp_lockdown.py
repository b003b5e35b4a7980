"""ACP session modes under the admin's requirements: a mode the session's held
requirements forbid is refused with a JSON-RPC error carrying the one line."""

from __future__ import annotations

import json

import pytest
from acp import PROTOCOL_VERSION, RequestError

from tests.acp.client import RecordingClient, acp_agent
from tests.cli.test_exec import make_home

pytestmark = pytest.mark.timeout(90)


async def test_forbidden_mode_is_refused_and_an_allowed_one_is_set(tmp_path, server, work, monkeypatch):
    system = tmp_path / "system"
    system.mkdir()
    (system / "requirements.toml").write_text('allowed_sandbox_modes = ["read-only", "workspace-write"]\n'
                                              'allowed_approval_policies = ["on-request", "untrusted"]\n')
    monkeypatch.setenv("KERNEL_AGENT_SYSTEM_DIR", str(system))  # agent_env copies os.environ
    async with acp_agent(make_home(tmp_path, server.url), RecordingClient(), tmp_path / "e.log") as conn:
        await conn.initialize(protocol_version=PROTOCOL_VERSION)
        new = await conn.new_session(cwd=str(work), mcp_servers=[])
        with pytest.raises(RequestError) as err:
            await conn.set_session_mode(session_id=new.session_id, mode_id="full-access")
        details = json.dumps(err.value.data)
        assert err.value.code == -32602
        assert "approval_policy 'never' is not allowed by" in details and "requirements.toml" in details
        await conn.set_session_mode(session_id=new.session_id, mode_id="read-only")  # control
