"""Opening sessions from a config: new, resumed or forked, recorded to a rollout.

Front ends call these; they never touch the client layer themselves. A missing key, or
a session that can't be found, becomes a `SetupError` that says what to do.

* `open_session(config, source=...)`: a new session recorded to a new rollout
  (`core/rollout/`). Rollouts are always written; `history.persistence` only governs
  `history.jsonl`. If the rollout can't be created the session still runs, unrecorded
  (a warning is logged).
* `resume_session(config, id_or_path)`: the same id, appending to the same file, with the
  history rebuilt from it (spec §9.3).
* `fork_session(config, id_or_path, nth_user_message)`: a new id and file holding the
  lines before the n-th real user message (spec §9.4); an empty cut starts afresh.
* `submit_user_text(session, text)`: appends the prompt to `history.jsonl` (spec §8.9)
  and submits it as a user turn. Front ends use it for everything a person types.

**Startup warnings on resume/fork** (the recorded model differs from the current one;
damaged lines were skipped) are appended to `SessionConfigured.initial_messages` as
`{"type": "warning", "message": ...}` payloads, after the recorded events. They are not
written to the rollout. `startup_warnings(session)` returns their texts, so a front end
that does not redraw the transcript can still show them.

Every session made here reports `history_log_id` / `history_entry_count` in its
`session_configured` event.
"""

from __future__ import annotations

import logging
import os
import uuid
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from agent.client.errors import MissingApiKey
from agent.protocol import ops

from .auth import resolve_api_key, secrets_to_redact
from .config import Config
from .errors import SetupError
from .redact import MIN_SECRET_LENGTH, Redactor, auth_file_values, secret_env_values
from .rollout.sink import RolloutSink
from .session import Session

log = logging.getLogger(__name__)
Redact = Callable[[str], str]
_redactors: weakref.WeakKeyDictionary[Session, Redact] = weakref.WeakKeyDictionary()

MODEL_MISMATCH = ("This session was recorded with model `{old}` but is resuming with `{new}`. "
                  "Consider switching back to `{old}` as it may affect kernel-agent's performance.")
SKIPPED_LINES = "Skipped {n} damaged line(s) of the session file (e.g. a write cut short by a crash)."


def open_session(config: Config, *, env: Mapping[str, str] | None = None, conversation_id: str | None = None,
                 source: str = "cli", notebook: str | None = None, **session_kw: Any) -> Session:
    """A new, recorded session on the running event loop. Raises SetupError.
    `notebook` (its path) is recorded so the notebook can find its session again.
    `in_kernel=True` (here and for resume / fork): the session runs on a Jupyter kernel's
    loop, so a burst of stream data pauses now and then to let the kernel's I/O threads
    run (client/pacing.py); the default keeps the stream at full speed."""
    from .rollout import RolloutRecorder

    conversation_id = conversation_id or str(uuid.uuid4())
    keys = _keys(config, env)
    _sandbox_check(config, session_kw)
    if "rollout" not in session_kw:
        session_kw["rollout"] = _recorder(lambda: RolloutRecorder.create(
            config.home, conversation_id, cwd=config.cwd, source=source, model_provider=config.model_provider_id,
            redact=keys.redact, notebook=notebook))
    return _build(config, env, keys, conversation_id=conversation_id, **session_kw)


def resume_session(config: Config, id_or_path: str | Path, *, env: Mapping[str, str] | None = None,
                   **session_kw: Any) -> Session:
    """Continue a recorded session (same id, same file). Raises SetupError."""
    from .rollout import RolloutRecorder

    path = locate_session(config.home, id_or_path)
    loaded = _load(path)
    keys = _keys(config, env)
    _sandbox_check(config, session_kw)
    recorder = _recorder(lambda: RolloutRecorder.resume(path, redact=keys.redact))
    return _restored(config, env, keys, loaded, loaded.items, recorder, **session_kw)


