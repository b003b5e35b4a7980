"""`run_python`: run code in the kernel's own namespace (not sandboxed, so always approved).

Approval: asked for every call; an `approved_for_session` decision is remembered per
code text. Under `never` (nobody to ask) it runs only with the danger-full-access
sandbox policy and is refused otherwise: in-process code obeys the sandbox the user chose. Denied -> "run_python
rejected by user". The run is shown like a shell command (`ExecCommandBegin`, live
`ExecCommandOutputDelta`s, `ExecCommandEnd`, command `["run_python", code]`). The model
gets `stdout:`, `stderr:`, `result:`, `displays:` and `error:` sections (each bounded,
empty ones left out), an `interrupted:` line after a timeout, and the wall time. Secrets
in the sections are masked (secret_mask.py) before they are cut; the model's text ends
with `[masked: … in stdout]`, which the transcript also gets as a last output line.

`ThreadedPythonRunner` executes on a worker thread, a final expression evaluated apart for
the result. While runs are active sys.stdout/sys.stderr are wrappers sending the writes of
worker threads to their run's `Capture` (polled every 100 ms), all else to the original
stream. A timeout or a cancelled task injects `KeyboardInterrupt` into the worker.

Around each run the turn's `VariablesUndo` (variables_undo.py, in `ctx.journal`) records
the variables the code added, rebound, deleted or may have changed in place, so
`%agent undo` can put them back.
"""

from __future__ import annotations

import ast
import asyncio
import base64
import contextlib
import ctypes
import itertools
import linecache
import sys
import threading
import time
import traceback
import types
from collections.abc import Callable
from typing import Any

from agent.protocol import events as ev
from agent.protocol.policy import DangerFullAccess

from .base import ToolCall, ToolContext, ToolResult, function_spec
from .errors import RespondToModel
from .kernel_access import (
    KernelAccess,
    OutputCallback,
    PythonRunner,
    RunOutcome,
    masked_ends,
    plain_text,
    rich_text,
)
from .secret_mask import MaskScope, SecretMasker
from .truncate import TruncationPolicy, truncate_text
from .variables_undo import variables_undo

REJECTED = "run_python rejected by user"
APPROVAL_REASON = "Runs in the kernel's own namespace, outside the sandbox."
NEVER_REFUSED = (
    "run_python refused: it runs in the kernel, outside the sandbox, and the approval policy 'never' "
    "cannot ask the user; use the shell tool (sandboxed) instead"
)
REQUIRED_REFUSED = (
    "run_python refused: the administrator's requirements.toml sets run_python_requires_approval = true "
    "and the approval policy 'never' cannot ask the user; use the shell tool (sandboxed) instead"
)
POLL_S, STOP_GRACE_S = 0.1, 2.0  # output polling interval; wait for the worker after an interrupt
RESULT_BUDGET, ERROR_BUDGET = 4_000, 4_000
CAPTURE_CHARS = 1_000_000  # kept per stream: half from the start, half from the end
PENDING_CHARS = 256_000  # live output buffered between two polls; the excess is not streamed

DESCRIPTION = (
    "Runs Python code in the user's kernel namespace (the notebook's variables are visible, and variables "
    "it defines stay). Returns stdout, stderr, the value of a final expression, and any traceback. Not "
    "sandboxed: the user approves each run. Prefer kernel_variables for read-only inspection."
)


class RunPythonTool:
    name = "run_python"
    supports_parallel = False
    shell_like = True

    def __init__(self, access: KernelAccess, runner: PythonRunner, masker: SecretMasker | None = None):
        self.access, self.runner = access, runner
        self.masker = masker or SecretMasker()

    def spec(self) -> dict[str, Any]:
        props = {
            "code": {"type": "string", "description": "The Python code to run; a final expression's value is returned."},
            "timeout_ms": {"type": "number", "description": "Interrupt the code after this many milliseconds."},
        }
        return function_spec(self.name, DESCRIPTION, props, ["code"])

    async def handle(self, call: ToolCall, ctx: ToolContext) -> ToolResult:
        code, timeout_s = _parse(call, ctx)
        command = ["run_python", code]
        await ctx.emit(ev.ExecCommandBegin(call_id=call.call_id, turn_id=ctx.turn_id, command=command, cwd=str(ctx.cwd)))
        by_policy = _refusal(ctx)  # a policy refused it; a user's denial shows as declined
        refused = by_policy or (None if await _approved(ctx, call.call_id, code) else REJECTED)
        if refused:
            await ctx.emit(_end_event(call, ctx, code, RunOutcome(stderr=refused), refused, -1, refused=by_policy is not None))
            return ToolResult(refused, success=False)

        async def on_output(stream: str, text: str) -> None:
            chunk = base64.b64encode(text.encode("utf-8", "replace")).decode()
            await ctx.emit(ev.ExecCommandOutputDelta(call_id=call.call_id, stream=stream, chunk=chunk))  # type: ignore[arg-type]

        undo = variables_undo(ctx.journal, self.access)
        undo.before_run(code)
        try:
            outcome = await self.runner.run(code, on_output, timeout_s)
        finally:
            undo.after_run()
        scope = self.masker.scope(namespace=self.access.user_namespace())
        text = model_text(outcome, ctx.exec_settings.output_byte_budget, timeout_s, scope)
        if scope.note():
            await on_output("stdout", f"\n{scope.note()}\n")
        failed = outcome.error is not None or outcome.interrupted
        await ctx.emit(_end_event(call, ctx, code, outcome, text, 1 if failed else 0))
        return ToolResult(text, success=not failed)


