"""The comm target names of the JupyterLab side panel, defined once (no pydantic here, so
the kernel end can register them without loading the protocol models).

`protocol/panel.py` describes what each carries; the JSON Schema exports them
(`x-comm-targets`) and labextension/src/protocol.ts is generated with them as constants.
"""

COMMANDS_TARGET = "agent.panel.commands"
"""Panel -> kernel: `PanelCommand`s (the kernel never sends on it)."""

EVENTS_TARGET = "agent.panel.events"
"""Kernel -> panel: `PanelMessage`s."""
