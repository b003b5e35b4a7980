"""`grep_files`: which files under a path match a regex, newest-modified first (spec §4.2).

Arguments: `pattern` (regex, required, not empty), `include` (a glob), `path` (default: the
turn cwd; relative paths are resolved against it), `limit` (default 100, at most 2000).

With `rg` on PATH it runs
`rg --no-config --files-with-matches --sortr=modified --regexp P --no-messages [--glob G] -- PATH`
(30 s timeout; the process is killed on timeout, on cancellation and once `limit` paths
are read); ripgrep orders by modification time within each directory, a directory taking
its own mtime. Otherwise a pure-Python search keeps the same contract: hidden entries
(including `.git`) and symlinks are skipped, binary files (a NUL byte) and files over
4 MB are skipped, candidates are searched newest first (one global order) and the
search stops at `limit`; `.gitignore` files are not consulted.

Output: one path per line, or "No matches found." (success false); on timeout
"rg timed out after 30 seconds".

Reads obey the read policy (read_policy.py): a refused `path` (credentials, Jupyter
control files, `/proc/<pid>`, `/dev/...`, or a symlink to one) gives `access denied:
...`. The search runs on the root's real path (rg, with no `RIPGREP_CONFIG_PATH` file,
never follows a symlink below it) and every path found under a protected one, or under
`/proc/<pid>`, is dropped before it counts, so a match reveals nothing about a protected
file. The fallback walks directories without following symlinks and opens each file
checked where it really is.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import threading
import time
from typing import Any, Callable

from .base import ToolCall, ToolContext, ToolResult, function_spec
from .errors import RespondToModel
from .read_policy import ReadPolicy

DEFAULT_LIMIT = 100
MAX_LIMIT = 2000
TIMEOUT_S = 30.0
MAX_FILE_BYTES = 4 * 1024 * 1024
MAX_CANDIDATES = 200_000
_STDERR_KEEP = 4096

DESCRIPTION = (
    "Finds files whose contents match the pattern and lists them by modification time."
)


class GrepFilesTool:
    name = "grep_files"
    supports_parallel = True

    def __init__(self, force_fallback: bool = False, rg_path: str | None = None, timeout_s: float = TIMEOUT_S):
        """`force_fallback` skips ripgrep; `rg_path` overrides the PATH lookup of `rg`."""
        self._force_fallback = force_fallback
        self._rg_path = rg_path
        self._timeout_s = timeout_s

    def spec(self) -> dict[str, Any]:
        props = {
            "pattern": {"type": "string", "description": "Regular expression pattern to search for."},
            "include": {"type": "string", "description": 'Optional glob limiting the files searched (e.g. "*.rs").'},
            "path": {"type": "string", "description": "Directory or file to search (default: the working directory)."},
            "limit": {"type": "number", "description": "Maximum number of file paths to return (defaults to 100)."},
        }
        return function_spec(self.name, DESCRIPTION, props, ["pattern"])

    async def handle(self, call: ToolCall, ctx: ToolContext) -> ToolResult:
        args = call.json_arguments()
        pattern = _opt_str(args, "pattern").strip()
        if not pattern:
            raise RespondToModel("pattern must not be empty")
        limit = _limit(args)
        include = _opt_str(args, "include").strip() or None
        root = os.path.normpath(os.path.join(str(ctx.cwd), _opt_str(args, "path") or "."))
        policy = ReadPolicy(ctx.hidden_paths)
        policy.check(root)
        try:
            os.stat(root)
        except OSError as err:
            raise RespondToModel(f"unable to access `{root}`: {err}") from None
        search = SearchRoot(root, os.path.realpath(root), policy)
        rg = None if self._force_fallback else (self._rg_path or shutil.which("rg"))
        if rg:
            found = await run_rg(rg, pattern, include, search, limit, str(ctx.cwd), self._timeout_s)
        else:
            found = await run_fallback(pattern, include, search, limit, self._timeout_s)
        if not found:
            return ToolResult("No matches found.", success=False)
        return ToolResult("\n".join(found))


def _timeout_message(timeout_s: float) -> str:
    return f"rg timed out after {timeout_s:g} seconds"


class SearchRoot:
    """Where a search runs: the path as the model gave it (`shown`, used in the output),
    its real path (searched) and the read policy that filters what is found."""

    def __init__(self, shown: str, real: str, policy: ReadPolicy):
        self.shown, self.real, self.policy = shown, real, policy

    def display(self, found: str) -> str | None:
        """The path to report for a path found under `real`; None when it is refused."""
        if self.policy.entry_denied(found) or self.policy.entry_denied(os.path.realpath(found)):
            return None
        if found == self.real or found.startswith(self.real.rstrip("/") + "/"):
            return self.shown + found[len(self.real):] if self.real != "/" else os.path.join(self.shown, found[1:])
        return found


# ---------------------------------------------------------------- ripgrep


async def run_rg(rg: str, pattern: str, include: str | None, root: SearchRoot, limit: int, cwd: str,
                 timeout_s: float) -> list[str]:
    """Paths printed by ripgrep (at most `limit`, refused ones dropped); the process never
    outlives this call."""
    argv = [rg, "--no-config", "--files-with-matches", "--sortr=modified", "--regexp", pattern, "--no-messages"]
    if include:
        argv += ["--glob", include]
    argv += ["--", root.real]
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv, cwd=cwd, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE, limit=1 << 20,
        )
    except OSError as err:
        raise RespondToModel(
            f"failed to launch ripgrep at `{rg}`: {err}. Ensure ripgrep is installed and on PATH."
        ) from None
    stderr_task = asyncio.ensure_future(_read_head(proc.stderr))
    try:
        found = await asyncio.wait_for(_read_paths(proc, limit, root.display), timeout_s)
    except asyncio.TimeoutError:
        raise RespondToModel(_timeout_message(timeout_s)) from None
    finally:
        await _reap(proc)
        stderr = await _finish(stderr_task)
    if found or proc.returncode in (0, 1):
        return found
    raise RespondToModel(f"rg failed: {stderr}")


async def _read_paths(proc: asyncio.subprocess.Process, limit: int, display: Callable[[str], str | None]) -> list[str]:
    """Read UTF-8 paths until `limit` (then kill rg) or end of output, then wait for exit;
    each goes through `display` (None: dropped)."""
    assert proc.stdout is not None
    found: list[str] = []
    while len(found) < limit:
        line = await proc.stdout.readline()
        if not line:
            break
        try:
            text = line.rstrip(b"\n").decode("utf-8")
        except UnicodeDecodeError:
            continue
        shown = display(text) if text else None
        if shown:
            found.append(shown)
    if len(found) >= limit:
        _kill(proc)
    await proc.wait()
    return found


async def _read_head(stream: asyncio.StreamReader | None) -> str:
    """All of a stream, keeping only its first few KB."""
    if stream is None:
        return ""
    head = b""
    while chunk := await stream.read(65536):
        if len(head) < _STDERR_KEEP:
            head += chunk[: _STDERR_KEEP - len(head)]
    return head.decode("utf-8", errors="replace").strip()


async def _finish(task: asyncio.Future[str]) -> str:
    """The stderr head; rg has exited, so the pipe closes promptly (2 s at most)."""
    try:
        return await asyncio.wait_for(task, 2.0)
    except (asyncio.TimeoutError, asyncio.CancelledError):
        return ""


def _kill(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        try:
            proc.kill()
        except ProcessLookupError:
            pass


async def _reap(proc: asyncio.subprocess.Process) -> None:
    _kill(proc)
    await proc.wait()


# ---------------------------------------------------------------- pure-Python fallback


class _SearchTimeout(Exception):
    pass


async def run_fallback(pattern: str, include: str | None, root: SearchRoot, limit: int, timeout_s: float) -> list[str]:
    """The ripgrep contract in Python, run in a worker thread that stops on timeout or cancel."""
    try:
        regex = re.compile(pattern, re.MULTILINE)
    except re.error as err:
        raise RespondToModel(f"rg failed: regex parse error: {err}") from None
    stop = threading.Event()
    deadline = time.monotonic() + timeout_s
    try:
        return await asyncio.to_thread(python_search, regex, include, root, limit, deadline, stop)
    except _SearchTimeout:
        raise RespondToModel(_timeout_message(timeout_s)) from None
    finally:
        stop.set()


def python_search(regex: re.Pattern[str], include: str | None, root: SearchRoot, limit: int, deadline: float,
                  stop: threading.Event) -> list[str]:
    """Matching files, newest-modified first, at most `limit`."""
    check = _checker(deadline, stop)
    candidates = _candidates(root, glob_matcher(include), check)
    candidates.sort(key=lambda c: c[0], reverse=True)
    found: list[str] = []
    for _, shown, real in candidates:
        check()
        if _file_matches(real, regex, root.policy):
            found.append(shown)
            if len(found) >= limit:
                break
    return found


def _checker(deadline: float, stop: threading.Event) -> Callable[[], None]:
    def check() -> None:
        if stop.is_set() or time.monotonic() > deadline:
            raise _SearchTimeout()

    return check


def _candidates(root: SearchRoot, matches: Callable[[str, bool], bool],
                check: Callable[[], None]) -> list[tuple[float, str, str]]:
    """(mtime, shown path, real path) of the regular files under the root that pass the
    glob (hidden entries, symlinks and refused paths skipped, at most MAX_CANDIDATES)."""
    if not os.path.isdir(root.real):
        return [(_mtime(root.real), root.shown, root.real)] if os.path.isfile(root.real) else []
    out: list[tuple[float, str, str]] = []
    stack = [(root.real, "")]
    while stack and len(out) < MAX_CANDIDATES:
        check()
        directory, rel_dir = stack.pop()
        scanned = root.policy.scan_dir(directory)
        if scanned is None:
            continue
        real_dir, entries = scanned
        for entry in entries:
            rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
            real = os.path.join(real_dir, entry.name)
            if entry.name.startswith(".") or entry.is_symlink() or root.policy.entry_denied(real):
                continue
            if entry.is_dir(follow_symlinks=False):
                if matches(rel, True):
                    stack.append((real, rel))
            elif entry.is_file(follow_symlinks=False) and matches(rel, False):
                out.append((_mtime(real), os.path.join(root.shown, rel), real))
    return out


def _mtime(path: str) -> float:
    try:
        return os.stat(path, follow_symlinks=False).st_mtime
    except OSError:
        return 0.0


def _file_matches(path: str, regex: re.Pattern[str], policy: ReadPolicy) -> bool:
    fd = policy.open_entry(path)
    if fd is None:
        return False
    try:
        if os.fstat(fd).st_size > MAX_FILE_BYTES:
            return False
        chunks, size = [], 0
        while size <= MAX_FILE_BYTES and (chunk := os.read(fd, MAX_FILE_BYTES + 1 - size)):
            chunks.append(chunk)
            size += len(chunk)
        data = b"".join(chunks)
    except OSError:
        return False
    finally:
        os.close(fd)
    if len(data) > MAX_FILE_BYTES or b"\0" in data:
        return False
    return regex.search(data.decode("utf-8", errors="replace")) is not None


# ---------------------------------------------------------------- globs (ripgrep --glob)


def glob_matcher(include: str | None) -> Callable[[str, bool], bool]:
    """`matches(rel_path, is_dir)` for one `--glob`: a glob without `/` matches the file
    name at any depth, one with `/` matches the path relative to the search root; `!`
    negates. A whitelist glob never prunes directories; a negated one does."""
    if not include:
        return lambda rel, is_dir: True
    negate = include.startswith("!")
    glob = include[1:] if negate else include
    dir_only = glob.endswith("/")
    glob = glob.rstrip("/")
    anchored = "/" in glob
    regex = re.compile(glob_to_regex(glob.lstrip("/")), re.DOTALL)

    def matches(rel: str, is_dir: bool) -> bool:
        if dir_only and not is_dir:
            return not negate
        hit = bool(regex.fullmatch(rel if anchored else rel.rsplit("/", 1)[-1]))
        if is_dir:
            return not (negate and hit)
        return hit != negate

    return matches


def glob_to_regex(glob: str) -> str:
    """Translate a gitignore-style glob (`*`, `?`, `**`, `[...]`, `{a,b}`, `\\x`) to a regex."""
    out: list[str] = []
    i = 0
    while i < len(glob):
        if glob.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif glob.startswith("**", i):
            out.append(".*")
            i += 2
        else:
            piece, i = _glob_atom(glob, i)
            out.append(piece)
    return "".join(out)


def _glob_atom(glob: str, i: int) -> tuple[str, int]:
    ch = glob[i]
    if ch == "*":
        return "[^/]*", i + 1
    if ch == "?":
        return "[^/]", i + 1
    if ch == "\\" and i + 1 < len(glob):
        return re.escape(glob[i + 1]), i + 2
    if ch == "[":
        end = glob.find("]", i + 2)
        if end > 0:
            body = glob[i + 1 : end]
            body = "^" + body[1:] if body.startswith("!") else body
            return "[" + body.replace("\\", "\\\\") + "]", end + 1
    if ch == "{":
        end = glob.find("}", i)
        if end > 0:
            alternatives = [glob_to_regex(alt) for alt in glob[i + 1 : end].split(",")]
            return "(?:" + "|".join(alternatives) + ")", end + 1
    return re.escape(ch), i + 1


# ---------------------------------------------------------------- arguments


def _opt_str(args: dict[str, Any], name: str) -> str:
    value = args.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise RespondToModel(f"failed to parse function arguments: `{name}` must be a string")
    return value


def _limit(args: dict[str, Any]) -> int:
    value = args.get("limit", DEFAULT_LIMIT)
    if value is None:
        value = DEFAULT_LIMIT
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise RespondToModel("failed to parse function arguments: `limit` must be a non-negative integer")
    if value == 0:
        raise RespondToModel("limit must be greater than zero")
    return min(value, MAX_LIMIT)
