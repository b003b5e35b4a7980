"""`%%agent` and `%agent`: the notebook's commands.

`%%agent` starts a turn as a background task on the kernel's loop and returns at once
(the kernel stays usable; approval clicks are processed). `%%agent --wait` is rewritten
by an input transformer into `await …` so Run All / nbclient wait for the turn while
clicks are still processed. Outside a kernel, turns run in the foreground and approvals
are asked on stdin. `%agent SUBCOMMAND` manages the session (see `%agent?`).
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import shlex
import sys
from typing import Any

from IPython.core.magic import Magics, cell_magic, line_magic, magics_class

from .notebook_agent import NotebookAgent, TurnOptions, in_kernel

CELL_USAGE = """%%agent [--model M] [--approval POLICY] [--sandbox MODE] [--wait] [--new]
<your request, on the following lines>

Ask the agent to do something in this notebook's folder. The transcript streams into the
cell: text, commands with live output, patches as diffs, and Approve / Approve for session
/ Deny / Abort buttons for anything that needs your consent. The cell returns at once and
the kernel stays usable; later %%agent cells continue the same conversation.

  --model M          model for this and later turns (e.g. gpt-5.1-codex)
  --approval POLICY  untrusted | on-failure | on-request | never
  --sandbox MODE     read-only | workspace-write | danger-full-access
  --wait             block the cell until the turn ends (for Run All, nbclient, papermill)
  --new              start a new conversation first
"""

LINE_USAGE = """%agent SUBCOMMAND [ARGS]

  status                 model, provider, sandbox, approval policy, context left
  new                    start a new conversation (the next %%agent begins it)
  sessions [--all]       recorded sessions (this folder; --all for every folder)
  resume [ID|--last]     continue a recorded session (default: the last one here)
  fork [ID] [--at N]     a new conversation copying a session up to its N-th message
  model NAME             switch model          approvals POLICY   switch approval policy
  sandbox MODE           switch sandbox mode   diff               what the last turn changed
  undo                   restore the files the last turn changed
  compact                summarise the conversation to free context
  stop                   stop the running turn
  login / logout         store or remove an API key (~/.kernel-agent/auth.json, 0600)
  config                 where the configuration lives and what is in effect
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # a UsageError, not SystemExit, in a notebook
        from IPython.core.error import UsageError

        raise UsageError(f"{message}\n\n{self.format_usage()}")


def cell_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="%%agent", add_help=False)
    p.add_argument("--model")
    p.add_argument("--approval", choices=["untrusted", "on-failure", "on-request", "never"])
    p.add_argument("--sandbox", choices=["read-only", "workspace-write", "danger-full-access"])
    p.add_argument("--wait", action="store_true")
    p.add_argument("--new", action="store_true")
    return p


def parse_cell_line(line: str) -> argparse.Namespace:
    return cell_parser().parse_args(shlex.split(line))


def options(args: argparse.Namespace) -> TurnOptions:
    return TurnOptions(model=args.model, approval_policy=args.approval, sandbox_mode=args.sandbox)


