"""apply_patch: parse Codex's patch format and apply it (spec §5).

    parser.py      text -> hunks (pure)
    seek.py        locating old lines with four fuzz levels (pure)
    apply.py       hunks -> files: standalone in-order apply, or compute-then-write
    diff.py        the unified diff shown for each updated file (pure)
    invocation.py  recognising `apply_patch` inside a command line (pure)

Depends only on the standard library (and `agent.protocol` for `to_protocol_changes`).
"""

from __future__ import annotations

from .apply import (
    AddChange,
    ApplyResult,
    ComputedChange,
    DeleteChange,
    PatchApplyError,
    UpdateChange,
    apply_changes,
    apply_hunks,
    compute_changes,
    summary_text,
    to_protocol_changes,
    touched_paths,
)
from .invocation import (
    NOT_APPLY_PATCH,
    ApplyPatchInvocation,
    ApplyPatchParseError,
    NotApplyPatch,
    maybe_parse_apply_patch,
)
from .parser import AddFile, Chunk, DeleteFile, Hunk, PatchParseError, UpdateFile, parse_patch
from .seek import seek_sequence

__all__ = [
    "NOT_APPLY_PATCH", "AddChange", "AddFile", "ApplyPatchInvocation", "ApplyPatchParseError", "ApplyResult",
    "Chunk", "ComputedChange", "DeleteChange", "DeleteFile", "Hunk", "NotApplyPatch", "PatchApplyError",
    "PatchParseError", "UpdateChange", "UpdateFile", "apply_changes", "apply_hunks", "compute_changes",
    "maybe_parse_apply_patch", "parse_patch", "seek_sequence", "summary_text", "to_protocol_changes",
    "touched_paths",
]
