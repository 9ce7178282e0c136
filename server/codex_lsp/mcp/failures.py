"""What goes wrong with an MCP server, in words: a failure described without an exception's class
name and with secrets masked, and whether an error was the server's answer (it still runs) or
means the server is gone or stuck."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import httpx

from codex_lsp.config.secrets import redact
from codex_lsp.errors import McpError

if TYPE_CHECKING:
    from mcp import ClientSession
    from mcp.types import CallToolResult

PING_TIMEOUT_S = 2.0
_PHRASES: tuple[tuple[type[BaseException], str], ...] = (
    (TimeoutError, "it timed out"),
    (ConnectionError, "the connection was lost"),
    (EOFError, "the connection was lost"),
    (httpx.TimeoutException, "it timed out"),
    (httpx.TransportError, "the connection failed"),
)


def describe(exc: BaseException) -> str:
    """What went wrong in words (never an exception's class name), secrets masked."""
    from mcp import MCPError

    if isinstance(exc, BaseExceptionGroup):
        return "; ".join(describe(e) for e in exc.exceptions)
    if isinstance(exc, McpError):
        return exc.message
    if isinstance(exc, MCPError):
        return redact(f"{exc.message} (error {exc.code})")
    text = str(exc).strip()
    if text:
        return redact(text)
    for kind, words in _PHRASES:
        if isinstance(exc, kind):
            return words
    return "it failed without saying why"


def is_tool_level(exc: Exception) -> bool:
    """A JSON-RPC error answer (the server is fine; the call was refused), as opposed to a
    closed connection or a timeout, which mean the server is gone or stuck."""
    from mcp import MCPError
    from mcp.types import CONNECTION_CLOSED, REQUEST_TIMEOUT

    return isinstance(exc, MCPError) and exc.code not in (CONNECTION_CLOSED, REQUEST_TIMEOUT)


def is_timeout(exc: Exception) -> bool:
    """The SDK gave up waiting for the answer."""
    from mcp import MCPError
    from mcp.types import REQUEST_TIMEOUT

    return isinstance(exc, MCPError) and exc.code == REQUEST_TIMEOUT


async def still_answers(session: ClientSession, exc: Exception) -> bool:
    """For an error with the SDK's "connection closed" code (-32000, which servers also use for
    their own errors): True when the server still answers a ping, so the error was its answer."""
    from mcp import MCPError
    from mcp.types import CONNECTION_CLOSED

    if not isinstance(exc, MCPError) or exc.code != CONNECTION_CLOSED:
        return False
    try:
        async with asyncio.timeout(PING_TIMEOUT_S):
            await session.send_ping()
    except Exception:
        return False
    return True


def redacted_failure(result: CallToolResult) -> CallToolResult:
    """A failed call's text with the config's secrets masked (servers echo credentials in
    their error messages)."""
    from mcp.types import TextContent

    content = [
        c.model_copy(update={"text": redact(c.text)}) if isinstance(c, TextContent) else c
        for c in result.content
    ]
    return result.model_copy(update={"content": content})
