"""A prompt's content blocks as the core's user input: text as typed, images inline, a
``resource_link`` to a local file as an @-mention (the core reads it, capped), an embedded
``resource`` (what an editor's @-mention of an open buffer sends) as named context."""

from __future__ import annotations

import base64
import binascii
from pathlib import Path
from urllib.parse import unquote, urlparse

from acp.schema import (
    AudioContentBlock,
    BlobResourceContents,
    EmbeddedResourceContentBlock,
    ImageContentBlock,
    ResourceContentBlock,
    TextContentBlock,
)

from codex_lsp.errors import ProtocolError
from codex_lsp.protocol.items import (
    ContextInput,
    ImageInput,
    MentionInput,
    TextInput,
    UserInputItem,
)

ContentBlock = (
    TextContentBlock
    | ImageContentBlock
    | AudioContentBlock
    | ResourceContentBlock
    | EmbeddedResourceContentBlock
)
MAX_IMAGE_BYTES = 20 * 1024 * 1024
CONTEXT_NAME_MAX = 64


def file_path(uri: str) -> Path | None:
    """The local path of a ``file:`` URI (or of an absolute path), else None."""
    if uri.startswith("/"):
        return Path(uri)
    parsed = urlparse(uri)
    if parsed.scheme == "file" and parsed.netloc in ("", "localhost"):
        return Path(unquote(parsed.path))
    return None


def first_text(blocks: list[ContentBlock]) -> str | None:
    """The text of the first block, when it is text (where a slash command is read)."""
    return blocks[0].text if blocks and isinstance(blocks[0], TextContentBlock) else None


def to_input(blocks: list[ContentBlock], cwd: Path) -> list[UserInputItem]:
    """The user input items of ``blocks``; :class:`ProtocolError` for what cannot be taken."""
    items: list[UserInputItem] = []
    for index, block in enumerate(blocks):
        if isinstance(block, TextContentBlock):
            items.append(TextInput(text=block.text))
        elif isinstance(block, ImageContentBlock):
            items.append(ImageInput(image_url=_data_url(block.mime_type, block.data, index)))
        elif isinstance(block, ResourceContentBlock):
            items.append(_link(block))
        elif isinstance(block, EmbeddedResourceContentBlock):
            items.append(_embedded(block, cwd, index))
        else:
            raise ProtocolError(
                f"prompt block {index} is audio, which this agent does not take "
                "(promptCapabilities.audio is false); send text or images"
            )
    if not items:
        raise ProtocolError("the prompt is empty; send at least one text block")
    return items


def _data_url(mime_type: str, data: str, index: int) -> str:
    if not mime_type.startswith("image/"):
        raise ProtocolError(f"prompt block {index}: {mime_type!r} is not an image type")
    try:
        size = len(base64.b64decode(data, validate=True))
    except (binascii.Error, ValueError):
        raise ProtocolError(f"prompt block {index}: the image data is not base64") from None
    if size > MAX_IMAGE_BYTES:
        raise ProtocolError(
            f"prompt block {index}: the image is {size // 1024 // 1024} MiB; "
            f"at most {MAX_IMAGE_BYTES // 1024 // 1024} MiB"
        )
    return f"data:{mime_type};base64,{data}"


def _shown(path: Path, cwd: Path) -> str:
    return str(path.relative_to(cwd)) if path.is_relative_to(cwd) else str(path)


def _link(block: ResourceContentBlock) -> UserInputItem:
    """A link to a regular file or a folder is read by the core; anything else (a URL, a
    FIFO or device, which a read would hang on) stays a link in the text."""
    path = file_path(block.uri)
    if path is not None and (path.is_file() or path.is_dir()):
        return MentionInput(path=str(path), name=block.name)
    return TextInput(text=f"[@{block.name}]({block.uri})")


def _embedded(block: EmbeddedResourceContentBlock, cwd: Path, index: int) -> UserInputItem:
    resource = block.resource
    path = file_path(resource.uri)
    name = _shown(path, cwd) if path is not None else resource.uri
    if len(name) > CONTEXT_NAME_MAX:
        name = "…" + name[-(CONTEXT_NAME_MAX - 1) :]
    if isinstance(resource, BlobResourceContents):
        mime = resource.mime_type or ""
        if mime.startswith("image/"):
            return ImageInput(image_url=_data_url(mime, resource.blob, index))
        return TextInput(
            text=f"[binary resource {resource.uri} ({mime or 'unknown type'}) left out]"
        )
    return ContextInput(name=name or "resource", text=resource.text)
