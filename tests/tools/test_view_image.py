"""`view_image` through its real handler: a real PNG is queued as an input_image message."""

from __future__ import annotations

import base64
import json
import struct
import zlib
from pathlib import Path

import pytest

from agent.protocol.items import InputImage, Message
from agent.tools.base import ToolCall, ToolResult
from agent.tools.errors import RespondToModel
from agent.tools.view_image import MAX_IMAGE_BYTES, ViewImageTool, sniff_image_type


from .fakes import FakeCtx


def tiny_png(width: int = 2, height: int = 2) -> bytes:
    """A valid RGB PNG built by hand (signature, IHDR, IDAT, IEND)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


async def view(tmp_path: Path, path: str) -> tuple[ToolResult, FakeCtx]:
    ctx = FakeCtx(cwd=tmp_path)
    call = ToolCall(call_id="c1", name="view_image", kind="function", payload=json.dumps({"path": path}))
    return await ViewImageTool().handle(call, ctx), ctx


async def view_error(tmp_path: Path, path: str) -> str:
    ctx = FakeCtx(cwd=tmp_path)
    call = ToolCall(call_id="c1", name="view_image", kind="function", payload=json.dumps({"path": path}))
    with pytest.raises(RespondToModel) as info:
        await ViewImageTool().handle(call, ctx)
    assert ctx.pending == [] and ctx.events == []
    return info.value.message


def test_spec_shape():
    spec = ViewImageTool().spec()
    assert spec["name"] == "view_image" and spec["parameters"]["required"] == ["path"]
    assert list(spec["parameters"]["properties"]) == ["path"]
    assert ViewImageTool.supports_parallel is True


def test_tiny_png_is_well_formed():
    data = tiny_png()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    length, kind = struct.unpack(">I4s", data[8:16])
    assert (length, kind) == (13, b"IHDR")
    assert struct.unpack(">II", data[16:24]) == (2, 2)


async def test_attaches_png_relative_to_cwd(tmp_path):
    png = tiny_png()
    (tmp_path / "plots").mkdir()
    (tmp_path / "plots" / "fig.png").write_bytes(png)
    result, ctx = await view(tmp_path, "plots/fig.png")
    assert result == ToolResult("attached local image path")
    assert ctx.events == []
    (message,) = ctx.pending
    assert isinstance(message, Message) and message.role == "user"
    (image,) = message.content
    assert isinstance(image, InputImage)
    assert image.image_url == "data:image/png;base64," + base64.b64encode(png).decode()


async def test_absolute_path_and_type_sniffed_from_bytes(tmp_path):
    path = tmp_path / "photo.png"  # the extension lies: the bytes are JPEG
    path.write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 32)
    _, ctx = await view(tmp_path / "elsewhere", str(path))
    assert ctx.pending[0].content[0].image_url.startswith("data:image/jpeg;base64,")


@pytest.mark.parametrize(
    ("data", "mime"),
    [
        (b"\x89PNG\r\n\x1a\n....", "image/png"),
        (b"\xff\xd8\xff\xdb", "image/jpeg"),
        (b"GIF89a....", "image/gif"),
        (b"GIF87a....", "image/gif"),
        (b"RIFF\x10\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"RIFF\x10\x00\x00\x00WAVEfmt ", None),
        (b"%PDF-1.7", None),
        (b"", None),
    ],
)
def test_sniff_image_type(data, mime):
    assert sniff_image_type(data) == mime


async def test_missing_file(tmp_path):
    message = await view_error(tmp_path, "nope.png")
    assert message.startswith(f"unable to locate image at `{tmp_path / 'nope.png'}`: ")


async def test_directory_is_not_a_file(tmp_path):
    (tmp_path / "dir.png").mkdir()
    assert await view_error(tmp_path, "dir.png") == f"image path `{tmp_path / 'dir.png'}` is not a file"


async def test_not_an_image(tmp_path):
    (tmp_path / "notes.png").write_text("hello")
    message = await view_error(tmp_path, "notes.png")
    assert message.startswith(f"unable to process image at `{tmp_path / 'notes.png'}`: unsupported image format")


async def test_too_large(tmp_path):
    path = tmp_path / "huge.png"
    with open(path, "wb") as f:
        f.write(tiny_png())
        f.truncate(MAX_IMAGE_BYTES + 1)
    assert "is too large" in await view_error(tmp_path, "huge.png")


async def test_missing_argument(tmp_path):
    ctx = FakeCtx(cwd=tmp_path)
    call = ToolCall(call_id="c1", name="view_image", kind="function", payload="{}")
    with pytest.raises(RespondToModel) as info:
        await ViewImageTool().handle(call, ctx)
    assert info.value.message.startswith("failed to parse function arguments")
