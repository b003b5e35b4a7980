"""Local images given as user input become `input_image` data URLs (spec §1.1).

A file that cannot be read becomes a text placeholder instead, so a bad path never
fails a turn.
"""

from __future__ import annotations

import base64
import mimetypes
from pathlib import Path

from agent.protocol.items import InputImage, InputText

MAX_IMAGE_BYTES = 20 * 1024 * 1024


def local_image_content(path: str, cwd: Path) -> InputImage | InputText:
    file = Path(path) if Path(path).is_absolute() else cwd / path
    mime = mimetypes.guess_type(file.name)[0] or ""
    if not mime.startswith("image/"):
        return InputText(text=f"Image located at `{file}` is invalid: not an image file")
    try:
        data = file.read_bytes()
    except OSError as err:
        return InputText(text=f"kernel-agent could not read the local image at `{file}`: {err.strerror or err}")
    if len(data) > MAX_IMAGE_BYTES:
        return InputText(text=f"Image located at `{file}` is invalid: larger than {MAX_IMAGE_BYTES} bytes")
    return InputImage(image_url=f"data:{mime};base64,{base64.b64encode(data).decode()}")