def fork_session(config: Config, id_or_path: str | Path, nth_user_message: int | None = None, *,
                 env: Mapping[str, str] | None = None, source: str = "cli", **session_kw: Any) -> Session:
    """A new session holding a recorded one's history before its n-th real user message
    (0-based; None keeps everything). Raises SetupError."""
    from .rollout import RolloutRecorder, fork_rollout, load_rollout

    path = locate_session(config.home, id_or_path)
    keys = _keys(config, env)
    _sandbox_check(config, session_kw)
    try:
        _, new_path, kept = fork_rollout(config.home, path, nth_user_message, redact=keys.redact, source=source,
                                         cwd=config.cwd, model_provider=config.model_provider_id)
        loaded = load_rollout(new_path)
    except OSError as err:
        raise SetupError(f"could not fork {path}: {err.strerror or err}") from None
    recorder = _recorder(lambda: RolloutRecorder.resume(new_path, redact=keys.redact))
    return _restored(config, env, keys, loaded, kept, recorder, **session_kw)


def locate_session(home: Path, id_or_path: str | Path) -> Path:
    """The rollout for a path, session id or unique id prefix. Raises SetupError."""
    from .rollout import SessionNotFound, find_session

    try:
        return find_session(home, str(id_or_path))
    except SessionNotFound as err:
        raise SetupError(str(err)) from None


def submit_user_text(session: Session, text: str, *, images: Sequence[str] = (), **overrides: Any) -> str:
    """Record `text` in history.jsonl, then submit it (with local `images`) as a user turn.

    `overrides` are UserTurn fields (`final_output_json_schema`, `model`, `cwd`, ...).
    Returns the submission id. A history file that can't be written is logged, never
    raised: the prompt is still submitted.
    """
    record_prompt(session, text)
    items: list[ops.UserInput] = [ops.TextInput(text=text)] + [ops.LocalImageInput(path=p) for p in images]
    return session.submit(ops.UserTurn(items=items, **overrides))


def record_prompt(session: Session, text: str) -> bool:
    """Append `text` to `<home>/history.jsonl` per the session's config; True if written."""
    from .message_history import append_history

    config = session.config
    redact = _redactors.get(session) or Redactor(secrets_to_redact(config.home)).text
    try:
        return append_history(config.home, session.conversation_id, text, persistence=config.history_persistence,
                              max_bytes=config.history_max_bytes, redact=redact)
    except OSError as err:
        log.warning("could not save the prompt to the message history: %s", err)
        return False


def startup_warnings(session: Session) -> list[str]:
    """The warnings a resumed or forked session started with (see the module docstring)."""
    messages = session.configured.msg.initial_messages or []  # type: ignore[union-attr]
    return [str(m.get("message", "")) for m in messages if m.get("type") == "warning"]


# --- internals ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Keys:
    api_key: str | None
    secrets: list[str]
    redact: Redact


def _keys(config: Config, env: Mapping[str, str] | None) -> _Keys:
    """The provider's API key and every secret to keep out of files and events (with the
    secret-named values of MCP servers' `env` tables: a server echoing its token is masked)."""
    env = os.environ if env is None else env
    try:
        api_key = resolve_api_key(config.model_provider_id, config.model_provider, config.home, env, **config.key_rules())
    except MissingApiKey as err:
        raise SetupError(err.message) from None
    mcp_env = {name: value for server in config.mcp_servers for name, value in server.env}
    secrets = [*secrets_to_redact(config.home, env), *secret_env_values(env), *auth_file_values(config.home),
               *secret_env_values(mcp_env), *mcp_header_values(config, env), *([api_key] if api_key else [])]
    return _Keys(api_key, secrets, Redactor(secrets).text)


