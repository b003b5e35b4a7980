"""The session core: the Session, the turn loop, approvals, configuration.

Front ends use `agent.core.api` (one module) and the protocol; nothing else.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .session import Session

__all__ = ["Session"]


def __getattr__(name: str) -> Any:
    if name == "Session":
        from .session import Session

        return Session
    raise AttributeError(name)
