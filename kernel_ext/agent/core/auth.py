"""API keys: `<home>/auth.json` and the order in which a provider's key is found (spec §10.4).

* `save_api_key` writes `{"OPENAI_API_KEY": key}` atomically (`confined_fs.write_private_file`:
  a 0600 temp file in the same folder, fsync, rename); the file ends up 0600 whatever the umask.
* `load_auth` returns the parsed file or None; a damaged file raises `AuthFileError`
  naming the file (never its contents).
* `resolve_api_key` order: `KERNEL_AGENT_API_KEY`, the provider's `env_key` variable,
  auth.json (providers with `requires_openai_auth`), `experimental_bearer_token`; a
  provider with `requires_api_key = false` then gets None, any other one raises
  `MissingApiKey`. No key ever appears in an exception message.
* `secrets_to_redact` lists the key and token values other layers scrub from output.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Mapping

from agent.client.errors import MissingApiKey
from agent.client.providers import ModelProviderInfo
from agent.core.home import ensure_home
from agent.tools.confined_fs import write_private_file

AUTH_FILE = "auth.json"
API_KEY_FIELD = "OPENAI_API_KEY"
AGENT_API_KEY_ENV = "KERNEL_AGENT_API_KEY"
SECRET_NAME_MARKERS = ("KEY", "SECRET", "TOKEN")
MIN_SECRET_LENGTH = 8
"""Shorter values are not redacted: they would mangle ordinary text."""


class AuthFileError(Exception):
    """auth.json exists but cannot be used. The message names the file, never a key."""


def auth_path(home: Path) -> Path:
    return Path(home) / AUTH_FILE


def save_api_key(home: Path, key: str) -> Path:
    """Store `key` in `<home>/auth.json` (mode 0600, atomic replace); returns the path."""
    key = key.strip()
    if not key:
        raise ValueError("the API key is blank")
    folder = ensure_home(Path(home))
    write_private_file(auth_path(folder), (json.dumps({API_KEY_FIELD: key}, indent=2) + "\n").encode("utf-8"))
    return auth_path(folder)


def load_auth(home: Path) -> dict[str, Any] | None:
    """The parsed auth.json, or None when there is none."""
    path = auth_path(home)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not valid UTF-8"
        raise AuthFileError(f"{path}: cannot read the file ({reason})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise AuthFileError(
            f"{path} is corrupt (invalid JSON at line {exc.lineno} column {exc.colno}); "
            "run `kernel-agent logout` and log in again"
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get(API_KEY_FIELD), (str, type(None))):
        raise AuthFileError(
            f"{path} is corrupt (expected an object with a string {API_KEY_FIELD}); "
            "run `kernel-agent logout` and log in again"
        )
    return data


def stored_api_key(home: Path) -> str | None:
    """The non-blank API key saved by `kernel-agent login`, if any."""
    data = load_auth(home) or {}
    key = (data.get(API_KEY_FIELD) or "").strip()
    return key or None


def delete_auth(home: Path) -> bool:
    """Remove auth.json; False when there was none."""
    try:
        auth_path(home).unlink()
    except FileNotFoundError:
        return False
    return True


def mask_key(key: str) -> str:
    """`sk-abcde***vwxyz`: the first 8 and last 5 characters; 13 or fewer show as `***`."""
    if len(key) <= 13:
        return "***"
    return f"{key[:8]}***{key[-5:]}"


def _env_value(env: Mapping[str, str], name: str | None) -> str | None:
    if not name:
        return None
    value = env.get(name, "").strip()
    return value or None


def resolve_api_key(
    provider_id: str,
    info: ModelProviderInfo,
    home: Path,
    env: Mapping[str, str] | None = None,
    *,
    lockdown: str | None = None,
    managed_provider: bool = False,
) -> str | None:
    """The key to send to `provider_id`, None for key-less local servers, else MissingApiKey.

    `lockdown` (the admin's `allow_user_login = false` line, `Config.key_rules()`): only
    what the managed configuration supplies is used: a managed provider's `env_key` and
    bearer token; never KERNEL_AGENT_API_KEY or auth.json, and no key for another provider."""
    env = os.environ if env is None else env
    if lockdown is not None:
        return _managed_key(provider_id, info, env, lockdown, managed_provider)
    key = _env_value(env, AGENT_API_KEY_ENV) or _env_value(env, info.env_key)
    if key:
        return key
    if info.requires_openai_auth:
        key = _stored_key_or_raise(home)
        if key:
            return key
    token = (info.experimental_bearer_token or "").strip()
    if token:
        return token
    if not info.requires_api_key:
        return None
    raise MissingApiKey(missing_key_message(provider_id, info))


def _managed_key(provider_id: str, info: ModelProviderInfo, env: Mapping[str, str], lockdown: str,
                 managed_provider: bool) -> str | None:
    if not info.requires_api_key and not info.env_key:
        return None
    if not managed_provider:
        if not info.requires_api_key:
            return None
        raise MissingApiKey(f"{lockdown}; provider '{provider_id}' is not supplied by the managed configuration")
    key = _env_value(env, info.env_key) or (info.experimental_bearer_token or "").strip()
    if key or not info.requires_api_key:
        return key or None
    raise MissingApiKey(f"{missing_key_message(provider_id, info)} ({lockdown})")


def _stored_key_or_raise(home: Path) -> str | None:
    try:
        return stored_api_key(home)
    except AuthFileError as exc:
        raise MissingApiKey(str(exc)) from None


def missing_key_message(provider_id: str, info: ModelProviderInfo) -> str:
    """"Missing environment variable: `X`." plus the provider's instructions or a hint."""
    variable = info.env_key or AGENT_API_KEY_ENV
    message = f"Missing environment variable: `{variable}`."
    if info.env_key_instructions:
        message += f" {info.env_key_instructions}"
    if provider_id == "openai":
        message += " Run `kernel-agent login` or set OPENAI_API_KEY."
    elif not info.env_key:
        message += (
            f" Provider '{provider_id}' has no `env_key`; set one in [model_providers.{provider_id}],"
            " or `requires_api_key = false` for a server that needs no key."
        )
    return message


def secrets_to_redact(home: Path, env: Mapping[str, str] | None = None) -> list[str]:
    """Every key/token value we know of, longest first, for redaction from outputs."""
    env = os.environ if env is None else env
    found: set[str] = set()
    try:
        stored = stored_api_key(home)
    except AuthFileError:
        stored = None
    if stored:
        found.add(stored)
    for name, value in env.items():
        value = value.strip()
        if name == AGENT_API_KEY_ENV or any(marker in name.upper() for marker in SECRET_NAME_MARKERS):
            found.add(value)
    return sorted((v for v in found if len(v) >= MIN_SECRET_LENGTH), key=lambda v: (-len(v), v))