def mcp_header_values(config: Config, env: Mapping[str, str]) -> list[str]:
    """What HTTP MCP servers are sent as credentials, whatever the names look like: every
    `http_headers` value (from config.toml or an ACP client), the variables named by
    `env_http_headers` and `bearer_token_env_var`. A server echoing one back is masked."""
    found = []
    for server in config.mcp_servers:
        found += [value for _, value in server.http_headers]
        names = [var for _, var in server.env_http_headers] + [server.bearer_token_env_var or ""]
        found += [env[name] for name in names if name and env.get(name)]
    return [value.strip() for value in found if len(value.strip()) >= MIN_SECRET_LENGTH]


def _sandbox_check(config: Config, session_kw: dict[str, Any]) -> None:
    """The sandbox mechanism and its start-up warning into `session_kw` (unless given),
    before anything is recorded. Raises SetupError when the mechanism can't enforce the
    permission profile (config.permissions.session_enforcement)."""
    from agent.exec.sandbox import probe_mechanism

    from .config.permissions import session_enforcement

    info = probe_mechanism()
    session_kw.setdefault("sandbox_mechanism", info.mechanism)
    profile_warning = session_enforcement(config, session_kw["sandbox_mechanism"])
    if "sandbox_warning" not in session_kw:
        session_kw["sandbox_warning"] = "; ".join(w for w in (info.warning, profile_warning) if w) or None


def _recorder(make: Callable[[], RolloutSink]) -> RolloutSink | None:
    try:
        return make()
    except OSError as err:
        log.warning("the session will not be recorded: %s", err)
        return None


def _load(path: Path) -> Any:
    from .rollout import load_rollout

    try:
        loaded = load_rollout(path)
    except OSError as err:
        raise SetupError(f"could not read {path}: {err.strerror or err}") from None
    if loaded.conversation_id is None:
        raise SetupError(f"{path} is not a session file (it has no session_meta line)")
    return loaded


def _restored(config: Config, env: Mapping[str, str] | None, keys: _Keys, loaded: Any, lines: list[Any],
              recorder: RolloutSink | None, **session_kw: Any) -> Session:
    """A session continuing `lines` (a resumed file, or a fork's kept lines)."""
    from .rollout import initial_messages, rebuild_history

    history = rebuild_history(lines)
    messages = initial_messages(lines) + [{"type": "warning", "message": w} for w in _warnings(config, loaded, lines)]
    session_kw.setdefault("rollout", recorder)
    return _build(config, env, keys, conversation_id=loaded.conversation_id,
                  resumed_history=history or None, initial_messages=messages, **session_kw)


def _warnings(config: Config, loaded: Any, lines: list[Any]) -> list[str]:
    from .rollout import last_turn_model

    found = []
    if loaded.skipped:
        found.append(SKIPPED_LINES.format(n=loaded.skipped))
    recorded = last_turn_model(lines)
    if recorded and recorded != config.model:
        found.append(MODEL_MISMATCH.format(old=recorded, new=config.model))
    return found


def _build(config: Config, env: Mapping[str, str] | None, keys: _Keys, *, conversation_id: str,
           in_kernel: bool = False, **session_kw: Any) -> Session:
    from agent.client.connect import connect
    from agent.client.pacing import COOPERATIVE, SHARE_WITH_KERNEL
    from agent.exec.sandbox import probe_mechanism

    from .message_history import history_info

    env = os.environ if env is None else env
    pacing = SHARE_WITH_KERNEL if in_kernel else COOPERATIVE
    client = connect(config.model_provider_id, config.model_provider, keys.api_key, env=env, pacing=pacing)
    info = probe_mechanism()
    session_kw.setdefault("sandbox_mechanism", info.mechanism)
    session_kw.setdefault("sandbox_warning", info.warning)
    session = Session(config, client, conversation_id=conversation_id, secrets=keys.secrets, **session_kw)
    _redactors[session] = keys.redact
    configured = session.configured.msg
    configured.history_log_id, configured.history_entry_count = history_info(config.home)  # type: ignore[union-attr]
    return session
