"""The kernel-aware tools, built over one `KernelAccess`.

`kernel_tools(access, runner=None, unmasked=())` returns `kernel_variables`,
`last_error`, `notebook_history` and `run_python` (its runner defaults to a
`ThreadedPythonRunner` over the access's namespace, formatting results with
`access.format_rich`). They share one `SecretMasker`: secrets in their output are masked,
except in the variables named in `unmasked` (config `kernel_variables_unmasked`).

`notebook_tools(shell, notebook, unmasked=())` is what a notebook session gets: those four
over IPython's `shell` (`IPythonKernelAccess`), and `notebook_edit` with `notebook` as the
front end that carries out its edits.
"""

from __future__ import annotations

from typing import Any, Iterable

from .base import Tool
from .kernel_access import IPythonKernelAccess, KernelAccess, PythonRunner
from .kernel_vars import KernelVariablesTool
from .last_error import LastErrorTool
from .notebook_edit import NotebookEditTool, NotebookFrontend
from .notebook_history import NotebookHistoryTool
from .run_python import RunPythonTool, ThreadedPythonRunner
from .secret_mask import SecretMasker


def kernel_tools(access: KernelAccess, runner: PythonRunner | None = None, unmasked: Iterable[str] = ()) -> list[Tool]:
    """The four kernel tools, read-only ones first."""
    if runner is None:
        namespace = access.user_namespace()
        if not isinstance(namespace, dict):
            raise TypeError("the default runner needs the namespace as a dict; pass a runner")
        runner = ThreadedPythonRunner(namespace, access.format_rich)
    masker = SecretMasker(unmasked)
    return [
        KernelVariablesTool(access, masker),
        LastErrorTool(access, masker),
        NotebookHistoryTool(access, masker),
        RunPythonTool(access, runner, masker),
    ]


def notebook_tools(shell: Any, notebook: NotebookFrontend, unmasked: Iterable[str] = ()) -> list[Tool]:
    """The kernel tools over IPython's `shell`, then `notebook_edit` through `notebook`."""
    return [*kernel_tools(IPythonKernelAccess(shell), unmasked=unmasked), NotebookEditTool(notebook)]
