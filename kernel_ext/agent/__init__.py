"""kernel-agent: a coding agent that lives inside the Jupyter/IPython kernel.

`%load_ext agent` registers the `%%agent` / `%agent` magics; `agent.Agent(...).run(...)`
is the Python API. Importing `agent` is cheap: nothing heavy (httpx, pydantic models,
IPython, widgets) is imported until it is used.
"""

from __future__ import annotations

from typing import Any

from ._version import __version__

__all__ = ["Agent", "__version__", "load_ipython_extension", "unload_ipython_extension"]


def load_ipython_extension(ip: Any) -> None:
    from agent.frontends.notebook.extension import load

    load(ip)


def unload_ipython_extension(ip: Any) -> None:
    from agent.frontends.notebook.extension import unload

    unload(ip)


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    """The prebuilt JupyterLab side panel (`jupyter labextension develop` reads this; pip
    installs it as shared data under share/jupyter/labextensions/kernel-agent)."""
    return [{"src": "labextension", "dest": "kernel-agent"}]


def __getattr__(name: str) -> Any:
    if name == "Agent":
        from agent.frontends.text.python_api import Agent

        return Agent
    raise AttributeError(f"module 'agent' has no attribute {name!r}")