def _parse(call: ToolCall, ctx: ToolContext) -> tuple[str, float]:
    args = call.json_arguments()
    code = args.get("code")
    if not isinstance(code, str) or not code.strip():
        raise RespondToModel("failed to parse function arguments: `code` must be a non-empty string")
    timeout = args.get("timeout_ms")
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0):
        raise RespondToModel("failed to parse function arguments: `timeout_ms` must be a positive number")
    return code, (timeout or ctx.exec_settings.default_timeout_ms) / 1000


def _refusal(ctx: ToolContext) -> str | None:
    """Under `never` nobody can be asked, and the code would run outside the sandbox the
    user chose: it runs only with danger-full-access (nothing is confined anyway), and not
    at all when the admin requires approval for every run_python."""
    if ctx.approval_policy == "never" and ctx.exec_settings.run_python_requires_approval:
        return REQUIRED_REFUSED
    if ctx.approval_policy == "never" and not isinstance(ctx.sandbox_policy, DangerFullAccess):
        return NEVER_REFUSED
    return None


async def _approved(ctx: ToolContext, call_id: str, code: str) -> bool:
    """Asks unless approved for the session (or, when the admin requires approval, every
    time); never asks under `never` (see `_refusal`)."""
    required = ctx.exec_settings.run_python_requires_approval
    if ctx.approval_policy == "never" and not required:
        return True
    key = f"run_python\0{code}"
    if key in ctx.session_approvals and not required:
        return True
    request = ev.ExecApprovalRequest(call_id=call_id, turn_id=ctx.turn_id, command=["run_python", code], cwd=str(ctx.cwd), reason=APPROVAL_REASON)
    decision = await ctx.request_approval(request)
    if decision == "approved_for_session":
        ctx.session_approvals.add(key)
    return decision in ("approved", "approved_for_session")


def model_text(outcome: RunOutcome, output_budget: int, timeout_s: float | None, scope: MaskScope | None = None) -> str:
    """The compact sections the model sees, secrets masked; stdout and stderr share
    `output_budget` bytes."""
    scope = scope or SecretMasker().scope()
    share = output_budget // 2 if outcome.stdout and outcome.stderr else output_budget
    parts = [
        ("stdout", outcome.stdout, share), ("stderr", outcome.stderr, share),
        ("result", outcome.result_text or "", RESULT_BUDGET),
        ("displays", "\n---\n".join(outcome.displays), RESULT_BUDGET), ("error", outcome.error or "", ERROR_BUDGET),
    ]
    sections = []
    for title, text, budget in parts:
        if text.strip():
            with scope.at(title):
                masked = masked_ends(scope.mask, text.rstrip(), budget)
            sections.append(f"{title}:\n{truncate_text(masked, TruncationPolicy('bytes', budget))}")
    if outcome.timed_out:
        sections.append(f"interrupted: timed out after {timeout_s:g} seconds")
    elif outcome.interrupted:
        sections.append("interrupted: the run was stopped")
    body = "\n".join(sections) if sections else "(no output)"
    return scope.finish(f"{body}\nWall time: {outcome.duration_s:.1f} seconds")


def _end_event(call: ToolCall, ctx: ToolContext, code: str, outcome: RunOutcome, text: str, exit_code: int,
               *, refused: bool = False) -> ev.ExecCommandEnd:
    aggregated = outcome.stdout + outcome.stderr + "".join(f"{s}\n" for s in (outcome.result_text, outcome.error) if s)
    return ev.ExecCommandEnd(
        call_id=call.call_id, turn_id=ctx.turn_id, command=["run_python", code], cwd=str(ctx.cwd),
        stdout=outcome.stdout, stderr=outcome.stderr, aggregated_output=aggregated, exit_code=exit_code,
        duration=ev.Duration.from_seconds(outcome.duration_s), formatted_output=text, refused=refused,
    )


