"""`view_image`: attach a local image to the conversation (spec §4.2).

Argument: `path` (required), resolved against the turn cwd. The file must be a regular
file of at most 20 MB whose bytes are PNG, JPEG, GIF or WebP (sniffed from the magic
bytes, whatever the extension). On success the image is queued as pending user input (a
`user` message holding one `input_image` with a base64 data URL) and the tool returns
`attached local image path`; it emits no events of its own. The file is opened under the
read policy (read_policy.py): a protected path, `/proc/<pid>/...` or a device is refused
with `access denied: ...`, whatever symlink or `..` leads to it.
"""

from __future__ import annotations

import asyncio
import base64
import os
import stat
from pathlib import Path
from typing import Any

from agent.protocol.items import InputImage, Message

from .base import ToolCall, ToolContext, ToolResult, function_spec
from .errors import RespondToModel
from .read_policy import ReadPolicy

MAX_IMAGE_BYTES = 20 * 1024 * 1024
RESULT_TEXT = "attached local image path"

DESCRIPTION = "Attach a local image (by filesystem path) to the conversation context for this turn."


class ViewImageTool:
    name = "view_image"
    supports_parallel = True

    def spec(self) -> dict[str, Any]:
        props = {"path": {"type": "string", "description": "Local filesystem path to an image file"}}
        return function_spec(self.name, DESCRIPTION, props, ["path"])

    async def handle(self, call: ToolCall, ctx: ToolContext) -> ToolResult:
        args = call.json_arguments()
        raw = args.get("path")
        if not isinstance(raw, str) or not raw:
            raise RespondToModel("failed to parse function arguments: missing string field `path`")
        path = Path(os.path.normpath(Path(ctx.cwd) / raw))
        url = await asyncio.to_thread(load_data_url, path, ReadPolicy(ctx.hidden_paths))
        ctx.add_pending_input(Message(role="user", content=[InputImage(image_url=url)]))
        return ToolResult(RESULT_TEXT)


def load_data_url(path: Path, policy: ReadPolicy) -> str:
    """The image at `path` as a `data:<mime>;base64,…` URL; problems go to the model."""
    try:
        fd = policy.open(str(path))
    except OSError as err:
        raise RespondToModel(f"unable to locate image at `{path}`: {err}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise RespondToModel(f"image path `{path}` is not a file")
        if info.st_size > MAX_IMAGE_BYTES:
            raise RespondToModel(
                f"image at `{path}` is too large ({info.st_size} bytes; the limit is {MAX_IMAGE_BYTES} bytes)"
            )
        with os.fdopen(os.dup(fd), "rb") as f:
            data = f.read(MAX_IMAGE_BYTES + 1)
    except OSError as err:
        raise RespondToModel(f"unable to read image at `{path}`: {err}") from None
    finally:
        os.close(fd)
    if len(data) > MAX_IMAGE_BYTES:
        raise RespondToModel(f"image at `{path}` is too large (more than {MAX_IMAGE_BYTES} bytes)")
    mime = sniff_image_type(data)
    if mime is None:
        raise RespondToModel(
            f"unable to process image at `{path}`: unsupported image format (expected PNG, JPEG, GIF or WebP)"
        )
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def sniff_image_type(data: bytes) -> str | None:
    """The MIME type from the leading magic bytes, or None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None
