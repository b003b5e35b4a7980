"""The contract between every layer: typed pydantic models, no I/O.

Submodules: `ops` (Submission, Op), `events` (Event, EventMsg), `items` (history items in
Responses API wire shapes), `policy` (sandbox and approval policies), `thread` (the
`exec --json` lines), `panel` (the side panel's comm messages), `comm` (its comm target
names, pydantic-free) and `schema` (the JSON Schema export). The package's own names are
imported lazily.
"""

from __future__ import annotations

from typing import Any

_HOMES = {
    "events": ["Event", "EventMsg", "TokenUsage", "TokenUsageInfo", "event_adapter"],
    "items": ["ResponseItem", "response_item_adapter"],
    "ops": ["Op", "Submission", "op_adapter"],
    "policy": ["AskForApproval", "ReviewDecision", "SandboxMode", "SandboxPolicy"],
}
_HOME_OF = {name: module for module, names in _HOMES.items() for name in names}

__all__ = sorted(_HOME_OF)


def __getattr__(name: str) -> Any:
    """The models load on first use: `import agent.protocol.comm` stays free of pydantic."""
    module = _HOME_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'agent.protocol' has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(f"{__name__}.{module}"), name)
