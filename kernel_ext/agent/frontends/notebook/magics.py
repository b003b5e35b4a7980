"""`%%agent` and `%agent`: the notebook's commands.

`%%agent` starts a turn as a background task on the kernel's loop and returns at once
(the kernel stays usable; approval clicks are processed); sent while a turn runs, it is
queued and runs as its own turn after it (notebook_agent.py). `%%agent --wait` is rewritten
by an input transformer into `await …` so Run All / nbclient wait for the turn while
clicks are still processed. Outside a kernel, turns run in the foreground and approvals
are asked on stdin. `%agent SUBCOMMAND` manages the session (line_commands.py). Both go
through the notebook controller (`NotebookAgent`).
"""

from __future__ import annotations

import argparse
import asyncio
import shlex
from typing import TYPE_CHECKING, Any

from IPython.core.magic import Magics, cell_magic, line_magic, magics_class

from .notebook_agent import NotebookAgent, TurnOptions
from .usage import CELL_USAGE, LINE_USAGE

if TYPE_CHECKING:
    from .interfaces import MakeView
    from .panel_bridge import PanelBridge


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # a UsageError, not SystemExit, in a notebook
        from IPython.core.error import UsageError

        raise UsageError(f"{message}\n\n{self.format_usage()}")


def cell_parser() -> argparse.ArgumentParser:
    from agent.protocol.policy import APPROVAL_POLICIES, SANDBOX_MODES

    p = _Parser(prog="%%agent", add_help=False)
    p.add_argument("--model")
    p.add_argument("--approval", choices=APPROVAL_POLICIES)
    p.add_argument("--sandbox", choices=SANDBOX_MODES)
    p.add_argument("--wait", action="store_true")
    p.add_argument("--new", action="store_true")
    return p


def parse_cell_line(line: str, cell: str) -> argparse.Namespace:
    args = cell_parser().parse_args(shlex.split(line))
    if not cell.strip():
        from IPython.core.error import UsageError

        raise UsageError("Write your request on the lines below %%agent.")
    return args


def options(args: argparse.Namespace) -> TurnOptions:
    return TurnOptions(model=args.model, approval_policy=args.approval, sandbox_mode=args.sandbox)


@magics_class
class AgentMagics(Magics):
    def __init__(self, shell: Any):
        super().__init__(shell)
        self.agent = NotebookAgent(shell)
        self.panel_bridge: PanelBridge | None = None
        """The side panel's kernel end, in a kernel with comms (set by the extension)."""

    @cell_magic("agent")
    def agent_cell(self, line: str, cell: str) -> None:
        args = parse_cell_line(line, cell)
        if not self.agent.loop.in_kernel:
            self.agent.loop.run(self.run_foreground(cell, args))
            return
        if args.new:
            self.agent.new()
        if args.wait:  # reached only if the transformer did not rewrite the cell
            from IPython.core.error import UsageError

            raise UsageError("--wait must be on the %%agent line of a cell run by IPython.")
        from .views import widget_view

        self.start(cell, args, widget_view)

    def start(self, cell: str, args: argparse.Namespace, make_view: MakeView) -> str:
        """The turn's submission id; "" when the agent can't start (the reason is shown)."""
        from agent.core.api import ConfigError, SetupError

        try:
            return self.agent.start_turn(cell.strip(), options(args), make_view=make_view)
        except ConfigError as err:
            from .views import show_config_error

            show_config_error(self.agent.loop.in_kernel, err)
            return ""
        except SetupError as err:
            from .views import show_setup_error

            show_setup_error(self.agent.loop.in_kernel, str(err))
            return ""

    async def run_wait(self, line: str, cell: str) -> None:
        """`%%agent --wait`: start the turn, then await its end (interrupt = stop)."""
        from .views import widget_view

        args = parse_cell_line(line, cell)
        if args.new:
            await self.agent.close(fresh=True)
        sub_id = self.start(cell, args, widget_view)
        if not sub_id:
            return
        try:
            await self.agent.wait(sub_id)  # a queued cell waits until its own turn has run
        except asyncio.CancelledError:
            self.agent.interrupt()  # as a kernel interrupt: the queued prompts are cancelled too
            await asyncio.shield(self.agent.wait(sub_id))
            raise KeyboardInterrupt from None
        if sub_id in self.agent.interrupted:  # the loop's SIGINT handler stopped the turn
            self.agent.interrupted.discard(sub_id)
            raise KeyboardInterrupt

    async def run_foreground(self, cell: str, args: argparse.Namespace) -> None:
        """Outside a kernel: the turn in text, to its end (on the controller's own loop)."""
        from .views import text_views

        if args.new:
            await self.agent.close(fresh=True)
        header = self.agent.session is None  # the session line is printed once per session
        sub_id = self.start(cell, args, text_views(header=header))
        if sub_id:
            await self.agent.wait(sub_id)

    @line_magic("agent")
    def agent_line(self, line: str) -> Any:
        from .line_commands import run_line_command

        return run_line_command(self.agent, line)

    async def run_line_async(self, line: str) -> Any:
        """`%agent diff|undo ...` rewritten by the input transformer: to its end, in its cell."""
        from .line_commands import run_line_command_async

        return await run_line_command_async(self.agent, line)


AgentMagics.agent_cell.__doc__ = CELL_USAGE
AgentMagics.agent_line.__doc__ = LINE_USAGE
