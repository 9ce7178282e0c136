"""What the rest of the server knows of an MCP server without loading its client
(:mod:`codex_lsp.mcp.connection`, :mod:`codex_lsp.mcp.transport`, the SDK): its state, its
tools and prompts as it described them, and the callback that answers its elicitations."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

ElicitAnswer = tuple[str, dict[str, Any] | None]
ElicitHandler = Callable[[str, str, dict[str, Any], str | None], Awaitable[ElicitAnswer]]
"""``(server, message, requested_schema, url) -> (action, content)``; ``url`` for a url-mode
elicitation (the user is to open it; the schema is then empty); action is accept, decline or
cancel."""


class ServerState(StrEnum):
    """Where a server is in its life."""

    STARTING = "starting"
    READY = "ready"
    FAILED = "failed"
    STOPPED = "stopped"


@dataclass(frozen=True)
class ToolInfo:
    """A tool as the server described it."""

    name: str
    description: str
    input_schema: dict[str, Any]
    read_only: bool


@dataclass(frozen=True)
class PromptArgument:
    """An argument a prompt takes."""

    name: str
    description: str | None
    required: bool


@dataclass(frozen=True)
class PromptInfo:
    """A prompt as the server described it (``prompts/list``)."""

    name: str
    description: str | None
    arguments: tuple[PromptArgument, ...]
