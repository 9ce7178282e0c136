"""Turns the user's input items into history content: local images are read and attached,
@-mentioned files are read and given to the model inline, @-mentioned folders as a listing of
their files, and ``/init`` typed alone becomes the request to write an AGENTS.md."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from codex_lsp.core.prompts import load_prompt
from codex_lsp.images import image_data_url
from codex_lsp.local_files import read_regular
from codex_lsp.protocol.history import ContentPart, InputImage, InputText, UserMessage
from codex_lsp.protocol.items import (
    ContextInput,
    ImageInput,
    LocalImageInput,
    MentionInput,
    SkillInput,
    TextInput,
    UserInputItem,
)

INIT_COMMAND = "/init"
"""Typed alone, it asks the model to write the repository's AGENTS.md (``prompts/init.md``)."""
MAX_MENTION_BYTES = 256 * 1024
MAX_FOLDER_ENTRIES = 300


@dataclass
class ConvertedInput:
    """The history message plus what the user should be warned about."""

    message: UserMessage
    warnings: list[str] = field(default_factory=list)
    mentions: list[str] = field(default_factory=list)
    """The @-mentioned files and editor context that were attached."""


def convert_input(items: list[UserInputItem], cwd: Path) -> ConvertedInput:
    """Build one user message from ``items``; unreadable files become warnings, not failures.
    It reads files: run it on a worker thread."""
    parts: list[ContentPart] = []
    warnings: list[str] = []
    mentions: list[str] = []
    for item in items:
        if isinstance(item, TextInput):
            init = item.text.strip() == INIT_COMMAND
            parts.append(InputText(text=load_prompt("init") if init else item.text))
        elif isinstance(item, ImageInput):
            parts.append(InputImage(image_url=item.image_url))
        elif isinstance(item, LocalImageInput):
            try:
                parts.append(InputImage(image_url=image_data_url(cwd / item.path)))
            except (OSError, ValueError) as exc:
                warnings.append(f"image {item.path} was not attached: {exc}")
        elif isinstance(item, MentionInput):
            try:
                target = cwd / item.path
                read = _folder_text if target.is_dir() else _mention_text
                parts.append(InputText(text=read(target, item.path)))
                mentions.append(item.path)
            except (OSError, ValueError) as exc:
                warnings.append(f"file {item.path} was not attached: {exc}")
        elif isinstance(item, ContextInput):
            parts.append(InputText(text=f'<context name="{item.name}">\n{item.text}\n</context>'))
            mentions.append(f"@{item.name}")
        elif isinstance(item, SkillInput):
            mentions.append(f"${item.name}")  # its SKILL.md goes in a message of its own
    if not parts:
        parts.append(InputText(text=""))
    return ConvertedInput(UserMessage(content=parts), warnings, mentions)


def _mention_text(path: Path, shown: str) -> str:
    data = read_regular(path, MAX_MENTION_BYTES)
    truncated = len(data) > MAX_MENTION_BYTES
    text = data[:MAX_MENTION_BYTES].decode("utf-8", "replace")
    note = f"\n[... truncated at {MAX_MENTION_BYTES} bytes ...]" if truncated else ""
    return f'<file path="{shown}">\n{text}{note}\n</file>'


def _folder_text(path: Path, shown: str) -> str:
    """A mentioned folder: the paths of its files, breadth first, hidden and dependency folders
    skipped, at most ``MAX_FOLDER_ENTRIES`` (bounded work: no subprocess, no reads)."""
    from codex_lsp.tools.file_search import SKIP_DIRS  # loaded by a folder mention only

    entries: list[str] = []
    queue = [path]
    while queue and len(entries) < MAX_FOLDER_ENTRIES:
        folder = queue.pop(0)
        for child in sorted(folder.iterdir(), key=lambda c: c.name):
            if child.name.startswith(".") or child.name in SKIP_DIRS:
                continue
            if child.is_dir():
                queue.append(child)
            else:
                entries.append(child.relative_to(path).as_posix())
    more = (
        "\n[... more files not listed ...]" if queue or len(entries) >= MAX_FOLDER_ENTRIES else ""
    )
    listing = "\n".join(entries[:MAX_FOLDER_ENTRIES])
    return f'<folder path="{shown}">\n{listing}{more}\n</folder>'
