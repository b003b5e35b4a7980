"""Running one command: bounded capture, live output, timeouts, cancellation (spec §6.1).

`await run_command(argv, cwd=..., env=..., timeout_ms=...)` starts `argv` (already wrapped
by the sandbox, if any) with stdin `/dev/null`, stdout and stderr piped, in a new
session (`start_new_session=True`: its own process group, no controlling terminal), and
returns an `ExecResult`.

Output:
* both pipes are read concurrently as the data arrives; each chunk is cut into pieces of
  at most `DELTA_CHUNK` (8192) bytes passed to `on_output(stream, piece)` ("stdout" or
  "stderr"), in arrival order, for at most `max_live_deltas` pieces (default 10,000;
  None = no limit). `on_output` may be a plain function (called at once) or return an
  awaitable (awaited in order; reading pauses while 64 are pending, so a slow consumer
  slows the command instead of growing memory; once the command has exited, pieces
  that would exceed 1,024 pending are skipped rather than waited for).
* stdout, stderr and the interleaved aggregate are each captured in a head+tail buffer
  of `capture_bytes` (first half + last half); what falls in between is dropped and
  replaced by a `[... N bytes omitted ...]` line, so memory stays bounded whatever the
  command prints. `truncated_bytes` counts the bytes dropped from the aggregate (at least
  as many as from either stream). Decoding is lossy UTF-8.

Ending:
* timeout (`timeout_ms`, None = none): SIGKILL to the whole process group, exit code
  124, `timed_out=True`;
* once the direct child has exited, the pipes are drained for `drain_grace_s` at most
  (a background grandchild may hold them open), then the group is always SIGKILLed and
  reading stops, so the call never hangs on leftovers. Processes that left the group
  (`setsid`) are only reached through a PID namespace, i.e. under bubblewrap, where
  killing bwrap kills the whole sandbox;
* cancellation of the awaiting task (the user's interrupt): the group is SIGKILLed at
  once, the child reaped (bounded wait), and CancelledError re-raised; an exception from
  `on_output` is handled the same way and re-raised;
* a child killed by signal N reports exit code 128 + N.

Starting: a command that cannot start raises `CommandStartError` (an OSError; nothing
ran) whose `str()` is one line for the model and the user: a NUL byte in an argument,
the environment or the working directory (checked before anything starts, so the
message is the same whatever sandbox wraps the command); E2BIG "argument list too long
(N bytes ...)"; ENOENT (also a `FileNotFoundError`) "command not found" or "working
directory not found"; EACCES "permission denied"; any other errno with its text.
The child is always reaped by asyncio's child watcher; the runner waits for its exit.
"""

from __future__ import annotations

import asyncio
import collections
import errno
import fcntl
import inspect
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Awaitable, Callable, Mapping, Sequence, Union

__all__ = [
    "DELTA_CHUNK", "EXIT_TIMEOUT", "CommandNotFoundError", "CommandStartError", "ExecResult", "HeadTailBuffer",
    "OutputCallback", "run_command",
]

DELTA_CHUNK = 8192
MAX_LIVE_DELTAS = 10_000
DEFAULT_CAPTURE_BYTES = 1 << 20
DEFAULT_DRAIN_GRACE_S = 1.0
EXIT_TIMEOUT = 124
_PENDING_PAUSE, _PENDING_RESUME, _PENDING_DROP = 64, 16, 1024
_KILL_WAIT_S = 5.0
_AFTER_KILL_DRAIN_S = 0.2
_STREAMS = {1: "stdout", 2: "stderr"}
_F_SETPIPE_SZ = 1031
_PIPE_SIZE = 1 << 20
MAX_ARG_STRLEN = 32 * 4096
"""Linux's limit on one argument or environment string (`MAX_ARG_STRLEN`, 128 KiB)."""

OutputCallback = Callable[[str, bytes], Union[Awaitable[None], None]]


@dataclass(frozen=True)
class ExecResult:
    exit_code: int
    stdout: str
    stderr: str
    aggregated_output: str
    duration_s: float
    timed_out: bool
    truncated_bytes: int


