"""Tools the model may call, and the registry that dispatches them.

This layer depends on `agent.protocol` and `agent.exec` only.
"""

from __future__ import annotations

from .base import Tool, ToolCall, ToolContext, ToolResult
from .errors import RespondToModel, ToolError, ToolFatal
from .registry import ToolRegistry

__all__ = [
    "RespondToModel",
    "Tool",
    "ToolCall",
    "ToolContext",
    "ToolError",
    "ToolFatal",
    "ToolRegistry",
    "ToolResult",
    "default_tools",
]


def default_tools(apply_patch_variant: str = "function", *, view_image: bool = True) -> list[Tool]:
    """The tools a new session offers, in the order the model sees them.

    With the freeform apply_patch variant, command output goes to the model in the
    freeform text form as well (spec §6.2). `view_image=False` (a model that does not
    accept images) leaves `view_image` out: the model is not offered a tool it cannot use."""
    from .apply_patch_tool import ApplyPatchTool
    from .grep_files import GrepFilesTool
    from .list_dir import ListDirTool
    from .plan import UpdatePlanTool
    from .read_file import ReadFileTool
    from .shell import ShellTool
    from .view_image import ViewImageTool

    style = "freeform" if apply_patch_variant == "freeform" else "structured"
    return [
        ShellTool("shell", output_style=style),
        ShellTool("local_shell", output_style=style, advertised=False),
        ShellTool("container.exec", output_style=style, advertised=False),
        UpdatePlanTool(),
        ApplyPatchTool(apply_patch_variant, output_style=style),
        ReadFileTool(),
        ListDirTool(),
        GrepFilesTool(),
        *([ViewImageTool()] if view_image else []),
    ]
