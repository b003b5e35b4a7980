"""The kernel-aware tools, built over one `KernelAccess`.

`kernel_tools(access, runner=None, unmasked=())` returns `kernel_variables`,
`last_error`, `notebook_history` and `run_python` (its runner defaults to a
`ThreadedPythonRunner` over the access's namespace, formatting results with
`access.format_rich`). They share one `SecretMasker`: secrets in their output are masked,
except in the variables named in `unmasked` (config `kernel_variables_unmasked`).
"""

from __future__ import annotations

from typing import Iterable

from .base import Tool
from .kernel_access import KernelAccess, PythonRunner
from .kernel_vars import KernelVariablesTool
from .last_error import LastErrorTool
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
