"""What the rest of the server knows of an MCP server without loading its client
(:mod:`codex_lsp.mcp.connection`, :mod:`codex_lsp.mcp.transport`, the SDK): its state and the
callback that answers its elicitations."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
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
