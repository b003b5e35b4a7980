"""`StdioConnection`: newline-delimited JSON-RPC 2.0 with one stdio MCP server process.

* The process runs in its own session (process group); `close()` closes its stdin, sends
  SIGTERM to the group, SIGKILL after a grace period, and is idempotent.
* `request(method, params, timeout_s)` -> the `result` object, or McpError (one line,
  naming the server): an error response, a timeout (the request is then cancelled with
  `notifications/cancelled`), a dropped connection. Cancelling the awaiting task also
  sends `notifications/cancelled` and re-raises CancelledError.
* Reading: responses are matched to requests by id; notifications are ignored; requests
  from the server (roots/list, sampling, elicitation, ...) are answered "not supported"
  (JSON-RPC -32601), except `ping`. A line longer than `max_line_bytes` (16 MiB) or one
  that is not JSON drops the connection: every pending request fails with the reason and
  the process is killed. At EOF pending requests fail with the exit status and the last
  line of the server's stderr (kept in a bounded buffer). The values of the server's
  `env` table are redacted from every error text (`Launch.redact`).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import os
import signal
from typing import Any

from .errors import McpError, one_line
from .spawn import Launch

__all__ = ["MAX_LINE_BYTES", "StdioConnection"]

log = logging.getLogger(__name__)

MAX_LINE_BYTES = 16 * 1024 * 1024
STDERR_TAIL_BYTES = 8192
TERM_GRACE_S = 2.0
METHOD_NOT_FOUND = -32601


class StdioConnection:
    """One running server (module docstring). Make it with `await StdioConnection.spawn(...)`."""

    def __init__(self, name: str, proc: asyncio.subprocess.Process, launch: Launch,
                 max_line_bytes: int = MAX_LINE_BYTES) -> None:
        self.name = name
        self._max_line = max_line_bytes
        self.launch = launch
        self._proc = proc
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._write_lock = asyncio.Lock()
        self._stderr = bytearray()
        self._dropped: str | None = None
        self._close_task: asyncio.Task[None] | None = None
        self._stderr_task = asyncio.ensure_future(self._read_stderr())
        self._reader_task = asyncio.ensure_future(self._read_stdout())

    @classmethod
    async def spawn(cls, name: str, launch: Launch, *, max_line_bytes: int = MAX_LINE_BYTES) -> StdioConnection:
        try:
            proc = await asyncio.create_subprocess_exec(
                *launch.argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE, cwd=launch.cwd, env=launch.env, start_new_session=True,
                limit=max_line_bytes,
            )
        except (OSError, ValueError) as err:
            launch.cleanup()
            raise McpError(f"MCP server {name}: could not start {launch.argv[0]!r}: {err}") from None
        return cls(name, proc, launch, max_line_bytes)

    @property
    def alive(self) -> bool:
        return self._dropped is None

    @property
    def dropped_reason(self) -> str | None:
        return self._dropped

    @property
    def pid(self) -> int:
        return self._proc.pid

    def stderr_tail(self) -> str:
        lines = [ln for ln in self._stderr.decode("utf-8", "replace").splitlines() if ln.strip()]
        return one_line(self.launch.redact(lines[-1]), 200) if lines else ""

    # -- requests -------------------------------------------------------------------------

    async def request(self, method: str, params: dict[str, Any] | None, timeout_s: float | None) -> dict[str, Any]:
        if self._dropped is not None:
            raise McpError(self._dropped)
        rid = next(self._ids)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[rid] = future
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": rid, "method": method}
        if params is not None:
            message["params"] = params
        try:
            await self._send(message)
            response = await asyncio.wait_for(future, timeout_s)
        except asyncio.TimeoutError:
            self._send_cancelled(rid, "timed out")
            raise McpError(f"MCP server {self.name}: {method} timed out after {timeout_s:g} s") from None
        except asyncio.CancelledError:
            self._send_cancelled(rid, "cancelled by the user")
            raise
        finally:
            self._pending.pop(rid, None)
        return self._result_of(method, response)

    def _result_of(self, method: str, response: dict[str, Any]) -> dict[str, Any]:
        if "error" in response:
            error = response["error"] if isinstance(response["error"], dict) else {}
            text = self.launch.redact(str(error.get("message") or "no message"))
            raise McpError(f"MCP server {self.name}: {method} failed: {text} (code {error.get('code')})")
        result = response.get("result")
        if not isinstance(result, dict):
            raise McpError(f"MCP server {self.name}: {method} returned a result that is not an object")
        return result

    async def notify(self, method: str, params: dict[str, Any] | None = None) -> None:
        message: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            message["params"] = params
        await self._send(message)

    async def _send(self, message: dict[str, Any]) -> None:
        data = json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
        stdin = self._proc.stdin
        assert stdin is not None
        async with self._write_lock:
            try:
                stdin.write(data)
                await stdin.drain()
            except (OSError, RuntimeError) as err:
                if self._dropped is None:  # it is exiting (e.g. its program was not found): say why
                    await self._drop_at_exit()
                raise McpError(self._dropped or f"MCP server {self.name}: cannot write to the server ({err})") from None

    def _send_cancelled(self, rid: int, reason: str) -> None:
        """Best effort, without waiting (may run while the caller is being cancelled)."""
        stdin = self._proc.stdin
        if self._dropped is not None or stdin is None or stdin.is_closing():
            return
        note = {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": rid, "reason": reason}}
        try:
            stdin.write(json.dumps(note).encode() + b"\n")
        except (OSError, RuntimeError):
            pass

    # -- reading --------------------------------------------------------------------------

    async def _read_stdout(self) -> None:
        stdout = self._proc.stdout
        assert stdout is not None
        reason: str | None = None
        while reason is None:
            try:
                line = await stdout.readline()
            except ValueError:
                reason = f"sent a message longer than {self._max_line // (1024 * 1024)} MiB"
                break
            if not line:
                break
            try:
                reason = self._handle_line(line)
            except (RecursionError, TypeError, ValueError) as err:
                reason = f"sent a message this client cannot read ({type(err).__name__})"
        if reason is not None:
            self._kill(signal.SIGKILL)
            self._drop(f"MCP server {self.name}: {reason}; connection closed")
            return
        await self._drop_at_exit()

    def _handle_line(self, line: bytes) -> str | None:
        if not line.strip():
            return None
        try:
            message = json.loads(line)
        except (ValueError, RecursionError) as err:
            return f"sent malformed JSON ({type(err).__name__}: {one_line(str(err), 80)})"
        for item in message if isinstance(message, list) else [message]:
            if isinstance(item, dict):
                self._dispatch(item)
            else:
                log.debug("MCP server %s: ignored a message that is not an object", self.name)
        return None

    def _dispatch(self, message: dict[str, Any]) -> None:
        if "method" in message:
            if "id" in message:
                asyncio.ensure_future(self._answer(message))
            return  # notifications (progress, logging, list_changed) are not used yet
        rid = message.get("id")
        future = self._pending.get(rid) if isinstance(rid, int) and not isinstance(rid, bool) else None
        if future is not None and not future.done():
            future.set_result(message)

    async def _answer(self, request: dict[str, Any]) -> None:
        reply: dict[str, Any] = {"jsonrpc": "2.0", "id": request["id"]}
        if request.get("method") == "ping":
            reply["result"] = {}
        else:
            method = one_line(str(request.get("method")), 80)
            reply["error"] = {"code": METHOD_NOT_FOUND, "message": f"{method} is not supported by this client"}
        try:
            await self._send(reply)
        except McpError:
            pass

    async def _read_stderr(self) -> None:
        stderr = self._proc.stderr
        assert stderr is not None
        while chunk := await stderr.read(4096):
            self._stderr += chunk
            del self._stderr[:-STDERR_TAIL_BYTES]

    async def _drop_at_exit(self) -> None:
        try:
            code = await asyncio.wait_for(self._proc.wait(), TERM_GRACE_S)
            await asyncio.wait_for(self._stderr_task, TERM_GRACE_S)
        except asyncio.TimeoutError:
            code = None
        status = f"exited (code {code})" if code is not None else "closed its output"
        tail = self.stderr_tail()
        self._drop(f"MCP server {self.name} {status}" + (f": {tail}" if tail else ""))

    def _drop(self, reason: str) -> None:
        if self._dropped is None:
            self._dropped = reason
        for future in self._pending.values():
            if not future.done():
                future.set_exception(McpError(self._dropped))

    # -- stopping -------------------------------------------------------------------------

    def _kill(self, sig: int) -> None:
        try:
            os.killpg(self._proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    async def close(self) -> None:
        if self._close_task is None:
            self._close_task = asyncio.ensure_future(self._terminate())
        await asyncio.shield(self._close_task)

    async def _terminate(self) -> None:
        self._drop(f"MCP server {self.name} was stopped")
        stdin = self._proc.stdin
        if stdin is not None and not stdin.is_closing():
            stdin.close()
        if self._proc.returncode is None:
            self._kill(signal.SIGTERM)
            try:
                await asyncio.wait_for(self._proc.wait(), TERM_GRACE_S)
            except asyncio.TimeoutError:
                pass
        self._kill(signal.SIGKILL)  # whatever is left in the group
        await self._proc.wait()
        for task in (self._reader_task, self._stderr_task):
            task.cancel()
        await asyncio.gather(self._reader_task, self._stderr_task, return_exceptions=True)
        self.launch.cleanup()
