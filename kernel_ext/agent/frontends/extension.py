"""Loading and unloading the IPython extension (`%load_ext agent`).

Loading registers the magics and the `%%agent --wait` input transformer, nothing else:
no session, no network, no widget until the first `%%agent` cell. Unloading stops the
session (its running turn and tools) and removes both again.
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


def load(ip: Any) -> None:
    from .magics import AgentMagics

    if "AgentMagics" in ip.magics_manager.registry:
        return
    ip.register_magics(AgentMagics(ip))
    ip.input_transformers_cleanup.append(wait_transformer)


def unload(ip: Any) -> None:
    magics = ip.magics_manager.registry.pop("AgentMagics", None)
    if wait_transformer in ip.input_transformers_cleanup:
        ip.input_transformers_cleanup.remove(wait_transformer)
    for kind in ("line", "cell"):
        ip.magics_manager.magics[kind].pop("agent", None)
    if magics is not None and magics.agent.session is not None:
        magics.run_async(magics.agent.close())
