"""The contract between every layer: typed pydantic models, no I/O.

Submodules: `ops` (Submission, Op), `events` (Event, EventMsg), `items` (history items in
Responses API wire shapes), `policy` (sandbox and approval policies), `thread` (the
`exec --json` lines) and `schema` (the JSON Schema export).
"""

from .events import Event, EventMsg, TokenUsage, TokenUsageInfo, event_adapter
from .items import ResponseItem, response_item_adapter
from .ops import Op, Submission, op_adapter
from .policy import AskForApproval, ReviewDecision, SandboxMode, SandboxPolicy

__all__ = [
    "AskForApproval",
    "Event",
    "EventMsg",
    "Op",
    "ResponseItem",
    "ReviewDecision",
    "SandboxMode",
    "SandboxPolicy",
    "Submission",
    "TokenUsage",
    "TokenUsageInfo",
    "event_adapter",
    "op_adapter",
    "response_item_adapter",
]