@magics_class
class AgentMagics(Magics):
    def __init__(self, shell: Any):
        super().__init__(shell)
        self.agent = NotebookAgent(shell)
        self._foreground_loop: asyncio.AbstractEventLoop | None = None

    @cell_magic("agent")
    def agent_cell(self, line: str, cell: str) -> None:
        args = parse_cell_line(line)
        if not cell.strip():
            from IPython.core.error import UsageError

            raise UsageError("Write your request on the lines below %%agent.")
        if not in_kernel(self.shell):
            self._foreground(self.run_foreground(cell, args))
            return
        if args.new:
            self.agent.close_soon()
        if args.wait:  # reached only if the transformer did not rewrite the cell
            from IPython.core.error import UsageError

            raise UsageError("--wait must be on the %%agent line of a cell run by IPython.")
        self.start(cell, args)

    def start(self, cell: str, args: argparse.Namespace) -> str:
        from agent.core.errors import SetupError

        try:
            return self.agent.start_turn(cell.strip(), options(args), make_view=show_view)
        except SetupError as err:
            show_setup_error(str(err))
            return ""

    async def run_wait(self, line: str, cell: str) -> None:
        """`%%agent --wait`: start the turn, then await its end (interrupt = stop)."""
        args = parse_cell_line(line)
        if not cell.strip():
            from IPython.core.error import UsageError

            raise UsageError("Write your request on the lines below %%agent.")
        if args.new:
            await self.agent.close()
        sub_id = self.start(cell, args)
        if not sub_id:
            return
        try:
            await self.agent.wait(sub_id)
        except asyncio.CancelledError:
            self.agent.stop()
            await asyncio.shield(self.agent.wait(sub_id))
            raise KeyboardInterrupt from None
        if sub_id in self.agent.interrupted:  # the loop's SIGINT handler stopped the turn
            self.agent.interrupted.discard(sub_id)
            raise KeyboardInterrupt

    async def run_foreground(self, cell: str, args: argparse.Namespace) -> None:
        from ..text.view import TextView

        if args.new:
            await self.agent.close()
        sub_id = self.start_text(cell, args, TextView)
        if sub_id:
            await self.agent.wait(sub_id)

    def start_text(self, cell: str, args: argparse.Namespace, view_class: Any) -> str:
        from agent.core.errors import SetupError

        header = self.agent.session is None  # the session line is printed once per session
        try:
            return self.agent.start_turn(
                cell.strip(), options(args), make_view=lambda **kw: TextAdapter(view_class, header=header, **kw))
        except SetupError as err:
            print(f"kernel-agent can't start: {err}\n\n{SETUP_HELP}", file=sys.stderr)
            return ""

    @line_magic("agent")
    def agent_line(self, line: str) -> Any:
        from .line_commands import run_line_command

        return run_line_command(self, line)

    def _schedule(self, coro: Any) -> None:
        asyncio.get_running_loop().create_task(coro)

    def _foreground(self, coro: Any) -> Any:
        if self._foreground_loop is None:
            self._foreground_loop = asyncio.new_event_loop()
            atexit.register(self._close_foreground)
        return self._foreground_loop.run_until_complete(coro)

    def _close_foreground(self) -> None:
        """At exit (terminal IPython, plain Python): stop the session and its tools."""
        loop = self._foreground_loop
        if loop is None or loop.is_closed() or loop.is_running():
            return
        try:
            if self.agent.session is not None:
                loop.run_until_complete(self.agent.close())
        finally:
            loop.close()

    def run_async(self, coro: Any) -> Any:
        """Run a coroutine now: scheduled on the kernel's loop, or in the foreground loop."""
        if in_kernel(self.shell):
            self._schedule(coro)
            return None
        return self._foreground(coro)


AgentMagics.agent_cell.__doc__ = CELL_USAGE
AgentMagics.agent_line.__doc__ = LINE_USAGE


def show_view(**callbacks: Any) -> Any:
    from .widget import AgentView

    view = AgentView(**callbacks)
    view.show()
    return view


class TextAdapter:
    """Gives TextView the view interface the notebook agent drives."""

    def __init__(self, view_class: Any, *, on_decision: Any, on_stop: Any, header: bool = True):
        self.view = view_class(on_decision=on_decision)
        self._kinds: dict[str, str] = {}
        self._header = header

    def feed(self, event: Any) -> None:
        kind = event.msg.type
        if kind == "session_configured" and not self._header:
            return
        if kind in ("exec_approval_request", "apply_patch_approval_request"):
            self._kinds[event.msg.call_id] = "patch" if kind.startswith("apply") else "exec"
        self.view.handle(event)

    def approval_kind(self, call_id: str) -> str | None:
        return self._kinds.get(call_id)

    def close_turn(self) -> None:
        return None


def show_setup_error(message: str) -> None:
    from IPython.display import Markdown, display

    display(Markdown(f"**kernel-agent can't start:** {message}\n\n" + SETUP_HELP))


SETUP_HELP = """To connect a model, do one of these, then run the cell again:
- `%agent login` and paste an OpenAI API key (stored in `~/.kernel-agent/auth.json`, mode 0600);
- set `OPENAI_API_KEY` in the environment that starts Jupyter;
- use a local OpenAI-compatible server (Ollama, vLLM, LM Studio): put `model_provider = "ollama"`
  and `model = "<a model you pulled>"` in `~/.kernel-agent/config.toml`."""
