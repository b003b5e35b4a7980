"""Sandbox denial detection (spec §6.3)."""

from __future__ import annotations

import pytest

from agent.exec.denial import is_likely_sandbox_denial

CASES = [
    # exit, stdout, stderr, aggregated, mechanism, expected
    (1, "", "touch: cannot touch '/x': Read-only file system", "", "bubblewrap", True),
    (1, "", "", "bash: /etc/x: Permission denied", "landlock", True),
    (3, "connect failed: [Errno 1] Operation not permitted", "", "", "landlock", True),
    (2, "", "mkdir: PERMISSION DENIED", "", "bubblewrap", True),
    (126, "", "kernel-agent sandbox: cannot enforce the Landlock sandbox", "", "landlock", True),
    (1, "", "error: failed to write file foo", "", "bubblewrap", True),
    (1, "", "seccomp said no", "", "landlock", True),
    (0, "", "permission denied", "", "bubblewrap", False),
    (1, "", "Permission denied", "", "none", False),
    (2, "", "usage: ls", "", "bubblewrap", False),
    (126, "", "cannot execute", "", "bubblewrap", False),
    (127, "", "sh: foo: not found", "", "landlock", False),
    (159, "", "", "", "landlock", True),
    (159, "", "", "", "none", False),
    (1, "", "assertion failed", "", "bubblewrap", False),
    (124, "", "", "", "bubblewrap", False),
]


@pytest.mark.parametrize("exit_code,stdout,stderr,aggregated,mechanism,expected", CASES)
def test_denial_table(exit_code, stdout, stderr, aggregated, mechanism, expected):
    assert is_likely_sandbox_denial(exit_code, stdout, stderr, aggregated, mechanism) is expected
