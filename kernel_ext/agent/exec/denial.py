"""Was a failed command stopped by the sandbox? (spec §6.3, made evidence-based). Pure.

Codex treats any failure whose output mentions "permission denied", "sandbox" … as a
denial. That lets a command (or text it prints from a file the model read) fake a
denial and win a prompt to run unsandboxed. Here a failure counts as a sandbox denial
only when the evidence points at something the sandbox really forbids:

`sandbox_denial(result, mechanism, *, cwd, may_write, network_disabled) -> str | None`
returns a one-line description of the evidence, or None:
* never when the command ran unsandboxed (`mechanism == "none"`), exited 0 or timed out;
* exit 159 (128 + SIGSYS: killed by a seccomp filter): a denial;
* the Landlock launcher refusing to run (exit 126, stderr starting with
  `kernel-agent sandbox:`): a denial (the sandbox could not be set up);
* otherwise exit codes 2, 126 and 127 are not denials (shell misuse, not executable,
  not found), as in Codex;
* otherwise only **stderr** is read (stdout is data, not a diagnostic), line by line:
  - a line with a write-denial errno text (`read-only file system`, `permission denied`,
    `operation not permitted`) that names a path (quoted, or a `path:` field, relative
    paths taken against `cwd`) which `may_write` says the sandbox does not allow;
  - with the network disabled, a line with a network errno text (`network is
    unreachable`, `temporary failure in name resolution`, `could not resolve host`, …,
    or `operation not permitted` on a socket/connect).
A line naming only writable paths is not a denial: the sandbox did not block those.

Whatever this says, rerunning outside the sandbox always needs the user's own explicit
approval (tools/shell.py); this only decides whether to offer it.
"""

from __future__ import annotations

import os
import re
from typing import Callable

__all__ = ["LAUNCHER_PREFIX", "sandbox_denial"]

LAUNCHER_PREFIX = "kernel-agent sandbox:"
WRITE_DENIALS = ("read-only file system", "permission denied", "operation not permitted")
NETWORK_DENIALS = (
    "network is unreachable",
    "temporary failure in name resolution",
    "could not resolve host",
    "name or service not known",
    "failed to resolve",
    "no address associated with hostname",
)
_SOCKET_WORDS = ("socket", "connect", "network", "urlopen", "getaddrinfo")
_NOT_DENIAL_CODES = frozenset({2, 126, 127})
_SIGSYS_EXIT = 128 + 31
_QUOTED = re.compile(r"""'([^'\n]+)'|"([^"\n]+)"|‘([^’\n]+)’|`([^`'\n]+)'""")
_FIELD = re.compile(r"(?:^|\s)((?:/|\./|\.\./|~/)?[\w.@+\-~/]+):\s")
_ABSOLUTE = re.compile(r"(?:^|[\s=(\[])(/[^\s'\"`:,;)\]]+)")


def _paths_in(line: str) -> list[str]:
    found = [next(g for g in m.groups() if g) for m in _QUOTED.finditer(line)]
    found += _FIELD.findall(line) + _ABSOLUTE.findall(line)
    return [p.rstrip(".") for p in found if p and p.rstrip(".")]


def _forbidden_path(line: str, cwd: str, may_write: Callable[[str], bool]) -> str | None:
    for text in _paths_in(line):
        if text.startswith("~/"):
            text = os.path.expanduser(text)
        path = os.path.normpath(os.path.join(cwd, text))
        if not may_write(path):
            return path
    return None


def sandbox_denial(exit_code: int, stderr: str, mechanism: str, *, cwd: str, may_write: Callable[[str], bool],
                   network_disabled: bool, timed_out: bool = False) -> str | None:
    """The evidence that the sandbox blocked the command, or None (see the module docstring)."""
    if mechanism == "none" or exit_code == 0 or timed_out:
        return None
    if exit_code == _SIGSYS_EXIT:
        return "killed by the sandbox's seccomp filter (SIGSYS)"
    if exit_code == 126 and stderr.lstrip().startswith(LAUNCHER_PREFIX):
        return stderr.strip().splitlines()[0]
    if exit_code in _NOT_DENIAL_CODES:
        return None
    for line in stderr.splitlines():
        lowered = line.lower()
        if any(word in lowered for word in WRITE_DENIALS):
            path = _forbidden_path(line, cwd, may_write)
            if path is not None:
                return f"writing {path} is outside the writable roots"
        if network_disabled and (
            any(word in lowered for word in NETWORK_DENIALS)
            or ("operation not permitted" in lowered and any(word in lowered for word in _SOCKET_WORDS))
        ):
            return f"network access is off: {line.strip()[:120]}"
    return None
