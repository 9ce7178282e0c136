"""Opening a session with one MCP server through the official SDK (stdio or streamable HTTP),
listing its tools, and, when a URL server fails, probing what its endpoint answers."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import os
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from codex_lsp.config.model import McpServerConfig
from codex_lsp.config.secrets import redact
from codex_lsp.errors import McpError
from codex_lsp.mcp.failures import describe

if TYPE_CHECKING:
    from mcp import ClientSession

log = logging.getLogger(__name__)
PROBE_TIMEOUT_S = 5.0
_SDK_MODULES = ("mcp", "mcp.client.streamable_http", "mcp.shared._httpx_utils")


@dataclass(frozen=True)
class ToolInfo:
    """A tool as the server described it."""

    name: str
    description: str
    input_schema: dict[str, Any]
    read_only: bool


async def import_sdk() -> None:
    """Import the SDK (~0.9 s) on a worker thread, so the event loop keeps serving. Nothing
    is cached but by Python itself: a future kept across event loops would hang the next one
    when the first loop closed mid-import."""
    if not all(m in sys.modules for m in _SDK_MODULES):
        await asyncio.to_thread(lambda: [importlib.import_module(m) for m in _SDK_MODULES])


async def open_session(
    config: McpServerConfig, stack: contextlib.AsyncExitStack, on_elicit: Any
) -> ClientSession:
    """A session with the server ``config`` names, its transport held open by ``stack``;
    ``on_elicit`` answers the server's elicitation requests."""
    from mcp import ClientSession, StdioServerParameters, stdio_client

    if config.command:
        params = StdioServerParameters(
            command=config.command,
            args=list(config.args),
            env={**default_env(), **config.env},
            cwd=config.cwd,
        )
        streams = await stack.enter_async_context(stdio_client(params))
    elif config.url:
        from mcp.client.streamable_http import streamable_http_client
        from mcp.shared._httpx_utils import create_mcp_http_client

        headers = dict(config.http_headers)
        if config.bearer_token_env_var:
            token = os.environ.get(config.bearer_token_env_var)
            if not token:
                raise McpError(
                    f"the environment variable {config.bearer_token_env_var} "
                    "(bearer_token_env_var) is not set"
                )
            headers["Authorization"] = f"Bearer {token}"
        client = await stack.enter_async_context(create_mcp_http_client(headers=headers))
        streams = await stack.enter_async_context(
            streamable_http_client(config.url, http_client=client)
        )
    else:
        raise McpError("neither command (stdio) nor url (streamable HTTP) is set")
    return await stack.enter_async_context(
        ClientSession(streams[0], streams[1], elicitation_callback=on_elicit)
    )


async def http_hint(config: McpServerConfig) -> str:
    """For a URL server that failed: what its endpoint answers, and what to check."""
    if not config.url:
        return ""
    headers = dict(config.http_headers)
    token = os.environ.get(config.bearer_token_env_var or "")
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        async with httpx.AsyncClient(timeout=PROBE_TIMEOUT_S) as client:
            response = await client.post(config.url, headers=headers, json={})
    except httpx.HTTPError as exc:
        return f" ({redact(config.url)} cannot be reached: {describe(exc)})"
    if response.status_code in (401, 403):
        where = f"${config.bearer_token_env_var}" if config.bearer_token_env_var else "none"
        return (
            f" ({config.url} answers HTTP {response.status_code}: check the token "
            f"(bearer_token_env_var: {where}) and http_headers)"
        )
    if response.status_code == 404:
        return f" ({config.url} answers HTTP 404: check the url's path)"
    return f" ({config.url} answers HTTP {response.status_code})"


async def list_tools(session: ClientSession) -> list[ToolInfo]:
    """Every tool the server offers, page by page."""
    from mcp.types import PaginatedRequestParams

    tools: list[ToolInfo] = []
    cursor: str | None = None
    while True:
        page = await session.list_tools(
            params=PaginatedRequestParams(cursor=cursor) if cursor else None
        )
        for tool in page.tools:
            hints = tool.annotations
            tools.append(
                ToolInfo(
                    name=tool.name,
                    description=tool.description or tool.title or tool.name,
                    input_schema=dict(tool.input_schema or {}),
                    read_only=bool(hints and hints.read_only_hint),
                )
            )
        cursor = page.next_cursor
        if not cursor:
            return tools


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


PROMPTS_MAX = 200


async def list_prompts(session: ClientSession) -> list[PromptInfo]:
    """The server's prompts (at most ``PROMPTS_MAX``); none when it offers none, or when
    listing them fails (its tools still work)."""
    from mcp.types import PaginatedRequestParams

    capabilities = session.server_capabilities
    if not (capabilities and capabilities.prompts):
        return []
    prompts: list[PromptInfo] = []
    cursor: str | None = None
    try:
        while len(prompts) < PROMPTS_MAX:
            page = await session.list_prompts(
                params=PaginatedRequestParams(cursor=cursor) if cursor else None
            )
            for prompt in page.prompts:
                arguments = tuple(
                    PromptArgument(a.name, a.description, bool(a.required))
                    for a in prompt.arguments or []
                )
                prompts.append(PromptInfo(prompt.name, prompt.description, arguments))
            cursor = page.next_cursor
            if not cursor:
                break
    except Exception as exc:
        log.warning("MCP server prompts not listed: %s", describe(exc))
        return []
    return prompts[:PROMPTS_MAX]


def has_resources(session: ClientSession) -> bool:
    """True when the server offers resources."""
    capabilities = session.server_capabilities
    return bool(capabilities and capabilities.resources)


def default_env() -> dict[str, str]:
    """What a stdio server inherits: the variables programs need to run, not the user's keys."""
    keep = ("HOME", "LOGNAME", "PATH", "SHELL", "TERM", "USER", "LANG", "LC_ALL", "TMPDIR", "TZ")
    return {k: v for k, v in os.environ.items() if k in keep}
