"""Sandbox denial detection (spec §6.3, evidence-based; exec/denial.py).

Invariant: text alone never makes a failure look like a sandbox denial. Only a failure
whose stderr names a path the sandbox forbids writing, a network failure with the
network off, SIGSYS, or the launcher's own refusal counts.
"""

from __future__ import annotations

import pytest

from agent.exec.denial import sandbox_denial

WS = "/ws"


def may_write(path: str) -> bool:
    return path == WS or path.startswith(WS + "/") or path.startswith("/tmp/")


def denial(exit_code, stderr, mechanism="bubblewrap", *, cwd=WS, network_disabled=True, timed_out=False):
    return sandbox_denial(exit_code, stderr, mechanism, cwd=cwd, may_write=may_write,
                          network_disabled=network_disabled, timed_out=timed_out)


DENIALS = [
    (1, "touch: cannot touch '/etc/x': Read-only file system"),
    (1, "bash: /srv/outside/victim.txt: Read-only file system"),
    (1, "mkdir: cannot create directory ‘/opt/new’: Read-only file system"),
    (1, "OSError: [Errno 30] Read-only file system: '/usr/lib/x'"),
    (1, "cp: cannot create regular file '/etc/passwd': Permission denied"),
    (1, "bash: /root/x: Permission denied"),
    (1, "error: could not lock config file /etc/gitconfig: Operation not permitted"),
    (1, "curl: (6) Could not resolve host: example.com"),
    (1, "OSError: [Errno 101] Network is unreachable"),
    (1, "PermissionError: [Errno 1] Operation not permitted (socket)"),
    (126, "kernel-agent sandbox: cannot enforce the Landlock sandbox, refusing to run the command: x"),
    (159, ""),
]


@pytest.mark.parametrize("exit_code,stderr", DENIALS)
def test_real_denials_are_recognised(exit_code, stderr):
    assert denial(exit_code, stderr) is not None


def test_relative_path_is_taken_against_the_command_cwd():
    """A write that failed in a workdir outside the roots is a denial; inside, it is not."""
    assert denial(1, "bash: out.txt: Read-only file system", cwd="/srv/outside") is not None
    assert denial(1, "bash: out.txt: Read-only file system", cwd=WS) is None


NOT_DENIALS = [
    # (exit, stderr, kwargs)
    (0, "Read-only file system: '/etc/x'", {}),
    (1, "touch: cannot touch '/etc/x': Read-only file system", {"mechanism": "none"}),
    (1, "touch: cannot touch '/ws/x': Permission denied", {}),  # writable: the sandbox did not block it
    (1, "sandbox seccomp landlock", {}),  # Codex's keywords alone are not evidence
    (1, "Permission denied", {}),  # no path named
    (2, "cp: '/etc/x': Read-only file system", {}),
    (127, "sh: foo: not found", {}),
    (124, "", {"timed_out": True}),
    (1, "Could not resolve host: example.com", {"network_disabled": False}),
    (1, "assertion failed", {}),
]


@pytest.mark.parametrize("exit_code,stderr,kwargs", NOT_DENIALS)
def test_other_failures_are_not_denials(exit_code, stderr, kwargs):
    assert denial(exit_code, stderr, **kwargs) is None


def test_stdout_text_is_never_evidence():
    """The function reads stderr only: a command printing a denial on stdout proves nothing."""
    assert denial(1, "") is None