class ThreadedPythonRunner:
    """Runs code in `namespace` on a worker thread (see the module docstring).

    `format_rich` turns the final expression's value into a MIME bundle (default: a
    bounded repr); it runs on the worker, so a slow repr is interruptible too."""

    _names = itertools.count(1)

    def __init__(self, namespace: dict[str, Any], format_rich: Callable[[Any], dict[str, str]] | None = None):
        self.namespace = namespace
        self.format_rich = format_rich or (lambda value: {"text/plain": plain_text(value)})

    async def run(self, code: str, on_output: OutputCallback, timeout_s: float | None) -> RunOutcome:
        started = time.monotonic()
        filename = f"<run_python-{next(self._names)}>"
        try:
            body, final = compile_cell(code, filename)
        except (SyntaxError, ValueError) as err:
            return RunOutcome(error="".join(traceback.format_exception_only(type(err), err)), duration_s=time.monotonic() - started)
        job = _Job(self.namespace, body, final, self._result_text, asyncio.get_running_loop())
        job.thread.start()
        try:
            timed_out = await _watch(job, on_output, started, timeout_s)
        except BaseException:
            job.interrupt()
            raise
        await _flush(job.capture, on_output)
        return job.outcome(time.monotonic() - started, timed_out)

    def _result_text(self, value: Any) -> str:
        try:
            return rich_text(self.format_rich(value))
        except Exception as err:  # noqa: BLE001 - a failing repr is reported as the result
            return f"<{type(value).__name__} object: formatting raised {type(err).__name__}: {err}>"


def compile_cell(code: str, filename: str) -> tuple[types.CodeType, types.CodeType | None]:
    """The code's statements and, when it ends with an expression, that expression apart.
    The source is registered in linecache so tracebacks show its lines."""
    tree = ast.parse(code, filename, "exec")
    final = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = tree.body.pop()
        final = compile(ast.Expression(last.value), filename, "eval")
    linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
    return compile(tree, filename, "exec"), final


async def _watch(job: _Job, on_output: OutputCallback, started: float, timeout_s: float | None) -> bool:
    """Forward output until the job ends; at the deadline interrupt it. True if it timed out."""
    deadline = None if timeout_s is None else started + timeout_s
    while not job.finished.done():
        await asyncio.wait({job.finished}, timeout=POLL_S)
        await _flush(job.capture, on_output)
        if deadline is not None and time.monotonic() >= deadline and not job.finished.done():
            job.interrupt()
            await asyncio.wait({job.finished}, timeout=STOP_GRACE_S)
            return True
    return False


async def _flush(capture: Capture, on_output: OutputCallback) -> None:
    for stream, text in capture.drain():
        await on_output(stream, text)


class _Job:
    """One run on its own daemon thread; `finished` resolves on the loop when it ends."""

    def __init__(self, ns: dict[str, Any], body: types.CodeType, final: types.CodeType | None,
                 result_text: Callable[[Any], str], loop: asyncio.AbstractEventLoop):
        self.ns, self.body, self.final, self.result_text, self.loop = ns, body, final, result_text, loop
        self.capture = Capture()
        self.finished: asyncio.Future[None] = loop.create_future()
        self.lock = threading.Lock()
        self.in_user_code = self.stop_requested = self.injected = False
        self.result: str | None = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._main, name="run_python", daemon=True)

    def interrupt(self) -> None:
        """Raise KeyboardInterrupt in the worker if it is in user code (or as soon as it gets there)."""
        with self.lock:
            self.stop_requested = True
            if self.in_user_code and self.thread.ident is not None:
                self.injected = _set_async_exc(self.thread.ident, KeyboardInterrupt)

    def outcome(self, duration_s: float, timed_out: bool) -> RunOutcome:
        error = format_error(self.error) if self.error is not None else None
        if not self.finished.done():
            error = "the code did not stop after KeyboardInterrupt; it is still running in a background thread"
        interrupted = timed_out or isinstance(self.error, KeyboardInterrupt)
        return RunOutcome(stdout=self.capture.text("stdout"), stderr=self.capture.text("stderr"), result_text=self.result,
                          error=error, duration_s=duration_s, interrupted=interrupted, timed_out=timed_out)

    def _main(self) -> None:
        capture_current_thread(self.capture)
        try:
            try:
                self._run_user_code()
            finally:
                self._leave_user_code()
        except KeyboardInterrupt as late:  # landed after the user code, before it was cleared
            self.error = self.error or late
        finally:
            release_current_thread()
            with contextlib.suppress(RuntimeError):  # the loop may be gone (an abandoned run)
                self.loop.call_soon_threadsafe(lambda: self.finished.done() or self.finished.set_result(None))

    def _run_user_code(self) -> None:
        try:
            with self.lock:
                self.in_user_code = True
                if self.stop_requested:
                    raise KeyboardInterrupt
            exec(self.body, self.ns)  # noqa: S102 - running the user's code is this tool's purpose
            if self.final is not None:
                value = eval(self.final, self.ns)
                if value is not None:
                    self.result = self.result_text(value)
        except BaseException as err:  # noqa: BLE001 - everything the code raised is reported
            self.error = err

    def _leave_user_code(self) -> None:
        """Stop accepting interrupts and discard one still pending (retried if it lands here)."""
        while True:
            try:
                with self.lock:
                    self.in_user_code = False
                    if self.injected and self.thread.ident is not None:
                        _set_async_exc(self.thread.ident, None)
                        self.injected = False
                return
            except KeyboardInterrupt:
                continue


