"""All MCP servers of one codex-lsp process, shared by every conversation: started concurrently
in the background, reconfigured on config reload (only the entries that changed), and their
tools named for the model."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, NamedTuple

from codex_lsp.background import create_task
from codex_lsp.config.model import McpServerConfig
from codex_lsp.errors import McpError, ProtocolError
from codex_lsp.mcp.naming import SEPARATOR, assign_names
from codex_lsp.mcp.schema import clean_schema
from codex_lsp.protocol.items import McpServerStatus

if TYPE_CHECKING:
    from codex_lsp.mcp.connection import ElicitHandler, McpConnection
    from codex_lsp.mcp.transport import PromptInfo, ToolInfo

StatusListener = Callable[[McpServerStatus], None]


class McpTool(NamedTuple):
    """A tool as offered to the model."""

    qualified_name: str
    server: str
    tool: ToolInfo
    parameters: dict[str, Any]


class McpPrompt(NamedTuple):
    """A server's prompt as a slash command: ``/mcp__<server>__<prompt>``."""

    command: str
    server: str
    prompt: PromptInfo


PROMPT_PREFIX = f"mcp{SEPARATOR}"


class McpManager:
    """Starts, stops and calls the configured MCP servers."""

    def __init__(
        self, *, on_status: StatusListener | None = None, elicit: ElicitHandler | None = None
    ) -> None:
        self._on_status = on_status
        self.elicit = elicit
        self._connections: dict[str, McpConnection] = {}
        self._starting: set[asyncio.Task[None]] = set()
        self._retired: set[McpConnection] = set()
        """Removed or replaced servers still stopping; shutdown waits for them."""
        self._tools: dict[str, McpTool] | None = None
        self._settled = asyncio.Event()
        self._settled.set()

    def configure(self, servers: dict[str, McpServerConfig]) -> list[str]:
        """Make the running servers match ``servers``: start new and changed entries, stop
        removed and disabled ones, leave the rest alone. Returns the names it (re)started;
        starting happens in the background."""
        wanted = {name: cfg for name, cfg in servers.items() if cfg.enabled}
        for name in list(self._connections):
            if name not in wanted or wanted[name] != self._connections[name].config:
                self._retire(self._connections.pop(name))
        started = []
        for name, cfg in wanted.items():
            if name not in self._connections:
                from codex_lsp.mcp.connection import McpConnection  # loads with a first server

                connection = McpConnection(name, cfg, on_change=self._changed, elicit=self.elicit)
                self._connections[name] = connection
                self._settled.clear()
                self._spawn(connection.start(), f"mcp-start-{name}")
                started.append(name)
        self._tools = None
        return started

    def _spawn(self, work: Coroutine[Any, Any, None], name: str) -> None:
        create_task(work, name=name, owner=self._starting)

    def _retire(self, connection: McpConnection) -> None:
        """Stop a server that left the configuration, in the background."""
        self._retired.add(connection)

        async def stop() -> None:
            try:
                await connection.stop()
            finally:
                self._retired.discard(connection)

        create_task(stop(), name=f"mcp-stop-{connection.name}")

    async def wait_started(self, timeout_s: float) -> None:
        """Wait until no server is still starting (exec waits so the first request has
        the tools)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._settled.wait(), timeout_s)

    def _changed(self, connection: McpConnection) -> None:
        self._tools = None
        if any(c.starting for c in self._connections.values()):
            self._settled.clear()
        else:
            self._settled.set()
        if self._on_status is not None and self._connections.get(connection.name) is connection:
            self._on_status(self._status(connection))

    def _status(self, connection: McpConnection) -> McpServerStatus:
        names = [t.qualified_name for t in self.tools().values() if t.server == connection.name]
        return McpServerStatus(
            name=connection.name,
            state=connection.state.value,
            reason=connection.reason,
            tools=names,
        )

    def statuses(self) -> list[McpServerStatus]:
        """Every configured server's state."""
        return [self._status(c) for c in self._connections.values()]

    def tools(self) -> dict[str, McpTool]:
        """The tools of the servers that started at least once, by the name the model calls
        them with."""
        if self._tools is None:
            pairs: list[tuple[str, ToolInfo]] = []
            for connection in self._connections.values():
                if connection.stopped:
                    continue  # a failed server keeps its tools: calling one restarts it
                cfg = connection.config
                for tool in connection.tools:
                    if cfg.enabled_tools is not None and tool.name not in cfg.enabled_tools:
                        continue
                    if tool.name in cfg.disabled_tools:
                        continue
                    pairs.append((connection.name, tool))
            names = assign_names([(server, tool.name) for server, tool in pairs])
            self._tools = {
                name: McpTool(name, server, tool, clean_schema(tool.input_schema))
                for name, (server, tool) in zip(names, pairs, strict=True)
            }
        return self._tools

    def prompts(self) -> dict[str, McpPrompt]:
        """The prompts of the servers that started at least once, by their slash command (no
        slash), in config order."""
        pairs = [
            (c.name, prompt)
            for c in self._connections.values()
            if not c.stopped
            for prompt in c.prompts
        ]
        names = assign_names([(server, prompt.name) for server, prompt in pairs])
        return {
            f"{PROMPT_PREFIX}{name}": McpPrompt(f"{PROMPT_PREFIX}{name}", server, prompt)
            for name, (server, prompt) in zip(names, pairs, strict=True)
        }

    def has_resources(self) -> bool:
        """True when a ready server offers resources."""
        return any(not c.stopped and c.has_resources for c in self._connections.values())

    def connection(self, server: str) -> McpConnection:
        """The server named ``server``; :class:`McpError` lists the known ones."""
        connection = self._connections.get(server)
        if connection is None:
            raise McpError(self._unknown(server))
        return connection

    def restart(self, server: str) -> None:
        """Stop ``server`` and start it again now, whatever its backoff (a user asked), in the
        background: its states follow as status changes. :class:`ProtocolError` lists the
        known names."""
        connection = self._connections.get(server)
        if connection is None:
            raise ProtocolError(self._unknown(server))
        self._settled.clear()
        self._spawn(connection.restart(), f"mcp-restart-{server}")

    def _unknown(self, server: str) -> str:
        known = ", ".join(self._connections) or "none"
        return f"no MCP server named {server!r} (configured: {known})"

    async def shutdown(self) -> None:
        """Stop every server, those a reload removed and still stopping too (their process
        is reaped, not left to the garbage collector). Starts under way are abandoned."""
        for task in list(self._starting):
            task.cancel()
        stopping = [*self._connections.values(), *self._retired]
        await asyncio.gather(*(c.stop() for c in stopping), return_exceptions=True)
        self._connections.clear()
