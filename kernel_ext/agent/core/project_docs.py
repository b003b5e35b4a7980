"""User instructions: the global AGENTS.md and the project's AGENTS.md files (spec §8.7).

    global:  <home>/AGENTS.override.md if not blank, else <home>/AGENTS.md (trimmed)
    project: one file per directory from the git root down to the cwd (only the cwd
             without a git root): AGENTS.override.md, else AGENTS.md, else one of the
             `fallbacks` names given to `read_project_docs` (the config sets none); read in that order under one shared byte budget
             (`project_doc_max_bytes`, 0 disables), blank files skipped, joined by a
             blank line
    message: `# AGENTS.md instructions for {cwd}` + <INSTRUCTIONS>global
             --- project-doc --- project</INSTRUCTIONS>, as a user message

Reads files only when called; never raises for unreadable files (they are skipped).
"""

from __future__ import annotations

import codecs
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from agent.protocol.items import Message, user_text

if TYPE_CHECKING:
    from .config import Config

log = logging.getLogger(__name__)

OVERRIDE_NAME = "AGENTS.override.md"
DEFAULT_NAME = "AGENTS.md"
PROJECT_DOC_SEPARATOR = "\n\n--- project-doc ---\n\n"
HEADER_PREFIX = "# AGENTS.md instructions for "
OPEN_TAG = "<INSTRUCTIONS>"
CLOSE_TAG = "</INSTRUCTIONS>"
LEGACY_OPEN_TAG = "<user_instructions>"


def global_instructions(home: Path) -> str | None:
    """The home folder's override file if it has text, else its AGENTS.md; trimmed."""
    for name in (OVERRIDE_NAME, DEFAULT_NAME):
        try:
            text = (Path(home) / name).read_text(encoding="utf-8", errors="replace").strip()
        except OSError:
            continue
        if text:
            return text
    return None


def find_git_root(cwd: Path) -> Path | None:
    """The nearest directory at or above `cwd` holding a `.git` file or directory."""
    for directory in (cwd, *cwd.parents):
        if os.path.lexists(directory / ".git"):
            return directory
    return None


def search_dirs(cwd: Path) -> list[Path]:
    """Git root -> ... -> cwd (inclusive), or just the cwd outside a repository."""
    cwd = Path(cwd).resolve()
    root = find_git_root(cwd)
    if root is None:
        return [cwd]
    below = [cwd, *cwd.parents]
    return list(reversed(below[: below.index(root) + 1]))


def candidate_names(fallbacks: Iterable[str] = ()) -> list[str]:
    names = [OVERRIDE_NAME, DEFAULT_NAME]
    for name in fallbacks:
        if name and name not in names:
            names.append(name)
    return names


def discover_project_doc_paths(cwd: Path, fallbacks: Iterable[str] = ()) -> list[Path]:
    """At most one doc per search directory: the first candidate name that exists."""
    names = candidate_names(fallbacks)
    found = []
    for directory in search_dirs(cwd):
        for name in names:
            path = directory / name
            if path.is_symlink() or path.is_file():
                found.append(path)
                break
    return found


def read_project_docs(cwd: Path, max_bytes: int, fallbacks: Iterable[str] = ()) -> str | None:
    """The project docs joined with a blank line, cut to `max_bytes` in total."""
    if max_bytes <= 0:
        return None
    parts: list[str] = []
    remaining = max_bytes
    for path in discover_project_doc_paths(cwd, fallbacks):
        if remaining <= 0:
            break
        data = _read_prefix(path, remaining)
        if data is None:
            continue
        text = codecs.getincrementaldecoder("utf-8")("replace").decode(data, final=False)
        if text.strip():
            parts.append(text)
            remaining -= len(data)
    return "\n\n".join(parts) if parts else None


def _read_prefix(path: Path, limit: int) -> bytes | None:
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            data = handle.read(limit)
    except OSError as err:
        log.warning("cannot read project doc %s: %s", path, err)
        return None
    if size > limit:
        log.warning("project doc %s exceeds the remaining budget (%d bytes); truncating", path, limit)
    return data


def combine(global_text: str | None, project_text: str | None) -> str | None:
    if global_text and project_text:
        return f"{global_text}{PROJECT_DOC_SEPARATOR}{project_text}"
    return global_text or project_text or None


def user_instructions(config: Config) -> str | None:
    """Global instructions and project docs for `config.cwd`, combined; None if neither."""
    project = read_project_docs(Path(config.cwd), config.project_doc_max_bytes)
    return combine(global_instructions(Path(config.home)), project)


def wrap_user_instructions(text: str, cwd: Path | str) -> str:
    return f"{HEADER_PREFIX}{cwd}\n\n{OPEN_TAG}\n{text}\n{CLOSE_TAG}"


def user_instructions_message(config: Config) -> Message | None:
    """The AGENTS.md user message of the initial context, or None when there is nothing."""
    text = user_instructions(config)
    return user_text(wrap_user_instructions(text, config.cwd)) if text else None


def is_user_instructions(text: str) -> bool:
    """Both the current and the older (`<user_instructions>`) wrapping."""
    return text.startswith(HEADER_PREFIX) or text.lstrip().startswith(LEGACY_OPEN_TAG)
