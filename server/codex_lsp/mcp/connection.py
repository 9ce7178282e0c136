"""One configured MCP server: started with the official SDK (stdio or streamable HTTP), its
tools listed, calls made with timeouts, and restarted with backoff on the next use after it
failed, crashed or hung. Nothing here raises anything but :class:`McpError`."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from codex_lsp.background import create_task
from codex_lsp.config.model import McpServerConfig
from codex_lsp.errors import McpError
from codex_lsp.mcp.failures import (
    describe,
    is_timeout,
    is_tool_level,
    redacted_failure,
    still_answers,
)
from codex_lsp.mcp.transport import (
    PromptInfo,
    ToolInfo,
    has_resources,
    http_hint,
    import_sdk,
    list_prompts,
    list_tools,
    open_session,
)

if TYPE_CHECKING:
    from mcp import ClientSession
    from mcp.types import CallToolResult

STOP_WAIT_S = 5.0
RESTART_BACKOFF_S = (1.0, 2.0, 5.0, 15.0, 30.0)

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
        self.prompts: list[PromptInfo] = []
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

    @property
    def starting(self) -> bool:
        """True while it starts (or restarts)."""
        return self.state is ServerState.STARTING

    @property
    def stopped(self) -> bool:
        """True when it was stopped (or has not started yet): its tools and prompts are not
        offered. A failed server keeps them (calling one restarts it)."""
        return self.state is ServerState.STOPPED

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
        await import_sdk()  # once per process, and not the server's start-up time
        self._runner = create_task(self._run(), name=f"mcp-{self.name}")
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
                session = await open_session(self.config, stack, self._on_elicit)
                await session.initialize()
                self.tools = await list_tools(session)
                self.prompts = await list_prompts(session)
                self.has_resources = has_resources(session)
                self._session = session
                self._attempt.failures = 0
                self._set(ServerState.READY, None)
                self._ready.set()
                await self._stop.wait()
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # a server's failure must not escape
            if not self._stop.is_set():
                self._fail(describe(exc) + await http_hint(self.config))
        finally:
            self._session = None
            self._ready.set()

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
        return redacted_failure(result) if result.is_error else result

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
            if is_tool_level(exc) or await still_answers(session, exc):
                raise McpError(f"MCP server {self.name}: {what} failed: {describe(exc)}") from exc
            if is_timeout(exc):
                await self._broken(
                    generation, f"{what} did not answer within {limit_s:g} s (tool_timeout_sec)"
                )
            await self._broken(generation, f"{what} failed: {describe(exc)}")
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

    async def get_prompt(self, name: str, arguments: dict[str, str]) -> str:
        """The text of prompt ``name`` filled with ``arguments`` (``prompts/get``): its
        messages' text, one after the other; what is not text is named, not sent."""
        from mcp.types import GetPromptResult, TextContent

        result = await self._request(
            f"prompt {name}",
            lambda s: s.get_prompt(name, arguments),
            self.config.tool_timeout_sec,
        )
        if not isinstance(result, GetPromptResult):
            raise McpError(f"MCP server {self.name} asked for input the prompt cannot give")
        parts = []
        for message in result.messages:
            content = message.content
            if isinstance(content, TextContent):
                parts.append(content.text)
            else:
                parts.append(f"[{content.type} content of prompt {name} left out]")
        return "\n\n".join(parts)

    async def _on_elicit(self, context: Any, params: Any) -> Any:
        from mcp.types import ElicitResult

        if self._elicit is None:
            return ElicitResult(action="decline")
        schema = getattr(params, "requested_schema", None) or {}
        url = str(params.url) if getattr(params, "mode", None) == "url" else None
        action, content = await self._elicit(self.name, str(params.message), dict(schema), url)
        return ElicitResult(action=action, content=content)
