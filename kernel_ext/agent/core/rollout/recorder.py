"""Session persistence: the rollout recorder, and the public API of rollouts (spec §9).

`RolloutRecorder` is the `RolloutSink` the session writes to. A new recorder creates
`<home>/sessions/YYYY/MM/DD/rollout-<local time>-<uuid>.jsonl` (folders 0700, file 0600)
and writes `session_meta` first; a resumed one appends to an existing file (no new
meta). Guarantees:

* **Line-atomic:** each line is serialised and redacted in memory, then written with one
  `os.write` on an `O_APPEND` descriptor, so a crash leaves at most one torn last line
  (which loading skips). Reopening a file whose last line is torn first writes `\\n`, so
  new lines never fuse with the fragment.
* **Durable enough:** a written line is in the kernel's page cache at once (it survives
  `kill -9` of the process); `flush()` and `close()` also `fsync` (the session flushes
  at the end of every task), which survives a machine crash. Per-line fsync is not done:
  it costs milliseconds per line.
* **Never raises into the session:** an OSError disables the recorder with one logged
  warning; later calls are no-ops.
* **No secrets:** every line goes through `redact` (default: a `Redactor` of the home's
  and environment's keys).

Persisted: every API `response_item`; the `event_msg` kinds in `PERSISTED_EVENTS`
(Codex's list plus `error`); `turn_context`; `compacted`.

Loading, listing and forking live in `load` and `listing`; their public
names are re-exported here, with `fork_rollout`.
"""

from __future__ import annotations

import logging
import os
import subprocess
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from pydantic import BaseModel

from agent.protocol.events import EventMsg
from agent.protocol.items import ResponseItem

from .format import (
    ORIGINATOR,
    PERSISTED_EVENTS,
    Redact,
    encode_json_line,
    encode_line,
    is_real_user_message,
    rollout_path,
    utc_timestamp,
)
from .listing import SessionNotFound, SessionSummary, find_session, latest_session, list_sessions
from .load import LoadedRollout, RolloutLine, initial_messages, last_turn_model, load_rollout, rebuild_history

__all__ = [
    "RolloutRecorder", "fork_rollout", "cut_before_user_message", "session_meta", "git_info", "default_redact",
    "LoadedRollout", "RolloutLine", "load_rollout", "rebuild_history", "initial_messages", "last_turn_model",
    "SessionSummary", "SessionNotFound", "list_sessions", "find_session", "latest_session",
]

log = logging.getLogger(__name__)
GIT_TIMEOUT_S = 1.0


