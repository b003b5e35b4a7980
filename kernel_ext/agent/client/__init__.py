"""Model clients: the wire APIs over httpx (Responses and Chat Completions).

The seam is `ModelClient`: `stream(prompt)` yields `stream.ResponseEvent`s and raises
`errors.ModelError`s. `connect(...)` builds the client for a provider's `wire_api`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, AsyncIterator, Protocol

if TYPE_CHECKING:
    from .prompt import Prompt
    from .stream import ResponseEvent


class ModelClient(Protocol):
    """One model endpoint. Request-level retries happen inside `stream`, each reported as a
    `stream.RequestRetry` event before its wait."""

    provider_id: str

    def stream(self, prompt: Prompt) -> AsyncIterator[ResponseEvent]: ...

    async def aclose(self) -> None:
        """Release connections (an injected httpx client is left open)."""


__all__ = ["ModelClient"]