def _set_async_exc(thread_id: int, exc_type: type[BaseException] | None) -> bool:
    """Schedule `exc_type` in the thread (None clears a pending one); True if a thread was found."""
    value = ctypes.py_object(exc_type) if exc_type is not None else None
    return ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id), value) == 1


def format_error(error: BaseException) -> str:
    """The traceback without this module's own frames."""
    tb = error.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename == __file__:
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(error), error, tb))


class Capture:
    """One run's output: live chunks not yet polled, and each stream's text (bounded)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.pending: list[tuple[str, str]] = []
        self.pending_chars = 0
        self.streams = {"stdout": _Kept(), "stderr": _Kept()}

    def write(self, stream: str, text: str) -> None:
        with self.lock:
            if self.pending_chars < PENDING_CHARS:
                self.pending.append((stream, text))
                self.pending_chars += len(text)
            self.streams[stream].add(text)

    def drain(self) -> list[tuple[str, str]]:
        """The chunks written since the last drain, consecutive ones of a stream joined."""
        with self.lock:
            chunks, self.pending, self.pending_chars = self.pending, [], 0
        return [(stream, "".join(text for _, text in group)) for stream, group in itertools.groupby(chunks, key=lambda c: c[0])]

    def text(self, stream: str) -> str:
        with self.lock:
            return self.streams[stream].text()


class _Kept:
    """A stream's first and last CAPTURE_CHARS/2 characters; the unjoined rest is compacted
    only when it passes CAPTURE_CHARS, so each write is amortised O(1)."""

    def __init__(self) -> None:
        self.head, self.rest, self.rest_chars, self.dropped = "", [], 0, 0

    def add(self, text: str) -> None:
        self.rest.append(text)
        self.rest_chars += len(text)
        if self.rest_chars > CAPTURE_CHARS:
            self.head, tail, self.dropped = self._split()
            self.rest, self.rest_chars = [tail], len(tail)

    def text(self) -> str:
        head, tail, dropped = self._split()
        return head + (f"\n…{dropped} chars dropped…\n" if dropped else "") + tail

    def _split(self) -> tuple[str, str, int]:
        half, joined = CAPTURE_CHARS // 2, "".join(self.rest)
        take = max(half - len(self.head), 0)
        head, joined = self.head + joined[:take], joined[take:]
        excess = max(len(joined) - half, 0)
        return head, joined[excess:], self.dropped + excess


class _RoutedStream:
    """Stands in for sys.stdout/sys.stderr: writes of a capturing thread go to its Capture."""

    def __init__(self, name: str, original: Any):
        self.name, self.original = name, original

    def write(self, text: str) -> int:
        capture = _ROUTES.get(threading.get_ident())
        if capture is None:
            return self.original.write(text)
        capture.write(self.name, str(text))
        return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        if threading.get_ident() not in _ROUTES:
            self.original.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.original, name)


_ROUTES: dict[int, Capture] = {}
_INSTALLED: dict[str, _RoutedStream] = {}
_ROUTES_LOCK = threading.Lock()


def capture_current_thread(capture: Capture) -> None:
    """Send this thread's sys.stdout/sys.stderr writes to `capture` (installs the wrappers)."""
    with _ROUTES_LOCK:
        _ROUTES[threading.get_ident()] = capture
        for name in ("stdout", "stderr"):
            if not isinstance(getattr(sys, name), _RoutedStream):  # first run, or the stream was replaced since
                _INSTALLED[name] = _RoutedStream(name, getattr(sys, name))
                setattr(sys, name, _INSTALLED[name])


def release_current_thread() -> None:
    """Stop capturing this thread; the last one out restores streams nobody replaced since."""
    with _ROUTES_LOCK:
        _ROUTES.pop(threading.get_ident(), None)
        if not _ROUTES:
            for name, stream in _INSTALLED.items():
                if getattr(sys, name) is stream:
                    setattr(sys, name, stream.original)
            _INSTALLED.clear()