class RolloutRecorder:
    """Appends rollout lines to `path`; see the module docstring for the guarantees.

    `RolloutRecorder(path, meta=...)` creates a new file (it must not exist) and writes
    `meta` as its `session_meta`; without `meta` it appends to an existing file. Raises
    OSError only from the constructor (the file can't be created or opened).
    """

    def __init__(self, path: Path, *, meta: dict[str, Any] | None = None, redact: Redact | None = None):
        self.path: str | None = str(path)
        self.redact = redact
        self.conversation_id = meta.get("id") if meta else None
        if meta is not None:
            self._fd: int | None = _create_private(Path(path))
            self._write("session_meta", meta)
        else:
            self._fd = os.open(path, os.O_WRONLY | os.O_APPEND)
            _end_torn_line(self._fd, Path(path))

    @classmethod
    def create(cls, home: Path, conversation_id: str, *, cwd: Path, source: str = "cli", model_provider: str | None = None,
               instructions: str | None = None, redact: Redact | None = None,
               forked_from: str | None = None, notebook: str | None = None) -> RolloutRecorder:
        """A new rollout for `conversation_id` under `<home>/sessions`."""
        now = datetime.now(timezone.utc)
        extra = {"forked_from": forked_from} if forked_from else {}
        if notebook:
            extra["notebook"] = notebook
        meta = session_meta(conversation_id, cwd=cwd, source=source, model_provider=model_provider,
                            instructions=instructions, now=now, **extra)
        return cls(rollout_path(home, conversation_id, now), meta=meta, redact=redact)

    @classmethod
    def resume(cls, path: Path, *, redact: Redact | None = None) -> RolloutRecorder:
        """Append to an existing rollout (no new session_meta)."""
        return cls(path, redact=redact)

    # --- RolloutSink -----------------------------------------------------------------

    def items(self, items: list[ResponseItem]) -> None:
        for item in items:
            self._write_model("response_item", item)

    def event(self, msg: EventMsg) -> None:
        if msg.type in PERSISTED_EVENTS:
            self._write_model("event_msg", msg)

    def turn_context(self, context: dict[str, Any]) -> None:
        self._write("turn_context", context)

    def compacted(self, message: str, replacement_history: list[ResponseItem] | None = None) -> None:
        payload: dict[str, Any] = {"message": message}
        if replacement_history is not None:
            payload["replacement_history"] = [i.model_dump(mode="json", exclude_none=True) for i in replacement_history]
        self._write("compacted", payload)

    def append_lines(self, lines: Iterable[RolloutLine]) -> None:
        """Copy already-recorded lines (their timestamps kept), e.g. into a fork."""
        for line in lines:
            self._write(line.type, line.payload, line.timestamp)

    def flush(self) -> None:
        if self._fd is not None:
            try:
                os.fsync(self._fd)
            except OSError as err:
                self._disable(err)

    def close(self) -> None:
        self.flush()
        fd, self._fd = self._fd, None
        if fd is not None:
            try:
                os.close(fd)
            except OSError:
                pass

    @property
    def enabled(self) -> bool:
        return self._fd is not None

    # --- internals -------------------------------------------------------------------

    def _write(self, kind: str, payload: Any, timestamp: str | None = None) -> None:
        if self._fd is not None:
            self._emit(kind, lambda: encode_line(kind, payload, self.redact, timestamp))

    def _write_model(self, kind: str, model: BaseModel) -> None:
        if self._fd is not None:
            self._emit(kind, lambda: encode_json_line(kind, model.model_dump_json(exclude_none=True), self.redact))

    def _emit(self, kind: str, encode: Callable[[], bytes]) -> None:
        try:
            data = encode()
        except (TypeError, ValueError):
            log.warning("rollout %s: a %s line could not be serialised; skipped", self.path, kind, exc_info=True)
            return
        fd = self._fd
        if fd is None:
            return
        try:
            _write_all(fd, data)
        except OSError as err:
            self._disable(err)

    def _disable(self, err: OSError) -> None:
        log.warning("rollout %s: writing failed (%s); the session is no longer recorded", self.path, err)
        fd, self._fd = self._fd, None
        if fd is not None:
            try:
                os.close(fd)
            except OSError:
                pass


def _write_all(fd: int, data: bytes) -> None:
    """One write (atomic for a regular file); loops only if the kernel wrote less."""
    written = os.write(fd, data)
    while written < len(data):
        written += os.write(fd, data[written:])


def _create_private(path: Path) -> int:
    _make_private_dirs(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_EXCL, 0o600)
    os.fchmod(fd, 0o600)
    return fd


def _make_private_dirs(folder: Path) -> None:
    """mkdir -p where every folder created gets mode 0700 (not just the last one)."""
    missing = []
    while not folder.is_dir():
        missing.append(folder)
        folder = folder.parent
    for path in reversed(missing):
        try:
            path.mkdir(mode=0o700)
            os.chmod(path, 0o700)
        except FileExistsError:
            pass


def _end_torn_line(fd: int, path: Path) -> None:
    """If the file doesn't end with `\\n` (a torn write), end that line first."""
    size = os.fstat(fd).st_size
    if size == 0:
        return
    with open(path, "rb") as handle:
        handle.seek(size - 1)
        last = handle.read(1)
    if last != b"\n":
        _write_all(fd, b"\n")


def default_redact(home: Path, env: Mapping[str, str] | None = None, extra: Iterable[str] = ()) -> Redact:
    """Redaction of every key in the auth file and environment (plus `extra`)."""
    from ..auth import secrets_to_redact
    from ..redact import Redactor

    return Redactor([*secrets_to_redact(home, env), *extra]).text


