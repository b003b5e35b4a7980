"""The environment context (spec §8.6): rendering, diffing, and when a session sends it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from agent.client.scripted import text_reply
from agent.core.environment import (
    EnvironmentContext,
    diff,
    is_environment_context,
    shell_name,
)
from agent.protocol import ops
from agent.protocol.items import Message
from agent.protocol.policy import DangerFullAccess, ReadOnly, WorkspaceWrite

from .conftest import collect_until, make_session


@dataclass
class Turn:
    cwd: Path
    approval_policy: str = "on-request"
    sandbox_policy: object = WorkspaceWrite()


ZSH = {"SHELL": "/usr/bin/zsh"}


def test_full_rendering_is_exact():
    policy = WorkspaceWrite(writable_roots=("/extra/root",))
    text = EnvironmentContext.from_turn(Turn(Path("/abs/path"), sandbox_policy=policy), ZSH).render()
    assert text == (
        "<environment_context>\n"
        "  <cwd>/abs/path</cwd>\n"
        "  <approval_policy>on-request</approval_policy>\n"
        "  <sandbox_mode>workspace-write</sandbox_mode>\n"
        "  <network_access>restricted</network_access>\n"
        "  <writable_roots>\n"
        "    <root>/extra/root</root>\n"
        "  </writable_roots>\n"
        "  <shell>zsh</shell>\n"
        "</environment_context>"
    )
    assert is_environment_context(text)


def test_network_access_is_derived_and_roots_and_shell_appear_only_when_known():
    def render(policy, env=None):
        return EnvironmentContext.from_turn(Turn(Path("/w"), "never", policy), env or {}).render()

    assert "<network_access>enabled</network_access>" in render(DangerFullAccess())
    assert "<network_access>restricted</network_access>" in render(ReadOnly())
    assert "<network_access>enabled</network_access>" in render(WorkspaceWrite(network_access=True))
    plain = render(WorkspaceWrite())
    assert "writable_roots" not in plain and "<shell>" not in plain
    assert render(ReadOnly()) == (
        "<environment_context>\n  <cwd>/w</cwd>\n  <approval_policy>never</approval_policy>\n"
        "  <sandbox_mode>read-only</sandbox_mode>\n  <network_access>restricted</network_access>\n</environment_context>"
    )


def test_shell_name_is_the_basename_of_SHELL():
    assert shell_name({"SHELL": "/bin/bash"}) == "bash"
    assert shell_name({"SHELL": ""}) is None and shell_name({}) is None


def test_diff_is_none_when_nothing_or_only_the_shell_changed():
    a = EnvironmentContext.from_turn(Turn(Path("/w")), ZSH)
    assert diff(a, a) is None
    assert diff(a, EnvironmentContext.from_turn(Turn(Path("/w")), {"SHELL": "/bin/bash"})) is None


def test_diff_holds_only_changed_fields_and_the_shell():
    before = EnvironmentContext.from_turn(Turn(Path("/w")), ZSH)
    moved = diff(before, EnvironmentContext.from_turn(Turn(Path("/other")), ZSH))
    assert moved.render() == "<environment_context>\n  <cwd>/other</cwd>\n  <shell>zsh</shell>\n</environment_context>"
    stricter = diff(before, EnvironmentContext.from_turn(Turn(Path("/w"), "untrusted"), ZSH))
    assert stricter.render() == (
        "<environment_context>\n  <approval_policy>untrusted</approval_policy>\n  <shell>zsh</shell>\n</environment_context>"
    )
    networked = diff(before, EnvironmentContext.from_turn(Turn(Path("/w"), sandbox_policy=WorkspaceWrite(network_access=True, writable_roots=("/r",))), ZSH))
    assert networked.render() == (
        "<environment_context>\n  <sandbox_mode>workspace-write</sandbox_mode>\n  <network_access>enabled</network_access>\n"
        "  <writable_roots>\n    <root>/r</root>\n  </writable_roots>\n  <shell>zsh</shell>\n</environment_context>"
    )


def env_messages(items) -> list[str]:
    return [i.text() for i in items if isinstance(i, Message) and is_environment_context(i.text())]


async def run_turn(session, stream, op) -> None:
    session.submit(op)
    await collect_until(stream, {"task_complete"})


async def test_session_sends_it_at_start_and_a_diff_only_when_the_turn_settings_change(config, client, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    client.add(*[text_reply(f"answer {n}") for n in range(4)])
    session = make_session(config, client)
    stream = session.events()
    await run_turn(session, stream, ops.text_turn("one"))
    first = client.prompts[0].input
    assert first[-2].text().startswith("<environment_context>\n  <cwd>") and first[-1].text() == "one"
    await run_turn(session, stream, ops.text_turn("two"))
    assert len(env_messages(client.prompts[1].input)) == 1
    await run_turn(session, stream, ops.text_turn("three", cwd=str(other), approval_policy="never"))
    third = client.prompts[2].input
    assert env_messages(third)[1].startswith(f"<environment_context>\n  <cwd>{other}</cwd>\n  <approval_policy>never</approval_policy>\n")
    assert third[-2].text() == env_messages(third)[1] and third[-1].text() == "three"  # right before the user message
    session.submit(ops.OverrideTurnContext(sandbox_policy=ReadOnly()))
    await run_turn(session, stream, ops.text_turn("four"))
    fourth = env_messages(client.prompts[3].input)
    assert len(fourth) == 3 and "<sandbox_mode>read-only</sandbox_mode>" in fourth[2] and "<cwd>" not in fourth[2]


async def test_a_resumed_session_records_no_initial_context(config, client):
    from agent.protocol.items import user_text

    client.add(text_reply("back"), text_reply("moved"))
    resumed = [user_text("earlier"), Message(role="assistant", content=[])]
    session = make_session(config, client, resumed_history=resumed)
    assert session.history.items == resumed
    stream = session.events()
    await run_turn(session, stream, ops.text_turn("again"))
    assert env_messages(client.prompts[0].input) == []
    await run_turn(session, stream, ops.text_turn("elsewhere", approval_policy="never"))
    assert env_messages(client.prompts[1].input) == [
        f"<environment_context>\n  <approval_policy>never</approval_policy>\n{shell_line()}</environment_context>"
    ]


def shell_line() -> str:
    import os

    name = shell_name(os.environ)
    return f"  <shell>{name}</shell>\n" if name else ""
