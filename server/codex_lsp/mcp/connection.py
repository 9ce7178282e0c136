"""One configured MCP server: started with the official SDK (stdio or streamable HTTP), its
tools listed, calls made with timeouts, and restarted with backoff on the next use after it
failed, crashed or hung. Nothing here raises anything but :class:`McpError`."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import os
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import httpx

from codex_lsp.config.model import McpServerConfig
from codex_lsp.config.secrets import redact
from codex_lsp.errors import McpError

if TYPE_CHECKING:
    from mcp import ClientSession
    from mcp.types import CallToolResult

STOP_WAIT_S = 5.0
PROBE_TIMEOUT_S = 5.0
PING_TIMEOUT_S = 2.0
RESTART_BACKOFF_S = (1.0, 2.0, 5.0, 15.0, 30.0)

_PHRASES: tuple[tuple[type[BaseException], str], ...] = (
    (TimeoutError, "it timed out"),
    (ConnectionError, "the connection was lost"),
    (EOFError, "the connection was lost"),
    (httpx.TimeoutException, "it timed out"),
    (httpx.TransportError, "the connection failed"),
)
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


@dataclass
class _Attempt:
    failures: int = 0
    next_try: float = 0.0
    history: list[str] = field(default_factory=list)


class McpConnection:
    """A client for one ``[mcp_servers.<name>]`` entry."""

    def __init__(
        self,
        name: str,
        config: McpServerConfig,
        *,
        on_change: Callable[[McpConnection], None],
        elicit: ElicitHandler | None = None,
    ) -> None:
        self.name = name
        self.config = config
        self.state = ServerState.STOPPED
        self.reason: str | None = None
        self.tools: list[ToolInfo] = []
        self.has_resources = False
        self._on_change = on_change
        self._elicit = elicit
        self._session: ClientSession | None = None
        self._runner: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()
        self._ready = asyncio.Event()
        self._attempt = _Attempt()
        self._lock = asyncio.Lock()
        # Counts starts: a call that fails knows whether the server it used is still the one
        # running (a restart may have replaced it meanwhile).
        self._generation = 0

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        """Start the server and wait (up to ``startup_timeout_sec``) until it is ready or has
        failed; the state says which."""
        async with self._lock:
            await self._start_locked()

    async def _start_locked(self) -> None:
        await self._stop_runner()
        self._generation += 1
        self._stop = asyncio.Event()
        self._ready = asyncio.Event()
        self._set(ServerState.STARTING, None)
        await _import_sdk()  # once per process, and not the server's start-up time
        self._runner = asyncio.create_task(self._run(), name=f"mcp-{self.name}")
        try:
            await asyncio.wait_for(self._ready.wait(), self.config.startup_timeout_sec)
        except TimeoutError:
            # Failed now, when the user was told it would; the process is reaped after (the
            # SDK gives it a grace period), without waiting for a start-up it never finished.
            self._fail(
                f"did not start within {self.config.startup_timeout_sec:g} s "
                "(raise startup_timeout_sec if it is just slow)"
            )
            await self._stop_runner(cancel=True)

    async def restart(self) -> None:
        """Stop the server and start it again now, forgetting its failures and their backoff;
        a call still waiting on the old server fails without marking the new one failed."""
        async with self._lock:
            self._attempt = _Attempt()
            await self._start_locked()

    async def stop(self) -> None:
        """Stop the server (its process, for stdio)."""
        async with self._lock:
            await self._stop_runner()
            self._set(ServerState.STOPPED, None)

    async def _stop_runner(self, cancel: bool = False) -> None:
        """End the runner: asked to stop (a live session closes cleanly), or at once when
        ``cancel`` (it is stuck before it could listen)."""
        runner = self._runner
        self._session = None
        if runner is None:
            return
        if not runner.done():
            self._stop.set()
            if not cancel:
                await asyncio.wait({runner}, timeout=STOP_WAIT_S)
            if not runner.done():
                runner.cancel()
                await asyncio.wait({runner}, timeout=STOP_WAIT_S)
        if self._runner is runner:  # kept until it is over, so a later stop waits for it too
            self._runner = None

    def _set(self, state: ServerState, reason: str | None) -> None:
        self.state, self.reason = state, reason
        self._on_change(self)

    def _fail(self, reason: str) -> None:
        self._session = None
        self._attempt.failures += 1
        delay = RESTART_BACKOFF_S[min(self._attempt.failures, len(RESTART_BACKOFF_S)) - 1]
        self._attempt.next_try = time.monotonic() + delay
        self._set(ServerState.FAILED, reason)

    async def _run(self) -> None:
        try:
            async with contextlib.AsyncExitStack() as stack:
                session = await self._connect(stack)
                await session.initialize()
                self.tools = await _list_tools(session)
                self.has_resources = _has_resources(session)
                self._session = session
                self._attempt.failures = 0
                self._set(ServerState.READY, None)
                self._ready.set()
                await self._stop.wait()
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # a server's failure must not escape
            if not self._stop.is_set():
                self._fail(_describe(exc) + await self._http_hint())
        finally:
            self._session = None
            self._ready.set()

    async def _connect(self, stack: contextlib.AsyncExitStack) -> ClientSession:
        from mcp import ClientSession, StdioServerParameters, stdio_client

        config = self.config
        if config.command:
            params = StdioServerParameters(
                command=config.command,
                args=list(config.args),
                env={**_default_env(), **config.env},
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
            ClientSession(streams[0], streams[1], elicitation_callback=self._on_elicit)
        )

    async def _http_hint(self) -> str:
        """For a URL server that failed: what its endpoint answers, and what to check."""
        config = self.config
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
            return f" ({redact(config.url)} cannot be reached: {_describe(exc)})"
        if response.status_code in (401, 403):
            where = f"${config.bearer_token_env_var}" if config.bearer_token_env_var else "none"
            return (
                f" ({config.url} answers HTTP {response.status_code}: check the token "
                f"(bearer_token_env_var: {where}) and http_headers)"
            )
        if response.status_code == 404:
            return f" ({config.url} answers HTTP 404: check the url's path)"
        return f" ({config.url} answers HTTP {response.status_code})"

    # ------------------------------------------------------------------ use
    async def session(self) -> ClientSession:
        """The live session, (re)starting the server first when it is down and its backoff
        has passed; :class:`McpError` says why it cannot be used."""
        async with self._lock:
            if self._session is not None and self.state is ServerState.READY:
                return self._session
            wait = self._attempt.next_try - time.monotonic()
            if self.state is ServerState.FAILED and wait > 0:
                raise McpError(
                    f"MCP server {self.name} is unavailable ({self.reason}); "
                    f"retrying in {wait:.0f} s"
                )
            await self._start_locked()
            if self._session is None:
                raise McpError(f"MCP server {self.name} failed to start: {self.reason}")
            return self._session

    async def call_tool(self, tool: str, arguments: dict[str, Any]) -> CallToolResult:
        """Call ``tool``; a crash, hang (``tool_timeout_sec``) or protocol error marks the
        server failed (restarted on next use) and raises :class:`McpError`."""
        from mcp.types import CallToolResult

        timeout = self.config.tool_timeout_sec
        result = await self._request(
            f"tool {tool}",
            lambda s: s.call_tool(tool, arguments, read_timeout_seconds=timeout),
            timeout,
        )
        if not isinstance(result, CallToolResult):
            raise McpError(f"MCP server {self.name} asked for input the call cannot give")
        return _redacted_failure(result) if result.is_error else result

    async def _request(
        self, what: str, send: Callable[[ClientSession], Awaitable[Any]], limit_s: float
    ) -> Any:
        session = await self.session()
        generation = self._generation
        try:
            async with asyncio.timeout(limit_s + 1):
                return await send(session)
        except TimeoutError:
            await self._broken(
                generation, f"{what} did not answer within {limit_s:g} s (tool_timeout_sec)"
            )
        except McpError:
            raise
        except Exception as exc:
            if _is_tool_level(exc) or await _still_answers(session, exc):
                raise McpError(f"MCP server {self.name}: {what} failed: {_describe(exc)}") from exc
            if _is_timeout(exc):
                await self._broken(
                    generation, f"{what} did not answer within {limit_s:g} s (tool_timeout_sec)"
                )
            await self._broken(generation, f"{what} failed: {_describe(exc)}")
        raise AssertionError("unreachable")

    async def _broken(self, generation: int, reason: str) -> None:
        async with self._lock:
            if generation != self._generation:  # restarted meanwhile: the new one is fine
                raise McpError(f"MCP server {self.name}: {reason} (it was restarted meanwhile)")
            await self._stop_runner()
            self._fail(reason)
        raise McpError(f"MCP server {self.name}: {reason}; it is restarted on next use")

    async def list_resources(self) -> list[dict[str, Any]]:
        """The server's resources (uri, name, mimeType, description)."""
        result = await self._request(
            "resources/list", lambda s: s.list_resources(), self.config.tool_timeout_sec
        )
        return [r.model_dump(mode="json", exclude_none=True) for r in result.resources]

    async def list_resource_templates(self) -> list[dict[str, Any]]:
        """The server's resource templates."""
        result = await self._request(
            "resources/templates/list",
            lambda s: s.list_resource_templates(),
            self.config.tool_timeout_sec,
        )
        return [r.model_dump(mode="json", exclude_none=True) for r in result.resource_templates]

    async def read_resource(self, uri: str) -> list[dict[str, Any]]:
        """The contents of resource ``uri``."""
        result = await self._request(
            f"resources/read {uri}", lambda s: s.read_resource(uri), self.config.tool_timeout_sec
        )
        return [c.model_dump(mode="json", exclude_none=True) for c in result.contents]

    async def _on_elicit(self, context: Any, params: Any) -> Any:
        from mcp.types import ElicitResult

        if self._elicit is None:
            return ElicitResult(action="decline")
        schema = getattr(params, "requested_schema", None) or {}
        url = str(params.url) if getattr(params, "mode", None) == "url" else None
        action, content = await self._elicit(self.name, str(params.message), dict(schema), url)
        return ElicitResult(action=action, content=content)


