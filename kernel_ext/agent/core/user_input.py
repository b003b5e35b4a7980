"""Turning a submission's input items into the user message recorded in history."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agent.protocol import ops
from agent.protocol.items import InputImage, InputText, Message


def user_message(items: list[ops.UserInput], cwd: Path) -> Message | None:
    """One user message from the submitted input items; None when there is nothing."""
    from .images import local_image_content

    content: list[Any] = []
    for item in items:
        if isinstance(item, ops.TextInput):
            if item.text:
                content.append(InputText(text=item.text))
        elif isinstance(item, ops.ImageInput):
            content.append(InputImage(image_url=item.image_url))
        else:
            content.append(local_image_content(item.path, cwd))
    return Message(role="user", content=content) if content else None
