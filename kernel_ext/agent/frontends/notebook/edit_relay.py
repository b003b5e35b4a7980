"""The notebook_edit tool's front end, as the notebook front end gives it to every session.

The tool is built with this relay (through `agent.core.api.add_kernel_tools`); the side
panel's bridge attaches to it while the panel's comm targets are registered, and
detaches when they are removed. Nothing else reaches into the tool.
"""

from __future__ import annotations

from typing import Any, Protocol

NO_PANEL = "no JupyterLab side panel is attached to this kernel"


class EditTarget(Protocol):
    """What carries out the edits: the panel bridge."""

    @property
    def connected(self) -> bool: ...

    async def request_edit(self, request: dict[str, Any], timeout_s: float) -> dict[str, Any]: ...


class NotebookEditRelay:
    """Implements the tools' `NotebookFrontend` by forwarding to the attached target."""

    def __init__(self) -> None:
        self._target: EditTarget | None = None

    def attach(self, target: EditTarget) -> None:
        self._target = target

    def detach(self, target: EditTarget) -> None:
        if self._target is target:
            self._target = None

    @property
    def connected(self) -> bool:
        """True while a target is attached and has at least one panel."""
        return self._target is not None and self._target.connected

    async def request_edit(self, request: dict[str, Any], timeout_s: float) -> dict[str, Any]:
        """The target's answer; a failure when the target went away after `connected`."""
        if self._target is None:
            return {"status": "failed", "message": NO_PANEL}
        return await self._target.request_edit(request, timeout_s)