class CommandStartError(OSError):
    """The command could not be started; nothing ran. `str(err)` is a one-line message."""

    def __init__(self, code: int, message: str):
        super().__init__(code, message)

    def __str__(self) -> str:
        return str(self.strerror)


class CommandNotFoundError(CommandStartError, FileNotFoundError):
    """ENOENT: the program (or the working directory) does not exist."""


def _check_startable(argv: Sequence[str], cwd: str, env: Mapping[str, str] | None) -> None:
    """Raise CommandStartError for what no exec can carry: a NUL byte, or text with an
    unpaired surrogate (which has no byte encoding)."""
    if any("\0" in arg for arg in argv):
        raise CommandStartError(errno.EINVAL, "cannot run the command: an argument contains a NUL byte (\\0)")
    try:
        for arg in argv:
            os.fsencode(arg)
    except UnicodeEncodeError:
        message = "cannot run the command: an argument is not valid text (unpaired surrogate)"
        raise CommandStartError(errno.EINVAL, message) from None
    if "\0" in cwd:
        raise CommandStartError(errno.EINVAL, "cannot run the command: the working directory contains a NUL byte (\\0)")
    for name, value in (env or {}).items():
        if "\0" in name or "\0" in value:
            shown = name.replace("\0", "\\0")
            message = f"cannot run the command: environment variable {shown} contains a NUL byte (\\0)"
            raise CommandStartError(errno.EINVAL, message)


def _start_error(err: OSError, argv: Sequence[str], cwd: str, env: Mapping[str, str] | None) -> CommandStartError:
    """The one-line CommandStartError for an OSError raised while starting `argv`."""
    program = argv[0]
    if err.errno == errno.E2BIG:
        largest = max(len(os.fsencode(arg)) for arg in argv)
        if largest > MAX_ARG_STRLEN:
            detail = f"an argument of {largest} bytes; the limit is {MAX_ARG_STRLEN} bytes per argument"
        else:
            strings = list(argv) + [f"{k}={v}" for k, v in (os.environ if env is None else env).items()]
            total = sum(len(os.fsencode(s)) + 1 for s in strings)
            detail = f"{total} bytes of arguments and environment; the limit is {os.sysconf('SC_ARG_MAX')} bytes"
        return CommandStartError(errno.E2BIG, f"cannot run the command: argument list too long ({detail})")
    if err.errno == errno.ENOENT:
        missing_cwd = err.filename is not None and os.fspath(err.filename) == cwd
        what = f"working directory not found: {cwd}" if missing_cwd else f"{program}: command not found"
        return CommandNotFoundError(errno.ENOENT, f"cannot run the command: {what}")
    if err.errno == errno.EACCES:
        return CommandStartError(errno.EACCES, f"cannot run the command: {program}: permission denied")
    reason = os.strerror(err.errno) if err.errno else str(err)
    return CommandStartError(err.errno or errno.EINVAL, f"cannot run the command: {program}: {reason}")


class HeadTailBuffer:
    """Keeps the first `limit // 2` and the last `limit - limit // 2` bytes fed to it."""

    def __init__(self, limit: int) -> None:
        if limit < 2:
            raise ValueError("capture limit must be at least 2 bytes")
        self.head_limit = limit // 2
        self.tail_limit = limit - self.head_limit
        self.head = bytearray()
        self.tail = bytearray()
        self.total = 0

    def feed(self, data: bytes) -> None:
        self.total += len(data)
        room = self.head_limit - len(self.head)
        if room > 0:
            self.head += data[:room]
            data = data[room:]
        if data:
            self.tail += data
            if len(self.tail) > 2 * self.tail_limit:
                del self.tail[: len(self.tail) - self.tail_limit]

    @property
    def dropped(self) -> int:
        return max(0, self.total - self.head_limit - self.tail_limit)

    def text(self) -> str:
        tail = bytes(self.tail[-self.tail_limit:])
        dropped = self.dropped
        if not dropped:
            return (bytes(self.head) + tail).decode("utf-8", errors="replace")
        head = bytes(self.head).decode("utf-8", errors="replace")
        return f"{head}\n[... {dropped} bytes omitted ...]\n{tail.decode('utf-8', errors='replace')}"


