"""A `tools/call` result -> what the model sees (spec §11). Pure.

* `structuredContent` present and not null: its JSON; otherwise the JSON of `content`.
* Images: when the model accepts images, each valid one (PNG/JPEG/GIF/WebP by its bytes,
  whatever the server claims) is returned as an `input_image` for a user message and is
  replaced in the text by `{"type": "image", "mimeType": ..., "attached": true}`; otherwise
  it is replaced by a note and the model gets no bytes.
* `isError` -> a failed call. The text is middle-truncated to the tool-output budget.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from typing import Any

from agent.protocol.items import InputImage

from ..truncate import TruncationPolicy, formatted_truncate_text
from ..view_image import MAX_IMAGE_BYTES, sniff_image_type


@dataclass(frozen=True)
class ModelOutput:
    text: str
    success: bool
    images: list[InputImage] = field(default_factory=list)


def result_json(result: Any) -> dict[str, Any]:
    """A CallToolResult (pydantic model or dict) as its JSON dict (protocol field names)."""
    if hasattr(result, "model_dump"):
        return result.model_dump(mode="json", by_alias=True, exclude_none=True)
    return dict(result) if isinstance(result, dict) else {"content": []}


def model_output(result: dict[str, Any], *, byte_budget: int, accepts_images: bool) -> ModelOutput:
    content = result.get("content") if isinstance(result.get("content"), list) else []
    shown, images = _split_images(content, accepts_images)
    structured = result.get("structuredContent")
    payload = structured if structured is not None else shown
    text = json.dumps(payload, ensure_ascii=False)
    text = formatted_truncate_text(text, TruncationPolicy("bytes", byte_budget))
    return ModelOutput(text, not bool(result.get("isError", False)), images)


def _split_images(content: list[Any], accepts_images: bool) -> tuple[list[Any], list[InputImage]]:
    shown, images = [], []
    for block in content:
        if not (isinstance(block, dict) and block.get("type") == "image"):
            shown.append(block)
            continue
        url = _data_url(block.get("data")) if accepts_images else None
        if url is not None:
            images.append(InputImage(image_url=url))
            shown.append({"type": "image", "mimeType": url[5:url.index(";")], "attached": True})
        else:
            reason = "the model does not accept images" if not accepts_images else "not a valid PNG, JPEG, GIF or WebP image"
            shown.append({"type": "image", "mimeType": str(block.get("mimeType", ""))[:100], "omitted": reason})
    return shown, images


def _data_url(data: Any) -> str | None:
    if not isinstance(data, str) or len(data) > MAX_IMAGE_BYTES * 4 // 3 + 4:
        return None
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        return None
    mime = sniff_image_type(raw)
    return None if mime is None else f"data:{mime};base64,{base64.b64encode(raw).decode('ascii')}"
