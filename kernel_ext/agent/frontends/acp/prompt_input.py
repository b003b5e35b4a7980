"""ACP prompt content -> the items of one user turn.

Text stays text. Images become data-URL image inputs. An embedded text resource (a file
the client attached, with its editor contents) becomes a `<context ref="...">` text block
the model reads alongside the prompt; an embedded image resource becomes an image; other
binary resources and resource links are named (the agent can read linked files with its
own tools). Audio is refused: `initialize` does not offer it.
"""

from __future__ import annotations

from typing import Any

from acp import RequestError
from acp.schema import (
    BlobResourceContents,
    EmbeddedResourceContentBlock,
    ImageContentBlock,
    ResourceContentBlock,
    TextContentBlock,
    TextResourceContents,
)

from agent.protocol import ops


def user_items(blocks: list[Any]) -> list[ops.UserInput]:
    """The turn's input items. Raises RequestError (invalid params) for content the agent
    did not offer to take, or a prompt with nothing in it."""
    items = [_item(block) for block in blocks]
    if not any(isinstance(i, ops.ImageInput) or i.text.strip() for i in items):
        raise RequestError.invalid_params({"details": "the prompt is empty"})
    return items


def _item(block: Any) -> ops.UserInput:
    if isinstance(block, TextContentBlock):
        return ops.TextInput(text=block.text)
    if isinstance(block, ImageContentBlock):
        return ops.ImageInput(image_url=f"data:{block.mime_type};base64,{block.data}")
    if isinstance(block, EmbeddedResourceContentBlock):
        return _resource(block.resource)
    if isinstance(block, ResourceContentBlock):
        return ops.TextInput(text=f"[{block.name}]({block.uri})")
    raise RequestError.invalid_params({"details": f"{getattr(block, 'type', 'this')} content is not supported"})


def _resource(resource: TextResourceContents | BlobResourceContents) -> ops.UserInput:
    if isinstance(resource, TextResourceContents):
        return ops.TextInput(text=f'<context ref="{resource.uri}">\n{resource.text}\n</context>')
    mime = resource.mime_type or "application/octet-stream"
    if mime.startswith("image/"):
        return ops.ImageInput(image_url=f"data:{mime};base64,{resource.blob}")
    return ops.TextInput(text=f"[binary resource {resource.uri} ({mime}), not included]")
