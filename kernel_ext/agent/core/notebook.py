"""What a notebook session adds to a plain one: the kernel-aware tools.

Front ends may not import the tools layer, so they call `add_kernel_tools(session,
shell)` with IPython's shell; the tools reach the kernel only through
`IPythonKernelAccess` (duck-typed, IPython is never imported here).
"""

from __future__ import annotations

from typing import Any

from .session import Session


def add_kernel_tools(session: Session, shell: Any) -> list[str]:
    """Register kernel_variables, last_error, run_python, notebook_history and notebook_edit
    (the last one works only while a JupyterLab side panel sets its `frontend`)."""
    from agent.tools.kernel_access import IPythonKernelAccess
    from agent.tools.kernel_tools import kernel_tools
    from agent.tools.notebook_edit import NotebookEditTool

    added = []
    unmasked = getattr(session.config, "kernel_variables_unmasked", ())
    for tool in [*kernel_tools(IPythonKernelAccess(shell), unmasked=unmasked), NotebookEditTool()]:
        if session.tools.get(tool.name) is None:
            session.tools.register(tool)
            added.append(tool.name)
    return added


def set_notebook_frontend(session: Session, frontend: Any) -> bool:
    """Point the session's `notebook_edit` tool at a front end (None: detach); False if the
    session has no such tool."""
    tool = session.tools.get("notebook_edit")
    if tool is None:
        return False
    tool.frontend = frontend  # type: ignore[attr-defined]
    return True


def sandbox_mechanism() -> str:
    """The sandbox commands would run under here (`bubblewrap`, `landlock` or `none`)."""
    from agent.exec.sandbox import probe_mechanism

    return probe_mechanism().mechanism


def last_turn_diff(session: Session) -> str:
    """The unified diff of the files the last turn changed (empty when none)."""
    tracker = getattr(session, "_last_diff", None)
    return tracker.unified_diff() if tracker is not None else ""
