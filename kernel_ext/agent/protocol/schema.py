"""The protocol's JSON Schema, for the TypeScript side (pure: builds a dict).

`protocol_schema()` covers `Submission`, `Event`, the exec `--json` thread events and the
side panel's comm messages (protocol/panel.py), and names the panel's comm targets
(`x-comm-targets`, protocol/comm.py; the TypeScript generator turns them into constants).
`kernel-agent schema` writes it; a test checks the checked-in copy is current.
"""

from __future__ import annotations

from typing import Any

from pydantic.json_schema import models_json_schema

SCHEMA_ID = "https://kernel-agent.invalid/protocol.schema.json"


def protocol_schema() -> dict[str, Any]:
    """One schema whose `$defs` hold every protocol type, with the roots listed."""
    from pydantic import RootModel

    from .comm import COMMANDS_TARGET, EVENTS_TARGET
    from .events import Event
    from .items import ResponseItem
    from .ops import Submission
    from .panel import PanelCommand, PanelMessage
    from .thread import ThreadEvent

    class ThreadEventLine(RootModel[ThreadEvent]):
        pass

    class HistoryItem(RootModel[ResponseItem]):
        pass

    class PanelCommandMessage(RootModel[PanelCommand]):
        """Side panel -> kernel (comm `agent.panel.commands`)."""

    class PanelEventMessage(RootModel[PanelMessage]):
        """Kernel -> side panel (comm `agent.panel.events`)."""

    roots = [Submission, Event, ThreadEventLine, HistoryItem, PanelCommandMessage, PanelEventMessage]
    _, schema = models_json_schema([(m, "validation") for m in roots], ref_template="#/$defs/{model}")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = SCHEMA_ID
    schema["title"] = "kernel-agent protocol"
    schema["anyOf"] = [{"$ref": f"#/$defs/{m.__name__}"} for m in roots]
    schema["x-comm-targets"] = {"COMMANDS_TARGET": COMMANDS_TARGET, "EVENTS_TARGET": EVENTS_TARGET}
    for definition in schema["$defs"].values():
        _require_tag(definition)
    return schema


def _require_tag(definition: dict[str, Any]) -> None:
    """A `type` tag with a constant value is always present on the wire: mark it required."""
    tag = definition.get("properties", {}).get("type", {})
    if "const" in tag:
        required = definition.setdefault("required", [])
        if "type" not in required:
            required.insert(0, "type")
