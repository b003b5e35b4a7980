"""Model providers (spec §3.5): where requests go and how they authenticate.

`ModelProviderInfo` mirrors Codex's `[model_providers.<id>]` table. Built-ins: `openai`,
`azure` and `ollama` (a local OpenAI-compatible server at Ollama's default address), plus
`lmstudio`. A user entry whose id matches a built-in is ignored, as in Codex.
"""

from __future__ import annotations

import os
from typing import Literal, Mapping

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_REQUEST_MAX_RETRIES = 4
DEFAULT_STREAM_MAX_RETRIES = 5
DEFAULT_STREAM_IDLE_TIMEOUT_MS = 300_000
MAX_RETRIES_CAP = 100


class ModelProviderInfo(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    base_url: str | None = None
    env_key: str | None = None
    """Environment variable holding the API key."""
    env_key_instructions: str | None = None
    experimental_bearer_token: str | None = None
    wire_api: Literal["responses", "chat"] = "chat"
    query_params: dict[str, str] | None = None
    http_headers: dict[str, str] | None = None
    env_http_headers: dict[str, str] | None = None
    """Header name -> environment variable; skipped when the variable is unset or blank."""
    request_max_retries: int | None = Field(default=None, ge=0)
    stream_max_retries: int | None = Field(default=None, ge=0)
    stream_idle_timeout_ms: int | None = Field(default=None, gt=0)
    requires_openai_auth: bool = False
    requires_api_key: bool = True
    """False for local servers that accept requests without a key."""

    def request_retries(self) -> int:
        return min(self.request_max_retries if self.request_max_retries is not None else DEFAULT_REQUEST_MAX_RETRIES, MAX_RETRIES_CAP)

    def stream_retries(self) -> int:
        return min(self.stream_max_retries if self.stream_max_retries is not None else DEFAULT_STREAM_MAX_RETRIES, MAX_RETRIES_CAP)

    def idle_timeout_s(self) -> float:
        ms = self.stream_idle_timeout_ms or DEFAULT_STREAM_IDLE_TIMEOUT_MS
        return ms / 1000.0

    def api_base(self) -> str:
        """The base URL requests go to (OpenAI's when none is set), without a trailing slash."""
        return (self.base_url or "https://api.openai.com/v1").rstrip("/")

    def url_for(self, path: str) -> str:
        return f"{self.api_base()}/{path.lstrip('/')}"

    def headers(self, env: Mapping[str, str]) -> dict[str, str]:
        """Static headers plus the env-driven ones whose variables are set."""
        out = dict(self.http_headers or {})
        for header, var in (self.env_http_headers or {}).items():
            value = env.get(var, "").strip()
            if value:
                out[header] = value
        return out


def builtin_providers(env: Mapping[str, str] | None = None) -> dict[str, ModelProviderInfo]:
    env = os.environ if env is None else env
    oss_base = env.get("KERNEL_AGENT_OSS_BASE_URL") or (
        f"http://localhost:{env.get('KERNEL_AGENT_OSS_PORT', '11434')}/v1"
    )
    azure_base = env.get("AZURE_OPENAI_BASE_URL") or (
        f"{env['AZURE_OPENAI_ENDPOINT'].rstrip('/')}/openai" if env.get("AZURE_OPENAI_ENDPOINT") else None
    )
    return {
        "openai": ModelProviderInfo(
            name="OpenAI",
            base_url=env.get("OPENAI_BASE_URL") or "https://api.openai.com/v1",
            env_key="OPENAI_API_KEY",
            wire_api="responses",
            requires_openai_auth=True,
            env_http_headers={"OpenAI-Organization": "OPENAI_ORGANIZATION", "OpenAI-Project": "OPENAI_PROJECT"},
        ),
        "azure": ModelProviderInfo(
            name="Azure OpenAI",
            base_url=azure_base,
            env_key="AZURE_OPENAI_API_KEY",
            env_key_instructions="Set AZURE_OPENAI_ENDPOINT (or AZURE_OPENAI_BASE_URL) and AZURE_OPENAI_API_KEY.",
            wire_api="responses",
            query_params={"api-version": env.get("AZURE_OPENAI_API_VERSION", "2025-04-01-preview")},
            env_http_headers={"api-key": "AZURE_OPENAI_API_KEY"},
        ),
        "ollama": ModelProviderInfo(
            name="Ollama", base_url=oss_base, wire_api="chat", requires_api_key=False
        ),
        "lmstudio": ModelProviderInfo(
            name="LM Studio", base_url="http://localhost:1234/v1", wire_api="chat", requires_api_key=False
        ),
    }


def is_azure(provider_id: str, info: ModelProviderInfo) -> bool:
    """Azure Responses endpoints get `store: true` and item ids re-attached (spec §3.1)."""
    base = (info.base_url or "").lower()
    return provider_id == "azure" or any(
        marker in base for marker in ("openai.azure.", "cognitiveservices.azure.", "azure-api.", "azurefd.")
    )
