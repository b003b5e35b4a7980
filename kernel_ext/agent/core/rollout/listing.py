"""Finding recorded sessions (spec §9.2): list newest first, look one up by id, the latest.

* `list_sessions` scans `<home>/sessions/YYYY/MM/DD/` newest first (years, months, days
  descending; files by the (timestamp, uuid) in their names, descending), at most
  `MAX_SCAN` files per call. A file is listed only if its first `HEAD_RECORDS` records
  hold a `session_meta` and a user message (a `user_message` event or a real user
  `response_item`). Filters: `cwd` (the session's cwd must equal it) and `provider` (a
  session without one counts as the default provider, `openai`).
* `find_session` accepts a rollout path, a full session id, or a unique id prefix.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from .format import SESSIONS_DIR, parse_name
from .load import RolloutLine, first_user_text, iter_lines

MAX_SCAN = 10_000
HEAD_RECORDS = 10
PREVIEW_CHARS = 80
DEFAULT_PROVIDER = "openai"


class SessionNotFound(LookupError):
    """No rollout (or more than one, for a prefix) matches the given id."""


@dataclass(frozen=True)
class SessionSummary:
    id: str
    path: Path
    created: datetime
    """When the session started (aware, UTC)."""
    updated: datetime
    """The file's modification time (aware, UTC)."""
    cwd: str | None
    first_user_message: str
    """Its first line, cut to PREVIEW_CHARS characters."""
    model_provider: str | None
    notebook: str | None = None
    """The notebook the session belongs to, when it was started from one."""


def list_sessions(home: Path, *, cwd: Path | None = None, limit: int = 50, provider: str | None = None,
                  notebook: str | None = None) -> list[SessionSummary]:
    """Recorded sessions, newest first (see the module docstring)."""
    wanted_cwd = str(Path(cwd).resolve()) if cwd is not None else None
    found: list[SessionSummary] = []
    for path in itertools.islice(rollout_files(home), MAX_SCAN):
        summary = summarize(path)
        if summary is None or (wanted_cwd is not None and summary.cwd != wanted_cwd):
            continue
        if provider is not None and (summary.model_provider or DEFAULT_PROVIDER) != provider:
            continue
        if notebook is not None and summary.notebook != notebook:
            continue
        found.append(summary)
        if len(found) >= limit:
            break
    return found


def latest_session(home: Path, provider: str | None = None, cwd: Path | None = None) -> Path | None:
    """The newest listed session's rollout path (what `--last` resumes)."""
    newest = list_sessions(home, cwd=cwd, limit=1, provider=provider)
    return newest[0].path if newest else None


def find_session(home: Path, id_or_prefix: str) -> Path:
    """The rollout of a session, by path, id or unique id prefix. Raises SessionNotFound."""
    key = id_or_prefix.strip()
    if key.endswith(".jsonl") and Path(key).is_file():
        return Path(key).resolve()
    key = key.lower()
    matches = [path for path in rollout_files(home) if _uuid(path).startswith(key)] if key else []
    exact = [path for path in matches if _uuid(path) == key]
    if len(exact) == 1 or len(matches) == 1:
        return (exact or matches)[0]
    if not matches:
        raise SessionNotFound(f"no recorded session matches {id_or_prefix!r}")
    raise SessionNotFound(f"{len(matches)} recorded sessions start with {id_or_prefix!r}; give more of the id")


def _uuid(path: Path) -> str:
    parsed = parse_name(path.name)
    return parsed[1] if parsed else ""


def rollout_files(home: Path) -> Iterator[Path]:
    """Every rollout file under `<home>/sessions`, newest first."""
    root = Path(home) / SESSIONS_DIR
    for year in _subdirs(root, 4):
        for month in _subdirs(year, 2):
            for day in _subdirs(month, 2):
                yield from _day_files(day)


def _subdirs(folder: Path, width: int) -> list[Path]:
    try:
        entries = [e for e in os.scandir(folder) if e.is_dir() and len(e.name) == width and e.name.isdigit()]
    except OSError:
        return []
    return [Path(e.path) for e in sorted(entries, key=lambda e: e.name, reverse=True)]


def _day_files(day: Path) -> list[Path]:
    try:
        names = [(parsed, e.path) for e in os.scandir(day) if e.is_file() and (parsed := parse_name(e.name))]
    except OSError:
        return []
    return [Path(path) for _, path in sorted(names, reverse=True)]


def summarize(path: Path) -> SessionSummary | None:
    """A listing row from the file's first records; None if it doesn't qualify."""
    try:
        head = _head(path)
        mtime = path.stat().st_mtime
    except OSError:
        return None
    meta = next((line.payload for line in head if line.type == "session_meta" and isinstance(line.payload, dict)), None)
    first = first_user_text(head)
    if meta is None or first is None:
        return None
    return SessionSummary(
        id=str(meta.get("id") or _uuid(path)),
        path=path, created=_created(meta, path), updated=datetime.fromtimestamp(mtime, timezone.utc),
        cwd=meta.get("cwd"), first_user_message=preview(first), model_provider=meta.get("model_provider"),
        notebook=meta.get("notebook"),
    )


def _head(path: Path) -> list[RolloutLine]:
    head: list[RolloutLine] = []
    lines = iter_lines(path)
    try:
        for line in lines:
            if line is not None:
                head.append(line)
                if len(head) >= HEAD_RECORDS:
                    break
    finally:
        lines.close()
    return head


def _created(meta: dict, path: Path) -> datetime:
    stamp = str(meta.get("timestamp") or "")
    try:
        return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
    except ValueError:
        local = datetime.strptime(parse_name(path.name)[0], "%Y-%m-%dT%H-%M-%S")  # type: ignore[index]
        return local.astimezone(timezone.utc)


def preview(text: str) -> str:
    """The first non-blank line of `text`, cut to PREVIEW_CHARS characters."""
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    return line if len(line) <= PREVIEW_CHARS else line[: PREVIEW_CHARS - 1] + "…"
