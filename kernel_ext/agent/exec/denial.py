"""Was a failed command probably stopped by the sandbox? (spec §6.3). Pure.

`is_likely_sandbox_denial(exit_code, stdout, stderr, aggregated, mechanism)`:
* never when the command ran unsandboxed (`mechanism == "none"`) or exited 0;
* yes when stdout, stderr or the aggregated output contains, case-insensitively, one of
  `DENIAL_KEYWORDS`, whatever the (non-zero) exit code;
* otherwise no for exit codes 2, 126 and 127 (shell misuse, not executable, not found);
* otherwise yes for 159 (128 + SIGSYS: killed by a seccomp filter);
* otherwise no (a timeout's 124 included).
"""

from __future__ import annotations

__all__ = ["DENIAL_KEYWORDS", "is_likely_sandbox_denial"]

DENIAL_KEYWORDS = (
    "operation not permitted",
    "permission denied",
    "read-only file system",
    "seccomp",
    "sandbox",
    "landlock",
    "failed to write file",
)
_NOT_DENIAL_CODES = frozenset({2, 126, 127})
_SIGSYS_EXIT = 128 + 31


def is_likely_sandbox_denial(exit_code: int, stdout: str, stderr: str, aggregated: str, mechanism: str) -> bool:
    """See the module docstring."""
    if mechanism == "none" or exit_code == 0:
        return False
    for text in (stdout, stderr, aggregated):
        lowered = text.lower()
        if any(keyword in lowered for keyword in DENIAL_KEYWORDS):
            return True
    if exit_code in _NOT_DENIAL_CODES:
        return False
    return exit_code == _SIGSYS_EXIT
