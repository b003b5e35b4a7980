"""The admin's requirements in a real kernel: a forbidden `--approval` is refused in the
cell, and tampering from a cell (the system folder's variable, the user's config.toml)
does not lift the requirement for the running session, nor for a new one in the same kernel
(the folder's location is pinned at the first load). Each attack has an allowed control."""

from __future__ import annotations

from pathlib import Path

from tests.scripted_server import Reply


def test_requirements_hold_for_the_running_session(make_kernel, home: Path, server, tmp_path: Path, monkeypatch):
    system = tmp_path / "system"
    system.mkdir()
    (system / "requirements.toml").write_text('allowed_approval_policies = ["untrusted"]\n')
    monkeypatch.setenv("KERNEL_AGENT_SYSTEM_DIR", str(system))  # the kernel's env copies os.environ
    line = (f"approval_policy 'never' is not allowed by {system / 'requirements.toml'} "
            '(allowed_approval_policies = ["untrusted"])')
    k = make_kernel()
    k.run("%load_ext agent")

    server.enqueue(Reply(text="First answer."))  # control: the allowed policy runs a turn
    view = k.wait_for_view(k.run("%%agent --approval untrusted\nhello").msg_id)
    k.wait_for(lambda: view.phase == "done", what="the first turn")
    assert view.agent_text() == "First answer." and view.status["approval_policy"] == "untrusted"
    first_session = view.status["session_id"]

    refused = k.run("%%agent --approval never\nhello")  # attack: a forbidden policy in a cell
    assert line in refused.markdown() and len(server.requests) == 1

    empty = tmp_path / "empty"
    empty.mkdir()
    config = home / "config.toml"
    k.run(f"import os\nos.environ['KERNEL_AGENT_SYSTEM_DIR'] = {str(empty)!r}\n"
          f"p = {str(config)!r}\nt = open(p).read()\nopen(p, 'w').write('approval_policy = \"never\"\\n' + t)")

    attack = k.run("%%agent --approval never\nhello again")  # the requirement still holds
    assert line in attack.markdown() and len(server.requests) == 1

    refused = k.run("%agent approvals never")  # attack: a line command, checked against the held requirements
    assert line in refused.markdown()
    assert "approval policy → `untrusted`" in k.run("%agent approvals untrusted").markdown()  # control

    status = k.run("%agent status").markdown()  # the status shows what the session holds
    assert f"- **requirements:** approval policies untrusted ({system / 'requirements.toml'})" in status

    server.enqueue(Reply(text="Second answer."))  # control: the allowed policy still works
    view = k.wait_for_view(k.run("%%agent --approval untrusted\nhello").msg_id)
    k.wait_for(lambda: view.phase == "done", what="the second turn")
    assert view.agent_text() == "Second answer." and len(server.requests) == 2

    # attack: a new session after the tampering: it reads the spawner's folder still (pinned
    # in the process at the first load), not the empty one the cell named
    k.run("%agent new")
    server.enqueue(Reply(text="Third answer."))
    view = k.wait_for_view(k.run("%%agent\nhello from a new session").msg_id)
    k.wait_for(lambda: view.phase == "done", what="the new session's turn")
    assert view.agent_text() == "Third answer." and view.status["session_id"] != first_session
    assert f"- **requirements:** approval policies untrusted ({system / 'requirements.toml'})" in k.run("%agent status").markdown()
    assert line in k.run("%agent approvals never").markdown()