# --- session_meta ------------------------------------------------------------------------


def session_meta(conversation_id: str, *, cwd: Path, source: str, model_provider: str | None,
                 instructions: str | None = None, now: datetime | None = None, **extra: Any) -> dict[str, Any]:
    """The first line's payload (spec §9.1)."""
    from agent._version import __version__

    meta: dict[str, Any] = {
        "id": conversation_id, "timestamp": utc_timestamp(now), "cwd": str(cwd), "originator": ORIGINATOR,
        "cli_version": __version__, "source": source, "model_provider": model_provider,
    }
    if instructions:
        meta["instructions"] = instructions
    git = git_info(Path(cwd))
    if git:
        meta["git"] = git
    meta.update(extra)
    return meta


def git_info(cwd: Path, timeout_s: float = GIT_TIMEOUT_S) -> dict[str, str] | None:
    """{commit_hash, branch, repository_url} of the repository holding `cwd`, or None.

    Git runs only if a `.git` entry exists in `cwd` or a parent; all calls share one
    `timeout_s` budget, and whatever is known when it runs out is returned.
    """
    if not any((folder / ".git").exists() for folder in (cwd, *cwd.parents)):
        return None
    deadline = time.monotonic() + timeout_s
    head = _git(cwd, deadline, "rev-parse", "HEAD", "--abbrev-ref", "HEAD")
    info: dict[str, str] = {}
    if head and len(head.splitlines()) == 2:
        commit, branch = head.splitlines()
        info["commit_hash"] = commit
        if branch != "HEAD":
            info["branch"] = branch
    url = _git(cwd, deadline, "config", "--get", "remote.origin.url")
    if url:
        info["repository_url"] = url
    return info or None


def _git(cwd: Path, deadline: float, *args: str) -> str | None:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        return None
    try:
        # The workspace's .git may have been written by a command (Landlock cannot keep it
        # read-only): no fsmonitor, hooks or pager may run from it in this unsandboxed process.
        hardened = ["-c", "core.fsmonitor=false", "-c", "core.hooksPath=/dev/null", "--no-pager"]
        done = subprocess.run(["git", *hardened, *args], cwd=cwd, capture_output=True, text=True, timeout=remaining,
                              stdin=subprocess.DEVNULL, env={**os.environ, "GIT_OPTIONAL_LOCKS": "0"})
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


# --- fork --------------------------------------------------------------------------------


def cut_before_user_message(items: list[RolloutLine], nth_user_message: int | None) -> list[RolloutLine]:
    """The lines strictly before the n-th (0-based) real user message; all for None.

    With n or fewer real user messages the result is empty (a brand-new session), as in
    Codex (spec §9.4).
    """
    if nth_user_message is None:
        return list(items)
    positions = [i for i, line in enumerate(items) if line.type == "response_item" and is_real_user_message(line.payload)]
    if nth_user_message < 0 or nth_user_message >= len(positions):
        return []
    return items[: positions[nth_user_message]]


def fork_rollout(home: Path, source_path: Path, nth_user_message: int | None = None, *, redact: Redact | None = None,
                 source: str = "cli", cwd: Path | None = None, model_provider: str | None = None,
                 ) -> tuple[str, Path, list[RolloutLine]]:
    """Start a new session from `source_path`'s lines before the n-th user message.

    Writes a new rollout (fresh id and `session_meta`, with `forked_from`) holding the
    kept lines and returns (new id, new path, kept lines). `cwd` and `model_provider`
    default to the source session's.
    """
    loaded = load_rollout(Path(source_path))
    kept = cut_before_user_message(loaded.items, nth_user_message)
    meta = loaded.meta or {}
    new_id = str(uuid.uuid4())
    recorder = RolloutRecorder.create(
        home, new_id, cwd=cwd or Path(meta.get("cwd") or os.getcwd()), source=source,
        model_provider=model_provider or meta.get("model_provider"), redact=redact,
        forked_from=loaded.conversation_id,
    )
    recorder.append_lines(kept)
    recorder.close()
    return new_id, Path(str(recorder.path)), kept
