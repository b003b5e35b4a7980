"""What a notebook session adds to a plain one: the kernel-aware tools.

Front ends may not import the tools layer, so they call `add_kernel_tools(session,
shell)` with IPython's shell; the tools reach the kernel only through
`IPythonKernelAccess` (duck-typed, IPython is never imported here).
"""

from __future__ import annotations

from typing import Any

from .session import Session


def add_kernel_tools(session: Session, shell: Any) -> list[str]:
    """Register kernel_variables, last_error, run_python and notebook_history."""
    from agent.tools.kernel_access import IPythonKernelAccess
    from agent.tools.kernel_tools import kernel_tools

    added = []
    for tool in kernel_tools(IPythonKernelAccess(shell)):
        if session.tools.get(tool.name) is None:
            session.tools.register(tool)
            added.append(tool.name)
    return added


def last_turn_diff(session: Session) -> str:
    """The unified diff of the files the last turn changed (empty when none)."""
    tracker = getattr(session, "_last_diff", None)
    return tracker.unified_diff() if tracker is not None else ""
