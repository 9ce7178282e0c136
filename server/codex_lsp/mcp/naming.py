"""The names MCP tools are offered under: ``<server>__<tool>``, limited to the characters and
length model APIs accept, stable, and without collisions."""

from __future__ import annotations

import functools
import hashlib
import re

MAX_NAME = 64
SEPARATOR = "__"
_HASH_CHARS = 8


@functools.cache
def _invalid() -> re.Pattern[str]:
    """Compiled with the first MCP tool named, not by every start."""
    return re.compile(r"[^a-zA-Z0-9_-]")


def sanitize(text: str) -> str:
    """``text`` with every character a model API rejects replaced by ``_``."""
    return _invalid().sub("_", text) or "_"


def qualified_name(server: str, tool: str) -> str:
    """``<server>__<tool>``, sanitised; when longer than 64 characters, cut and suffixed with
    a hash of the full name so two long names never meet."""
    name = f"{sanitize(server)}{SEPARATOR}{sanitize(tool)}"
    if len(name) <= MAX_NAME:
        return name
    digest = hashlib.sha1(f"{server}{SEPARATOR}{tool}".encode()).hexdigest()[:_HASH_CHARS]
    return f"{name[: MAX_NAME - _HASH_CHARS - 1]}_{digest}"


def assign_names(pairs: list[tuple[str, str]]) -> dict[str, tuple[str, str]]:
    """Names for ``(server, tool)`` pairs, in order; a name already taken (two tools that
    sanitise alike) gets a hash suffix of its own."""
    names: dict[str, tuple[str, str]] = {}
    for server, tool in pairs:
        name = qualified_name(server, tool)
        if name in names:
            digest = hashlib.sha1(f"{server}\0{tool}".encode()).hexdigest()[:_HASH_CHARS]
            name = f"{name[: MAX_NAME - _HASH_CHARS - 1]}_{digest}"
        names[name] = (server, tool)
    return names
