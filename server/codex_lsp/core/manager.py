"""Creates, finds, forks and removes conversations. Front ends (LSP, exec, MCP server, ACP)
hold one manager and give it, at construction, what they plug in (:class:`FrontEnd`) and where
configuration comes from (:class:`ConfigSources`); the manager never imports a front end. How a
conversation is put together is :mod:`codex_lsp.core.assembly`; how its configuration is
reloaded, :mod:`codex_lsp.core.config_reload`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from codex_lsp.background import create_task
from codex_lsp.config.loader import LoadedConfig, codex_lsp_home
from codex_lsp.config.model import Config, McpServerConfig
from codex_lsp.core.assembly import Assembler, Blueprint, ConfigSources
from codex_lsp.core.config_reload import ConfigReloader
from codex_lsp.core.context import initial_context
from codex_lsp.core.conversation import Conversation
from codex_lsp.core.journal import Journal
from codex_lsp.core.observers import Observer, Observers
from codex_lsp.core.seams import FrontEnd
from codex_lsp.core.supervisor import CommandRouter
from codex_lsp.errors import CodexError, UnknownConversationError
from codex_lsp.mcp.manager import McpManager
from codex_lsp.protocol.conversations import (
    ConversationInfo,
    ConversationSummary,
    ListConversationsParams,
    ListConversationsResult,
    NewConversationParams,
    ResumeConversationResult,
)
from codex_lsp.protocol.items import McpServerStatus, TokenUsage
from codex_lsp.protocol.ops import ShutdownOp
from codex_lsp.store.conversations import ConversationStore
from codex_lsp.store.records import ConversationRow, StoredConversation
from codex_lsp.tools.mcp_tools import McpToolSource
from codex_lsp.tools.registry import ToolRegistry

SHUTDOWN_WAIT_S = 15.0
SHUTDOWN_WORK_SHARE = 2 / 3  # conversations and MCP servers; the store gets the rest

log = logging.getLogger(__name__)


class ConversationManager:
    """All conversations of one server process, and the store they live in."""

    def __init__(
        self,
        front_end: FrontEnd,
        sources: ConfigSources | None = None,
        *,
        router: Callable[[ConversationManager], CommandRouter] | None = None,
    ) -> None:
        """``router`` builds the router of the commands a layer above the core carries out
        when they are typed as a message (spec-kit's ``/speckit.*``)."""
        sources = sources or ConfigSources()
        self._front_end = front_end
        self._sources = replace(sources, home=sources.home or codex_lsp_home())
        self._conversations: dict[str, Conversation] = {}
        self._observers = Observers(front_end.sink)
        self._reloader = ConfigReloader(
            self._sources, self._conversations, front_end.on_config_error, self._reconcile_mcp
        )
        self._store: ConversationStore | None = None
        self._store_lock = asyncio.Lock()
        self.mcp = McpManager(on_status=self._mcp_status)
        mcp_tools = McpToolSource(self.mcp)
        self.mcp.elicit = mcp_tools.elicit
        self._assembler = Assembler(front_end, self._observers.deliver, self._sources, mcp_tools)
        self._mcp_configured = False
        self._closing: asyncio.Future[None] | None = None
        self._client_mcp: dict[str, McpServerConfig] = {}
        self._router = router(self) if router is not None else None

    @property
    def home(self) -> Path:
        """The codex-lsp home (user config, prompt history, the default store)."""
        return self._sources.home or codex_lsp_home()

    @property
    def default_cwd(self) -> Path | None:
        """The workspace folder new conversations start in (the LSP root), if one was given."""
        return self._sources.default_cwd

    def _mcp_status(self, status: McpServerStatus) -> None:
        if self._front_end.on_mcp_status is not None:
            self._front_end.on_mcp_status(status)

    def observe(self, conversation_id: str, observer: Observer) -> Callable[[], None]:
        """Send ``observer`` every event of the live conversation ``conversation_id`` from now
        on, in-process and after the front end's sink, until the returned function is called
        or the conversation shuts down. :class:`UnknownConversationError` when it is not
        live. An observer that raises is logged; it must not block (it runs on the loop)."""
        self.get(conversation_id)
        return self._observers.add(conversation_id, observer)

    def start_mcp(self, config: Config | None = None) -> list[str]:
        """Start (or, on reload, reconcile) the ``[mcp_servers]`` of the server-wide config in
        the background; returns the names being started."""
        self._mcp_configured = True
        config = config or self.load_config(NewConversationParams()).config
        return self.mcp.configure({**config.mcp_servers, **self._client_mcp})

    def _reconcile_mcp(self) -> None:
        """On reload: MCP servers whose entries changed are restarted; the others keep
        running."""
        if self._mcp_configured:
            with contextlib.suppress(CodexError):
                self.start_mcp()

    def add_mcp_servers(self, servers: dict[str, McpServerConfig]) -> list[str]:
        """Add servers a client brought (ACP ``mcpServers``) to the configured ones, merged by
        name (a client's entry replaces a configured one of that name); they stay across
        config reloads. Returns the names being (re)started."""
        if not servers:
            return []
        self._client_mcp.update(servers)
        config = self.load_config(NewConversationParams()).config
        return self.start_mcp(config)

    async def store(self) -> ConversationStore:
        """The conversation store, opened on first use at ``state_db`` (from flags, the
        environment or the user's config) or ``$CODEX_LSP_HOME/state.db``."""
        async with self._store_lock:
            if self._store is None:
                config = self.load_config(NewConversationParams()).config
                path = config.state_db or self.home / "state.db"
                self._store = await ConversationStore.open(path.expanduser())
            return self._store

    def get(self, conversation_id: str) -> Conversation:
        """The live conversation, or :class:`UnknownConversationError`."""
        conv = self._conversations.get(conversation_id)
        if conv is None or conv.closed:
            raise UnknownConversationError(conversation_id)
        return conv

    def live(self) -> list[Conversation]:
        """The conversations open in this process."""
        return [c for c in self._conversations.values() if not c.closed]

    def load_config(self, params: NewConversationParams) -> LoadedConfig:
        """The effective config for a new conversation: request fields and flags over editor
        settings over environment over profile over workspace file over user file."""
        return self._sources.load(self._sources.inputs(params))

    async def _build(self, blueprint: Blueprint) -> Conversation:
        conv = await self._assembler.build(blueprint, await self.store())
        self._conversations[conv.id] = conv
        return conv

    async def new_conversation(
        self,
        params: NewConversationParams,
        *,
        observer: Observer | None = None,
        tools: ToolRegistry | None = None,
    ) -> Conversation:
        """Create, store and start a conversation. With ``observer``, the conversation is
        driven by another component (spec-kit's agents): its events, from the first, go to
        ``observer`` only, not to the front end, and it routes no typed commands; it is stored
        like any other, and an ordinary conversation once resumed. ``tools`` replaces the
        tools it would get (the built-in ones and the MCP servers')."""
        loaded = self.load_config(params)
        if not self._mcp_configured:
            self.start_mcp()
        conv = await self._build(
            Blueprint(
                loaded.config,
                params.cwd,
                params.base_instructions,
                journal=lambda cid, store: Journal(store, cid),
                router=None if observer is not None else self._router,
                tools=tools,
            )
        )
        if observer is not None:
            self._observers.add(conv.id, observer, private=True)
        self._reloader.track(conv.id, self._sources.inputs(params))
        # AGENTS.md files and skills are read on a worker thread: the loop keeps serving
        opening = await asyncio.to_thread(initial_context, conv.ctx, conv.config, conv.parts.home)
        conv.start(warnings=loaded.warnings, opening=opening)
        self._reloader.watch()
        return conv

    def _stored_config(self, row: ConversationRow) -> tuple[LoadedConfig, NewConversationParams]:
        """The config a stored conversation continues with: today's settings for its folder,
        with the model and provider it was using."""
        params = NewConversationParams(cwd=row.cwd, model=row.model, model_provider=row.provider)
        return self.load_config(params), params

    def update_editor_settings(self, settings: dict[str, Any]) -> None:
        """New editor settings (``workspace/didChangeConfiguration``): reload what uses them."""
        self._sources.editor_settings = dict(settings)
        self._reloader.schedule()

    async def reload_configs(self) -> None:
        """Re-read every live conversation's configuration now (what a watched file's change
        does in the background): see :class:`ConfigReloader`."""
        await self._reloader.reload()

    async def resume(self, conversation_id: str) -> ResumeConversationResult:
        """Bring a stored conversation back (or reattach to a live one): the model history is
        rebuilt from the store, turns a crash left running are marked aborted, and every stored
        event is returned so a client can redraw the conversation."""
        store = await self.store()
        conv = self._conversations.get(conversation_id)
        if conv is not None and not conv.closed:
            await conv.journal.durable()
            stored = await store.load(conversation_id)
        else:
            await store.claim(conversation_id)
            await store.recover(conversation_id)
            stored = await store.load(conversation_id)
            conv = await self._revive(stored)
        return ResumeConversationResult(
            **info(conv).model_dump(),
            initial_messages=stored.event_objects(),
            undoable_turn_ids=conv.snapshots.turn_ids(),
        )

    async def _revive(self, stored: StoredConversation) -> Conversation:
        row = stored.row
        loaded, params = self._stored_config(row)
        has_user_message = bool(row.preview)
        conv = await self._build(
            Blueprint(
                loaded.config,
                row.cwd,
                row.base_instructions,
                journal=lambda cid, store: Journal(
                    store,
                    cid,
                    epoch=row.epoch,
                    persisted=len(stored.history),
                    next_event_seq=stored.next_event_seq,
                    has_preview=has_user_message,
                ),
                conversation_id=row.id,
                forked_from=row.forked_from,
                router=self._router,
            )
        )
        conv.turn_ids.update(t.turn_id for t in stored.turns)
        conv.snapshots.seed(stored.snapshots)
        if row.total_usage:
            conv.count_stored_usage(TokenUsage.model_validate(row.total_usage))
        self._reloader.track(conv.id, self._sources.inputs(params))
        conv.start(seed=stored.history, warnings=loaded.warnings, resumed=True)
        self._reloader.watch()
        return conv

    async def fork(self, conversation_id: str, turn_id: str | None) -> Conversation:
        """A new conversation with the history of ``conversation_id`` (live or stored) as it
        was when ``turn_id`` ended (all of it when None)."""
        store = await self.store()
        source = self._conversations.get(conversation_id)
        if source is not None:
            await source.journal.durable()
        stored = await store.load(conversation_id, up_to_turn=turn_id)
        if source is not None and not source.closed:
            config, cwd, params = source.config, source.ctx.cwd, None
        else:
            loaded, params = self._stored_config(stored.row)
            config, cwd = loaded.config, stored.row.cwd
        conv = await self._build(
            Blueprint(
                config,
                cwd,
                stored.row.base_instructions,
                journal=lambda cid, s: Journal(s, cid),
                forked_from=conversation_id,
                router=self._router,
            )
        )
        copied = [t.turn_id for t in stored.turns]
        conv.turn_ids.update(copied[: copied.index(turn_id) + 1] if turn_id else copied)
        if source is not None and not source.closed:
            conv.ctx = source.ctx
            inputs = self._reloader.inputs(conversation_id)
            if inputs is not None:
                self._reloader.track(conv.id, inputs)
        elif params is not None:
            self._reloader.track(conv.id, self._sources.inputs(params))
        conv.start(seed=list(stored.history), seed_events=stored.events)
        return conv

    async def list_conversations(self, params: ListConversationsParams) -> ListConversationsResult:
        """Stored conversations, most recently updated first, paged by cursor."""
        store = await self.store()
        cwd = None
        if not params.all_workspaces:
            cwd = self._sources.workspace(params.cwd)
        page = await store.list_page(
            cwd=cwd, archived=params.archived, cursor=params.cursor, page_size=params.page_size
        )
        return ListConversationsResult(
            items=[self._summary(row) for row in page.rows], next_cursor=page.next_cursor
        )

    def _summary(self, row: ConversationRow) -> ConversationSummary:
        live = self._conversations.get(row.id)
        return ConversationSummary(
            conversation_id=row.id,
            model=row.model,
            model_provider=row.provider,
            cwd=row.cwd,
            forked_from_id=row.forked_from,
            title=row.title or "(no messages yet)",
            preview=row.preview,
            created_at=row.created_at,
            updated_at=row.updated_at,
            turn_count=row.turn_count,
            archived=row.archived,
            running=live is not None and not live.closed and live.running,
        )

    async def _close(self, conversation_id: str) -> None:
        conv = self._conversations.pop(conversation_id, None)
        self._reloader.forget(conversation_id)
        if conv is not None:
            await self._shutdown(conv)
        self._observers.forget(conversation_id)  # after: its last events stay private too

    async def archive(self, conversation_id: str, archived: bool = True) -> None:
        """Shut a conversation down and hide it from the default list (or bring it back)."""
        store = await self.store()
        await store.get(conversation_id)
        if archived:
            await self._close(conversation_id)
        await store.set_archived(conversation_id, archived)

    async def rename(self, conversation_id: str, title: str) -> None:
        """Set a conversation's title."""
        await (await self.store()).rename(conversation_id, title)

    async def delete(self, conversation_id: str) -> None:
        """Shut a conversation down and delete it from the store."""
        store = await self.store()
        await store.get(conversation_id)
        await self._close(conversation_id)
        await store.delete(conversation_id)

    async def _shutdown(self, conv: Conversation, limit_s: float = SHUTDOWN_WAIT_S) -> None:
        if conv.closed:
            return
        conv.submit(ShutdownOp())
        with contextlib.suppress(TimeoutError):
            await conv.wait_closed(limit_s)

    async def shutdown_all(self, timeout_s: float = SHUTDOWN_WAIT_S) -> None:
        """Shut every conversation down (server exit) and stop the MCP servers, then close
        the store, all within ``timeout_s``: a step that overruns its share is abandoned with
        a warning. A call while one runs (a ``shutdown`` racing with the end of input) waits
        for it instead of closing the store twice, which would never return."""
        if self._closing is None or self._closing.done():
            self._closing = create_task(self._close_all(timeout_s), name="manager-shutdown")
        await asyncio.shield(self._closing)

    async def _close_all(self, timeout_s: float) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        self._reloader.stop()
        limit = timeout_s * SHUTDOWN_WORK_SHARE
        work = asyncio.gather(
            *(self._shutdown(c, limit) for c in list(self._conversations.values())),
            self.mcp.shutdown(),
            return_exceptions=True,
        )
        try:
            await asyncio.wait_for(work, limit)
        except TimeoutError:
            log.warning("conversations and MCP servers did not stop within %.1f s", limit)
        store, self._store = self._store, None
        if store is not None:
            left = max(deadline - loop.time(), 0.0)
            try:
                await asyncio.wait_for(store.close(), left)
            except TimeoutError:
                log.warning("the conversation store did not close within %.1f s", left)


def info(conv: Conversation) -> ConversationInfo:
    """The public description of ``conv``."""
    return ConversationInfo(
        conversation_id=conv.id,
        model=conv.ctx.model,
        model_provider=conv.ctx.provider_id,
        cwd=conv.ctx.cwd,
        forked_from_id=conv.forked_from,
    )