class _Run(asyncio.SubprocessProtocol):
    """Protocol + state of one run; `exited` and `failed` are futures the runner waits on."""

    def __init__(self, loop: asyncio.AbstractEventLoop, capture_bytes: int, on_output: OutputCallback | None,
                 max_live_deltas: int | None) -> None:
        self.loop = loop
        self.buffers = {1: HeadTailBuffer(capture_bytes), 2: HeadTailBuffer(capture_bytes)}
        self.aggregate = HeadTailBuffer(capture_bytes)
        self.on_output = on_output
        self.deltas_left = max_live_deltas
        self.transport: asyncio.SubprocessTransport | None = None
        self.exited: asyncio.Future[None] = loop.create_future()
        self.failed: asyncio.Future[None] = loop.create_future()
        self.pipes_closed: asyncio.Future[None] = loop.create_future()
        self.open_pipes = {1, 2}
        self.pending: collections.deque[Awaitable[Any]] = collections.deque()
        self.consumer: asyncio.Task[None] | None = None
        self.wakeup = asyncio.Event()
        self.paused = False
        self.backpressure = True
        self.closing = False

    # -- protocol callbacks -------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def pipe_data_received(self, fd: int, data: bytes) -> None:
        self.buffers[fd].feed(data)
        self.aggregate.feed(data)
        if self.on_output is not None and not self.failed.done():
            self._deliver(_STREAMS[fd], data)

    def pipe_connection_lost(self, fd: int, exc: Exception | None) -> None:
        self.open_pipes.discard(fd)
        if not self.open_pipes and not self.pipes_closed.done():
            self.pipes_closed.set_result(None)

    def process_exited(self) -> None:
        if not self.exited.done():
            self.exited.set_result(None)

    # -- live output --------------------------------------------------------------------
    def _fail(self, err: BaseException) -> None:
        if not self.failed.done():
            self.failed.set_exception(err)
            self.failed.exception()  # mark retrieved; the runner re-raises it

    def _deliver(self, stream: str, data: bytes) -> None:
        assert self.on_output is not None
        for start in range(0, len(data), DELTA_CHUNK):
            if self.deltas_left is not None:
                if self.deltas_left <= 0:
                    return
            if not self.backpressure and len(self.pending) >= _PENDING_DROP:
                return
            if self.deltas_left is not None:
                self.deltas_left -= 1
            try:
                result = self.on_output(stream, data[start:start + DELTA_CHUNK])
            except Exception as err:  # noqa: BLE001 - handed to the runner, which re-raises
                self._fail(err)
                return
            if inspect.isawaitable(result):
                self.pending.append(result)
                self.wakeup.set()
                if self.consumer is None:
                    self.consumer = self.loop.create_task(self._consume())
        if self.backpressure and len(self.pending) >= _PENDING_PAUSE:
            self._set_paused(True)

    def _set_paused(self, paused: bool) -> None:
        if paused == self.paused or self.transport is None:
            return
        self.paused = paused
        for fd in (1, 2):
            pipe = self.transport.get_pipe_transport(fd)
            if pipe is None or pipe.is_closing():
                continue
            if paused:
                pipe.pause_reading()  # type: ignore[attr-defined]
            else:
                pipe.resume_reading()  # type: ignore[attr-defined]

    async def _consume(self) -> None:
        while True:
            while self.pending:
                awaitable = self.pending.popleft()
                try:
                    await awaitable
                except Exception as err:  # noqa: BLE001 - handed to the runner, which re-raises
                    self._fail(err)
                    self._close_pending()
                    return
                if self.paused and len(self.pending) <= _PENDING_RESUME:
                    self._set_paused(False)
            if self.closing:
                return
            self.wakeup.clear()
            await self.wakeup.wait()

    def _close_pending(self) -> None:
        while self.pending:
            awaitable = self.pending.popleft()
            close = getattr(awaitable, "close", None)
            if close is not None:
                close()
            elif isinstance(awaitable, asyncio.Future):
                awaitable.cancel()

    def stop_backpressure(self) -> None:
        """After the child exited: never pause again (pieces beyond the drop mark are skipped)."""
        self.backpressure = False
        self._set_paused(False)

    async def flush_deltas(self) -> None:
        """Let the consumer run every pending awaitable from `on_output`, then end it."""
        self.closing = True
        self.wakeup.set()
        if self.consumer is not None and not self.consumer.done():
            await asyncio.wait({self.consumer, self.failed}, return_when=asyncio.FIRST_COMPLETED)
        await self.stop_consumer()

    async def stop_consumer(self) -> None:
        """Cancel the consumer (bounded wait) and close awaitables it never reached."""
        self.closing = True
        if self.consumer is not None and not self.consumer.done():
            self.consumer.cancel()
            await asyncio.wait({self.consumer}, timeout=1.0)
        self._close_pending()


