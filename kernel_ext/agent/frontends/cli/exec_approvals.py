"""Approval requests in `kernel-agent exec`: ask on a terminal, deny at once without one.

    approver = ExecApprover(session.submit, renderer, interactive=stdin_and_stderr_are_ttys())
    await approver.answer(event.msg)      # for each exec / apply_patch approval request
    approver.cancel()                     # Ctrl-C while asking: the question ends as `abort`

On a terminal (stdin and stderr both TTYs) the request is shown on stderr exactly as
asked (argv and cwd, or every file's diff, and the reason), then one line is read from
stdin: `y` approve, `a` approve for the session (commands only), `n` deny (the model is
told), `q` abort the turn. An unknown answer asks again (at most MAX_ATTEMPTS, then
deny); end of input aborts. Without a terminal nobody can answer, so the request is
denied at once with one line on stderr naming the request's reason (an exec-policy
`prompt` rule's justification), and the model gets the rejection with that reason.
"""

from __future__ import annotations

import asyncio
import os
import shlex
import sys
from typing import Callable

from agent.protocol import events as ev
from agent.protocol import ops
from agent.protocol.policy import ReviewDecision

from ..text.render import TextRenderer

EXEC_QUESTION = "Run it? [y] yes / [a] yes, and don't ask again this session / [n] no, tell the model / [q] abort the turn: "
PATCH_QUESTION = "Apply it? [y] yes / [n] no, tell the model / [q] abort the turn: "
EXEC_ANSWERS: dict[str, ReviewDecision] = {"y": "approved", "a": "approved_for_session", "n": "denied", "q": "abort"}
PATCH_ANSWERS: dict[str, ReviewDecision] = {"y": "approved", "n": "denied", "q": "abort"}
MAX_ATTEMPTS = 3

ApprovalRequest = ev.ExecApprovalRequest | ev.ApplyPatchApprovalRequest


def stdin_and_stderr_are_ttys() -> bool:
    try:
        return sys.stdin.isatty() and sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


class ExecApprover:
    def __init__(self, submit: Callable[[ops.Op], object], renderer: TextRenderer, *, interactive: bool,
                 stdin_fd: int = 0):
        self.submit = submit
        self.renderer = renderer
        self.interactive = interactive
        self.stdin_fd = stdin_fd
        self._answer: asyncio.Future[str] | None = None

    async def answer(self, request: ApprovalRequest) -> ReviewDecision:
        """Decide on `request` and send the decision to the session."""
        try:
            self.renderer.handle(ev.Event(id="", msg=request))
        except BrokenPipeError:
            pass
        decision = await self._ask(request) if self.interactive else self._deny_without_terminal(request)
        self.submit(ops.Approval(call_id=request.call_id, decision=decision))
        return decision

    def cancel(self) -> None:
        """End a question being asked as `abort` (the turn is being interrupted)."""
        if self._answer is not None and not self._answer.done():
            self._answer.set_result("")

    def _deny_without_terminal(self, request: ApprovalRequest) -> ReviewDecision:
        what = shlex.join(request.command) if isinstance(request, ev.ExecApprovalRequest) else "a patch"
        why = f" ({request.reason})" if isinstance(request, ev.ExecApprovalRequest) and request.reason else ""
        self._say(f"approval needed but stdin is not a terminal: denied {what}{why} (set approval_policy or -a to change this)\n")
        return "denied"

    async def _ask(self, request: ApprovalRequest) -> ReviewDecision:
        is_exec = isinstance(request, ev.ExecApprovalRequest)
        question, answers = (EXEC_QUESTION, EXEC_ANSWERS) if is_exec else (PATCH_QUESTION, PATCH_ANSWERS)
        for _ in range(MAX_ATTEMPTS):
            self._say(question)
            line = await self._read_line()
            if line is None:
                self._say("\n")
                return "abort"
            decision = answers.get(line.strip().lower())
            if decision is not None:
                self._say(f"decision: {decision}\n")
                return decision
            self._say(f"please answer one of: {', '.join(answers)}\n")
        self._say("no valid answer: denied\n")
        return "denied"

    async def _read_line(self) -> str | None:
        """One line from the terminal without blocking the event loop; None at end of input
        or when cancelled."""
        loop = asyncio.get_running_loop()
        self._answer = future = loop.create_future()

        def readable() -> None:
            try:
                data = os.read(self.stdin_fd, 4096)
            except OSError:
                data = b""
            if not future.done():
                future.set_result(data.decode("utf-8", "replace"))

        loop.add_reader(self.stdin_fd, readable)
        try:
            text = await future
        finally:
            loop.remove_reader(self.stdin_fd)
            self._answer = None
        return text or None

    def _say(self, text: str) -> None:
        try:
            self.renderer.out.write(text)
            self.renderer.out.flush()
        except (BrokenPipeError, ValueError):
            pass
