"""Loading and unloading the IPython extension (`%load_ext agent`).

Loading registers the magics, the `%%agent --wait` input transformer and the JupyterLab
side panel's comm targets, nothing else: no session, no network, no widget until the first
`%%agent` cell or panel message. Unloading stops the session (its running turn and tools)
and removes them all again.

Loading twice is silent: the side panel loads the extension itself (a silent `%load_ext
agent`), so a notebook's own `%load_ext agent` cell often comes second, and IPython would
print "The agent extension is already loaded. To reload it, use: %reload_ext agent".
While loaded, the shell's extension manager answers a second load of `agent` with "done"
(its `load_extension` is wrapped on that one instance; unloading restores it).
"""

from __future__ import annotations

import re
from typing import Any

_WAIT_LINE = re.compile(r"^%%agent(?:\s|$)")


def wait_transformer(lines: list[str]) -> list[str]:
    """`%%agent --wait ...` cells become `await <the magics>.run_wait(line, body)`."""
    if not lines or not _WAIT_LINE.match(lines[0]):
        return lines
    line = lines[0][len("%%agent"):].strip()
    if "--wait" not in line.split():
        return lines
    body = "".join(lines[1:])
    call = f"get_ipython().magics_manager.registry['AgentMagics'].run_wait({line!r}, {body!r})"
    return [f"await {call}\n"]


_AWAITED_LINE = re.compile(r"^%agent[ \t]+(?:diff|undo)(?:[ \t]|$)")


def awaited_line_transformer(lines: list[str]) -> list[str]:
    """`%agent undo` / `%agent diff` lines (at the start of a line, not in a cell magic's
    body) become `await <the magics>.run_line_async(rest)`: the cell runs until their work
    is done, so their message lands in it (a front end drops outputs that arrive after
    their cell has finished); the kernel keeps handling clicks and comms meanwhile."""
    if not lines or lines[0].startswith("%%") or not any(_AWAITED_LINE.match(line) for line in lines):
        return lines
    registry = "get_ipython().magics_manager.registry['AgentMagics']"
    return [f"await {registry}.run_line_async({line[len('%agent'):].strip()!r})\n" if _AWAITED_LINE.match(line) else line
            for line in lines]


EXTENSION = "agent"


class _QuietSecondLoad:
    """The extension manager's `load_extension`, answering None (loaded, nothing to say)
    instead of "already loaded" for this extension."""

    def __init__(self, manager: Any):
        self.manager = manager
        self.original = manager.load_extension

    def __call__(self, module_str: str) -> Any:
        if module_str == EXTENSION and module_str in self.manager.loaded:
            return None
        return self.original(module_str)


def _quiet_second_load(ip: Any) -> None:
    manager = getattr(ip, "extension_manager", None)
    if manager is not None and not isinstance(manager.load_extension, _QuietSecondLoad):
        manager.load_extension = _QuietSecondLoad(manager)


def _restore_load(ip: Any) -> None:
    manager = getattr(ip, "extension_manager", None)
    if manager is not None and isinstance(manager.__dict__.get("load_extension"), _QuietSecondLoad):
        del manager.load_extension


def load(ip: Any) -> None:
    from .magics import AgentMagics

    if "AgentMagics" in ip.magics_manager.registry:
        return
    _quiet_second_load(ip)
    magics = AgentMagics(ip)
    ip.register_magics(magics)
    if magics.agent.loop.in_kernel:  # elsewhere `%%agent` runs in the foreground anyway, --wait or not
        ip.input_transformers_cleanup.append(wait_transformer)
        ip.input_transformers_cleanup.append(awaited_line_transformer)
    from .panel_bridge import attach_panel  # the JupyterLab side panel's comm targets

    magics.panel_bridge = attach_panel(ip, magics.agent)


def unload(ip: Any) -> None:
    _restore_load(ip)
    magics = ip.magics_manager.registry.pop("AgentMagics", None)
    for transformer in (wait_transformer, awaited_line_transformer):
        if transformer in ip.input_transformers_cleanup:
            ip.input_transformers_cleanup.remove(transformer)
    for kind in ("line", "cell"):
        ip.magics_manager.magics[kind].pop("agent", None)
    if magics is None:
        return
    if magics.panel_bridge is not None:
        from .panel_bridge import detach_panel

        detach_panel(magics.panel_bridge)
        magics.panel_bridge = None
    if magics.agent.session is not None:
        magics.agent.loop.run(magics.agent.close())

