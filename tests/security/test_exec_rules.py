"""Exec-policy rules end to end: `kernel-agent exec` (no terminal) with the admin's
`rules/*.rules` in the system folder, the scripted model server and the real sandbox.

Invariants: a `forbidden` command never runs, even under danger-full-access + `never`,
however the model wraps it, and the model gets the rule's message; a `prompt` command
under `never` with nobody to answer is denied, and both the model and stderr get the
rule's reason; an `allow` command runs under `untrusted` without asking. Controls: the
harmless commands next to them run.
"""

from __future__ import annotations

from .conftest import bash, shell

RULES = '''prefix_rule(pattern=["git", "push"], decision="forbidden", justification="Use the review flow",
            match=["git push origin main"])
prefix_rule(pattern=["touch"], decision="prompt", justification="ask before touching")
prefix_rule(pattern=["mkdir"], decision="allow")
'''


def with_rules(agent, approval: str, sandbox: str = "workspace-write"):
    system = agent.tmp / "system"
    (system / "rules").mkdir(parents=True)
    (system / "rules" / "team.rules").write_text(RULES)
    agent.approval = approval
    agent.config_extra = f'sandbox_mode = "{sandbox}"'
    agent.env_extra = {"KERNEL_AGENT_SYSTEM_DIR": str(system)}
    return system / "rules" / "team.rules"


def test_forbidden_blocks_every_wrapping_even_with_full_access(agent, mechanism):
    agent.mechanism = mechanism
    team = with_rules(agent, "never", "danger-full-access")
    result = agent.run(tool_calls=[bash("echo x > one.txt && env GIT_DIR=. /usr/bin/git push origin main"),
                                   shell(["timeout", "5", "git", "-C", ".", "push"]),
                                   bash("echo x > control.txt")])
    assert result.proc.returncode == 0, result.proc.stderr
    message = f"execpolicy forbids this command: Use the review flow (rule {team}:1)"
    assert agent.output_of("call_0") == message and agent.output_of("call_1") == message
    assert not (agent.work / "one.txt").exists() and (agent.work / "control.txt").exists()


def test_prompt_under_never_without_a_terminal_is_denied_with_the_reason(agent, mechanism):
    agent.mechanism = mechanism
    team = with_rules(agent, "never")
    result = agent.run(tool_calls=[bash("touch asked.txt"), shell(["mkdir", "allowed"])])
    assert result.proc.returncode == 0, result.proc.stderr
    reason = f"execpolicy requires approval for this command: ask before touching (rule {team}:3)"
    assert agent.output_of("call_0") == f"exec command rejected by user: {reason}"
    assert any("stdin is not a terminal" in line and reason in line for line in result.proc.stderr.splitlines())
    assert not (agent.work / "asked.txt").exists() and (agent.work / "allowed").is_dir()


def test_allow_runs_under_untrusted_without_asking(agent, mechanism):
    agent.mechanism = mechanism
    with_rules(agent, "untrusted")
    result = agent.run(tool_calls=[shell(["mkdir", "made"]), shell(["cp", "/etc/hostname", "copy"])])
    assert result.proc.returncode == 0, result.proc.stderr
    assert (agent.work / "made").is_dir() and not (agent.work / "copy").exists()
    notes = [line for line in result.proc.stderr.splitlines() if "stdin is not a terminal" in line]
    assert len(notes) == 1 and "cp /etc/hostname copy" in notes[0]
