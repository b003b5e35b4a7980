"""Tool errors: what the model should see versus what stops the turn (spec §4.3).

    ToolError
    ├── RespondToModel   the text becomes the tool's output; the turn continues
    └── ToolFatal        the turn ends with an `error` event
"""

from __future__ import annotations


class ToolError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class RespondToModel(ToolError):
    """A problem the model can fix: bad arguments, a missing file, a denied command."""


class ToolFatal(ToolError):
    """A problem the model cannot fix; the turn ends."""