def _enlarge_pipes(transport: asyncio.SubprocessTransport) -> None:
    """Best effort: 1 MiB pipe buffers, so a flood of output costs fewer reads."""
    for fd in (1, 2):
        pipe = transport.get_pipe_transport(fd)
        fileobj = pipe.get_extra_info("pipe") if pipe is not None else None
        if fileobj is None:
            continue
        try:
            fcntl.fcntl(fileobj.fileno(), _F_SETPIPE_SZ, _PIPE_SIZE)
        except (OSError, ValueError):
            pass


def _killpg(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


async def _wait_any(futures: set[asyncio.Future[Any]], timeout: float | None) -> bool:
    """True when one of `futures` completed within `timeout`."""
    done, _ = await asyncio.wait(futures, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    return bool(done)


async def run_command(
    argv: Sequence[str],
    *,
    cwd: str | os.PathLike[str],
    env: Mapping[str, str] | None,
    timeout_ms: int | None,
    on_output: OutputCallback | None = None,
    capture_bytes: int = DEFAULT_CAPTURE_BYTES,
    max_live_deltas: int | None = MAX_LIVE_DELTAS,
    drain_grace_s: float = DEFAULT_DRAIN_GRACE_S,
) -> ExecResult:
    """Run `argv` and collect its result (see the module docstring). `env=None` inherits ours."""
    if not argv:
        raise ValueError("empty command")
    if timeout_ms is not None and timeout_ms <= 0:
        raise ValueError("timeout_ms must be positive (or None for no timeout)")
    loop = asyncio.get_running_loop()
    run = _Run(loop, capture_bytes, on_output, max_live_deltas)
    started = time.monotonic()
    workdir = os.fspath(Path(cwd))
    _check_startable(argv, workdir, env)
    try:
        transport, _ = await loop.subprocess_exec(
            lambda: run, *argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            cwd=workdir, env=dict(env) if env is not None else None, start_new_session=True,
        )
    except OSError as err:
        raise _start_error(err, argv, workdir, env) from err
    pgid = transport.get_pid()
    _enlarge_pipes(transport)
    timed_out = False
    try:
        timeout_s = timeout_ms / 1000 if timeout_ms is not None else None
        if not await _wait_any({run.exited, run.failed}, timeout_s):
            timed_out = True
            _killpg(pgid)
            await _wait_any({run.exited}, _KILL_WAIT_S)
        if run.failed.done():
            run.failed.result()
        run.stop_backpressure()
        await _wait_any({run.pipes_closed, run.failed}, drain_grace_s)
        _killpg(pgid)
        if not run.pipes_closed.done():
            await _wait_any({run.pipes_closed, run.failed}, _AFTER_KILL_DRAIN_S)
        transport.close()
        await run.flush_deltas()
        if run.failed.done():
            run.failed.result()
    except BaseException:
        _killpg(pgid)
        transport.close()
        try:
            await _wait_any({run.exited}, _KILL_WAIT_S)
        finally:
            await run.stop_consumer()
        raise
    returncode = transport.get_returncode()
    if timed_out:
        exit_code = EXIT_TIMEOUT
    elif returncode is None:
        exit_code = 128 + signal.SIGKILL
    elif returncode < 0:
        exit_code = 128 - returncode
    else:
        exit_code = returncode
    return ExecResult(
        exit_code=exit_code,
        stdout=run.buffers[1].text(),
        stderr=run.buffers[2].text(),
        aggregated_output=run.aggregate.text(),
        duration_s=time.monotonic() - started,
        timed_out=timed_out,
        truncated_bytes=run.aggregate.dropped,
    )
