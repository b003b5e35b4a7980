"""Small helpers shared by the kernel tests: scripted tool calls and process lookups."""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Any

from tests.scripted_server import RecordedRequest, ToolCall


def shell(command: str, call_id: str) -> ToolCall:
    return ToolCall("shell", {"command": ["bash", "-c", command]}, call_id)


def sleep_marker() -> str:
    """A `sleep` argument no other process on the machine has (e.g. `97.402913`)."""
    return f"97.{random.randrange(10**5, 10**6)}"


def pids_with(marker: str) -> list[int]:
    """Processes whose command line contains `marker` as an argument."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if marker.encode() in argv and int(entry.name) != os.getpid():
            found.append(int(entry.name))
    return found


def outputs(request: RecordedRequest) -> dict[str, str]:
    """call_id -> output of every function_call_output the request carries."""
    items = (request.json or {}).get("input", [])
    return {i["call_id"]: _text(i["output"]) for i in items if i.get("type") == "function_call_output"}


def user_texts(request: RecordedRequest) -> list[str]:
    texts = []
    for item in (request.json or {}).get("input", []):
        if item.get("type") == "message" and item.get("role") == "user":
            texts += [c.get("text", "") for c in item.get("content", []) if isinstance(c, dict)]
    return texts


def _text(output: Any) -> str:
    if isinstance(output, str):
        return output
    if isinstance(output, dict):
        return str(output.get("content", output))
    return str(output)
