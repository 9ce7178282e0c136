"""What the params of the session methods become (absolute folders that exist, the MCP servers
a client brings, in config form) and what ``session/list`` answers."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from acp.schema import HttpMcpServer, McpServerStdio, SseMcpServer

from codex_lsp.config.model import McpServerConfig
from codex_lsp.errors import ProtocolError
from codex_lsp.protocol.requests import ListConversationsResult


def directory(raw: str, what: str) -> Path:
    """``raw`` resolved, or :class:`ProtocolError` naming ``what`` when it is not an absolute
    path to an existing folder."""
    path = Path(raw)
    if not path.is_absolute():
        raise ProtocolError(f"{what} must be an absolute path, got {raw!r}")
    if not path.is_dir():
        raise ProtocolError(f"{what} {raw!r} is not an existing folder")
    return path.resolve()


def mcp_configs(servers: list[Any] | None, cwd: Path) -> dict[str, McpServerConfig]:
    """The client's MCP servers in config form, by name (spaces in a name become ``_``)."""
    configs: dict[str, McpServerConfig] = {}
    for server in servers or []:
        name = re.sub(r"\s+", "_", server.name.strip()) or "client"
        if isinstance(server, McpServerStdio):
            configs[name] = McpServerConfig(
                command=server.command,
                args=list(server.args),
                env={e.name: e.value for e in server.env},
                cwd=cwd,
            )
        elif isinstance(server, HttpMcpServer):
            configs[name] = McpServerConfig(
                url=str(server.url), http_headers={h.name: h.value for h in server.headers}
            )
        elif isinstance(server, SseMcpServer):
            raise ProtocolError(
                f"MCP server {server.name!r} uses SSE, which this agent does not support "
                "(mcpCapabilities.sse is false); give its streamable HTTP URL instead"
            )
        else:
            raise ProtocolError(
                f"MCP server {server.name!r} is of a kind this agent does not connect to; "
                "give a stdio command or a streamable HTTP URL"
            )
    return configs


def iso_time(timestamp: float) -> str:
    """A Unix time as ACP writes it (ISO 8601, UTC, ``Z``)."""
    return datetime.fromtimestamp(timestamp, UTC).isoformat().replace("+00:00", "Z")


def listed(page: ListConversationsResult) -> dict[str, Any]:
    """A page of stored conversations as ``session/list`` answers it (a title once the
    conversation has a user message)."""
    sessions = []
    for item in page.items:
        entry: dict[str, Any] = {
            "sessionId": item.conversation_id,
            "cwd": str(item.cwd),
            "updatedAt": iso_time(item.updated_at),
        }
        if item.preview:
            entry["title"] = item.title
        sessions.append(entry)
    result: dict[str, Any] = {"sessions": sessions}
    if page.next_cursor:
        result["nextCursor"] = page.next_cursor
    return result
