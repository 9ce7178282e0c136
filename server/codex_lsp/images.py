"""Image files as data URLs, for the model (shared by @-mentioned images and ``view_image``)."""

from __future__ import annotations

import base64
import mimetypes
from pathlib import Path

from codex_lsp.local_files import read_regular

MAX_IMAGE_BYTES = 20 * 1024 * 1024


def image_data_url(path: Path) -> str:
    """``data:<mime>;base64,...`` for an image file; ``ValueError`` says why it is not one.
    Only a regular file is read, and at most ``MAX_IMAGE_BYTES`` of it."""
    mime = mimetypes.guess_type(path.name)[0] or ""
    if not mime.startswith("image/"):
        raise ValueError(f"{path.name} is not an image file")
    data = read_regular(path, MAX_IMAGE_BYTES)
    if len(data) > MAX_IMAGE_BYTES:
        raise ValueError(f"it is {path.stat().st_size} bytes; the limit is {MAX_IMAGE_BYTES}")
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
