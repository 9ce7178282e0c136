"""The size limits of what a client sends, in one place.

Each limit is far above anything a person sends and far below what would cost the server real
time, memory or disk; a request over one is refused with InvalidParams naming the field and the
limit. docs/protocol.md ("Limits") lists them, and a test checks that it does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, Field

ID_MAX_CHARS = 256
"""A conversation id, turn id or list cursor (the server's own are under 64)."""
NAME_MAX_CHARS = 256
"""A model or model provider name."""
TITLE_MAX_CHARS = 200
"""A conversation title."""
PATH_MAX_CHARS = 4096
"""A path (``cwd``, ``roots``, ``writableRoots``, a mention): Linux's PATH_MAX."""
QUERY_MAX_CHARS = 1024
"""A fuzzy file search query (a path is rarely 200 characters long)."""
SEARCH_ROOTS_MAX = 64
"""The folders one fuzzy file search looks in."""
INPUT_TEXT_MAX_CHARS = 1 << 20
"""The text of one user message, its ``text`` and ``context`` items together (as Codex)."""
INPUT_ITEMS_MAX = 256
"""The items of one user message."""
IMAGE_URL_MAX_CHARS = 28 * 1024 * 1024
"""An ``image`` item's URL: a ``data:`` URL of a 20 MiB image (the limit of ``localImage``)."""

IMAGE_URL_SCHEMES = ("https://", "data:image/")


def _path_text(value: str) -> str:
    if len(value) > PATH_MAX_CHARS:
        raise ValueError(f"a path may have at most {PATH_MAX_CHARS} characters")
    if "\0" in value:
        raise ValueError("a path cannot contain a NUL character")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("a path must be valid Unicode (it has a lone surrogate)") from None
    return value


def _path(value: Path) -> Path:
    _path_text(str(value))
    return value


def _not_blank(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("must not be blank")
    return value


WirePath = Annotated[Path, AfterValidator(_path)]
"""A path a client sends (at most ``PATH_MAX_CHARS``, no NUL)."""
WirePathText = Annotated[str, AfterValidator(_path_text)]
"""The same, kept as the client wrote it (relative to the conversation's cwd)."""
Name = Annotated[str, Field(max_length=NAME_MAX_CHARS)]
"""A model or provider name."""
Title = Annotated[str, Field(min_length=1, max_length=TITLE_MAX_CHARS), AfterValidator(_not_blank)]
"""A conversation title: not blank, stored without surrounding white space."""
Identifier = Annotated[str, Field(min_length=1, max_length=ID_MAX_CHARS)]
"""A conversation id, turn id or cursor."""