async def _list_tools(session: ClientSession) -> list[ToolInfo]:
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


def _has_resources(session: ClientSession) -> bool:
    capabilities = session.server_capabilities
    return bool(capabilities and capabilities.resources)


_SDK_MODULES = ("mcp", "mcp.client.streamable_http", "mcp.shared._httpx_utils")


async def _import_sdk() -> None:
    """Import the SDK (~0.9 s) on a worker thread, so the event loop keeps serving. Nothing
    is cached but by Python itself: a future kept across event loops would hang the next one
    when the first loop closed mid-import."""
    if not all(m in sys.modules for m in _SDK_MODULES):
        await asyncio.to_thread(lambda: [importlib.import_module(m) for m in _SDK_MODULES])


def _default_env() -> dict[str, str]:
    """What a stdio server inherits: the variables programs need to run, not the user's keys."""
    keep = ("HOME", "LOGNAME", "PATH", "SHELL", "TERM", "USER", "LANG", "LC_ALL", "TMPDIR", "TZ")
    return {k: v for k, v in os.environ.items() if k in keep}


def _redacted_failure(result: CallToolResult) -> CallToolResult:
    """A failed call's text with the config's secrets masked (servers echo credentials in
    their error messages)."""
    from mcp.types import TextContent

    content = [
        c.model_copy(update={"text": redact(c.text)}) if isinstance(c, TextContent) else c
        for c in result.content
    ]
    return result.model_copy(update={"content": content})


async def _still_answers(session: ClientSession, exc: Exception) -> bool:
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


def _is_tool_level(exc: Exception) -> bool:
    """A JSON-RPC error answer (the server is fine; the call was refused), as opposed to a
    closed connection or a timeout, which mean the server is gone or stuck."""
    from mcp import MCPError
    from mcp.types import CONNECTION_CLOSED, REQUEST_TIMEOUT

    return isinstance(exc, MCPError) and exc.code not in (CONNECTION_CLOSED, REQUEST_TIMEOUT)


def _is_timeout(exc: Exception) -> bool:
    from mcp import MCPError
    from mcp.types import REQUEST_TIMEOUT

    return isinstance(exc, MCPError) and exc.code == REQUEST_TIMEOUT


def _describe(exc: BaseException) -> str:
    """What went wrong in words (never an exception's class name), secrets masked."""
    from mcp import MCPError

    if isinstance(exc, BaseExceptionGroup):
        return "; ".join(_describe(e) for e in exc.exceptions)
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
