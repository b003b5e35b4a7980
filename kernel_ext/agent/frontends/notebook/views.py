"""The turn views the notebook front end makes, and where its messages go.

In a kernel a turn is shown by the cell widget (widget.AgentView) and messages are
Markdown; elsewhere (terminal IPython, plain Python) by the text view, which asks
approvals on stdin, and messages are printed.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .interfaces import Decide, MakeView, Stop, TurnView

SETUP_HELP = """To connect a model, do one of these, then run the cell again:
- `%agent login` and paste an OpenAI API key (stored in `{auth}`, mode 0600);
- set `OPENAI_API_KEY` in the environment that starts Jupyter;
- use a local OpenAI-compatible server (Ollama, vLLM, LM Studio): put `model_provider = "ollama"`
  and `model = "<a model you pulled>"` in `{config}`."""


def setup_help() -> str:
    """SETUP_HELP naming the real files (under `$KERNEL_AGENT_HOME` when that is set)."""
    from agent.core.api import agent_home, auth_path

    home = agent_home()
    return SETUP_HELP.format(auth=auth_path(home), config=home / "config.toml")


def widget_view(*, on_decision: Decide, on_stop: Stop) -> TurnView:
    """A cell widget, displayed in the current cell."""
    from .widget import AgentView

    view = AgentView(on_decision=on_decision, on_stop=on_stop)
    view.show()
    return view


def text_views(*, header: bool) -> MakeView:
    """Text views (on stdout; approvals asked on stdin); `header`: show the session line."""
    from ..text.view import TextView

    def make(*, on_decision: Decide, on_stop: Stop) -> TurnView:
        return TextView(on_decision=on_decision, show_session=header)

    return make


def show(kernel: bool, markdown: str) -> None:
    """A message: displayed as Markdown in a kernel, printed elsewhere."""
    if kernel:
        from IPython.display import Markdown, display

        display(Markdown(markdown))
    else:
        print(markdown)


def config_problem(err: Exception) -> str:
    """A `ConfigError` as the one line every notebook surface shows (it names the file, the
    key and what is allowed)."""
    return f"kernel-agent: bad configuration: {err}"


def show_config_error(kernel: bool, err: Exception) -> None:
    """A configuration problem: one line (no traceback), Markdown in a kernel, else stderr."""
    if kernel:
        show(True, f"**kernel-agent: bad configuration:** {err}")
    else:
        print(config_problem(err), file=sys.stderr)


def show_setup_error(kernel: bool, message: str) -> None:
    """Why the agent can't start, and how to fix it."""
    if kernel:
        show(True, f"**kernel-agent can't start:** {message}\n\n{setup_help()}")
    else:
        print(f"kernel-agent can't start: {message}\n\n{setup_help()}", file=sys.stderr)
