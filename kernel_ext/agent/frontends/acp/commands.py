"""The slash commands an ACP client offers (`available_commands_update`).

Only what works through ACP: `/undo` (our undo op: the latest turn that changed
something is rolled back; its message is the answer) and `/compact` (our compact op: the
conversation is replaced by a summary). A prompt that is exactly one of them, alone, runs
it; anything else is an ordinary prompt.
"""

from __future__ import annotations

from typing import Any

from acp.schema import AvailableCommand, AvailableCommandsUpdate

from agent.protocol import ops

COMMANDS = {
    "undo": ("Undo the latest turn that changed files", ops.Undo),
    "compact": ("Summarize the conversation to free context", ops.Compact),
}


def commands_update() -> Any:
    return AvailableCommandsUpdate(session_update="available_commands_update", available_commands=[
        AvailableCommand(name=name, description=description) for name, (description, _) in COMMANDS.items()])


def command_op(items: list[ops.UserInput]) -> ops.Undo | ops.Compact | None:
    """The op of a prompt that is just `/undo` or `/compact`, else None."""
    if len(items) != 1 or not isinstance(items[0], ops.TextInput):
        return None
    text = items[0].text.strip()
    entry = COMMANDS.get(text[1:]) if text.startswith("/") else None
    return entry[1]() if entry else None
