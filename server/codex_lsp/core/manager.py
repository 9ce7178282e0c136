"""Creates, finds, forks and removes conversations. Front ends (LSP, exec, MCP server) hold one
manager and give it one event sink; the manager never imports a front end."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from codex_lsp.config.layers import leaves
from codex_lsp.config.loader import LoadedConfig, codex_lsp_home, load_layered
from codex_lsp.config.model import Config, McpServerConfig, ToolsConfig, WireApi
from codex_lsp.config.overrides import ConfigOverrides
from codex_lsp.core.config_watch import ConfigWatcher
from codex_lsp.core.conversation import (
    SESSION_SUBMISSION_ID,
    ApprovalHandler,
    CommandRouter,
    Conversation,
    EventSink,
    UrlOpener,
    UserInputHandler,
    deny_all_approvals,
    no_url_opener,
    no_user_input,
)
from codex_lsp.core.journal import Journal
from codex_lsp.core.model_info import context_window
from codex_lsp.core.prompts import load_prompt
from codex_lsp.core.turn_context import TurnContext, existing_folder
from codex_lsp.errors import CodexError, ProtocolError, UnknownConversationError
from codex_lsp.mcp.manager import McpManager
from codex_lsp.protocol.events import ConfigReloadedEvent, ErrorEvent, EventEnvelope
from codex_lsp.protocol.items import McpServerStatus, TokenUsage
from codex_lsp.protocol.limits import NAME_MAX_CHARS
from codex_lsp.protocol.ops import ShutdownOp
from codex_lsp.protocol.policies import WorkspaceWrite, sandbox_policy_for_mode
from codex_lsp.protocol.requests import (
    ConversationInfo,
    ConversationSummary,
    ListConversationsParams,
    ListConversationsResult,
    NewConversationParams,
    ResumeConversationResult,
)
from codex_lsp.providers.registry import (
    ResolvedProvider,
    check_provider,
    create_client,
    resolve_provider,
)
from codex_lsp.store.conversations import ConversationRow, ConversationStore, StoredConversation
from codex_lsp.tools import apply_patch, plan, read_only, shell, user_input, view_image
from codex_lsp.tools.commands import CommandRunner, run_locally
from codex_lsp.tools.files import DiskSink, FileSink
from codex_lsp.tools.mcp_tools import McpToolSource
from codex_lsp.tools.registry import ToolRegistry

SHUTDOWN_WAIT_S = 15.0
SHUTDOWN_WORK_SHARE = 2 / 3  # conversations and MCP servers; the store gets the rest

log = logging.getLogger(__name__)

Observer = Callable[[EventEnvelope], None]
"""Sees one conversation's events (:meth:`ConversationManager.observe`)."""


def default_tools(codex_model: bool, config: ToolsConfig | None = None) -> ToolRegistry:
    """The tools a conversation gets. Codex models (gpt-5 on the Responses API) get
    ``apply_patch`` as a freeform grammar tool and no read-only helpers (they use ``shell``);
    others get ``apply_patch`` as a JSON function and the helpers, unless config says otherwise."""
    config = config or ToolsConfig()
    registry = ToolRegistry()
    registry.register(shell.SPEC, shell.handle_shell)
    registry.register(plan.SPEC, plan.handle_update_plan)
    registry.register(user_input.SPEC, user_input.handle_request_user_input)
    patch_spec = apply_patch.FREEFORM_SPEC if codex_model else apply_patch.FUNCTION_SPEC
    registry.register(patch_spec, apply_patch.handle_apply_patch)
    if config.view_image:
        registry.register(view_image.SPEC, view_image.handle_view_image)
    helpers = config.read_only_helpers if config.read_only_helpers is not None else not codex_model
    if helpers:
        registry.register(read_only.READ_FILE, read_only.handle_read_file)
        registry.register(read_only.LIST_DIR, read_only.handle_list_dir)
        registry.register(read_only.GREP_FILES, read_only.handle_grep_files)
    return registry


def takes_freeform_tools(resolved: ResolvedProvider) -> bool:
    """Custom (grammar) tools exist only on the Responses API, for the gpt-5 family."""
    return resolved.info.wire_api is WireApi.RESPONSES and resolved.model.startswith("gpt-5")


def _request_overrides(params: NewConversationParams) -> ConfigOverrides:
    fields: dict[str, Any] = {
        "model": params.model,
        "model_provider": params.model_provider,
        "approval_policy": params.approval_policy.value if params.approval_policy else None,
        "sandbox_mode": params.sandbox.value if params.sandbox else None,
        "model_reasoning_effort": params.reasoning_effort.value
        if params.reasoning_effort
        else None,
        "model_reasoning_summary": params.reasoning_summary.value
        if params.reasoning_summary
        else None,
    }
    overrides = {k: v for k, v in fields.items() if v is not None}
    overrides.update(params.config or {})
    return overrides


def turn_context(config: Config, resolved: ResolvedProvider, cwd: Path) -> TurnContext:
    """The settings turns run with, from a config and the provider it resolved to."""
    policy = sandbox_policy_for_mode(config.sandbox_mode)
    if isinstance(policy, WorkspaceWrite):
        ws = config.sandbox_workspace_write
        policy = WorkspaceWrite(
            writable_roots=ws.writable_roots,
            network_access=ws.network_access,
            exclude_tmpdir_env_var=ws.exclude_tmpdir_env_var,
            exclude_slash_tmp=ws.exclude_slash_tmp,
        )
    return TurnContext(
        model=resolved.model,
        provider_id=resolved.provider_id,
        cwd=cwd,
        approval_policy=config.approval_policy,
        sandbox_policy=policy,
        effort=config.model_reasoning_effort,
        summary=config.model_reasoning_summary,
        model_context_window=context_window(resolved.model, config.model_context_window),
    )


class ConversationManager:
    """All conversations of one server process, and the store they live in."""

    def __init__(
        self,
        sink: EventSink,
        *,
        approvals: ApprovalHandler = deny_all_approvals,
        files: FileSink | None = None,
        files_for: Callable[[str], FileSink] | None = None,
        commands_for: Callable[[str], CommandRunner] | None = None,
        cli_overrides: ConfigOverrides | None = None,
        home: Path | None = None,
        default_cwd: Path | None = None,
        router: Callable[[ConversationManager], CommandRouter] | None = None,
        user_input: UserInputHandler = no_user_input,
        open_url: UrlOpener = no_url_opener,
    ) -> None:
        """``files`` is where every conversation's edits go (the disk by default);
        ``files_for`` and ``commands_for``, when given, make one file sink and one command
        runner per conversation id (front ends whose file access and terminals belong to a
        session, like ACP). ``router`` builds the router of the commands a layer above the
        core carries out when they are typed as a message (spec-kit's ``/speckit.*``)."""
        self._sink = sink
        self._observers: dict[str, list[Observer]] = {}
        self._private: set[str] = set()
        self._approvals = approvals
        self._user_input = user_input
        self._open_url = open_url
        shared: FileSink = files or DiskSink()
        self._files_for = files_for or (lambda _: shared)
        self._commands_for = commands_for or (lambda _: run_locally)
        self._cli_overrides = dict(cli_overrides or {})
        self.home = home or codex_lsp_home()
        self.default_cwd = default_cwd
        self.editor_settings: dict[str, Any] = {}
        self._conversations: dict[str, Conversation] = {}
        self._sources: dict[str, tuple[ConfigOverrides, Path]] = {}
        self.watch_config = False
        self.on_config_error: Callable[[str], None] | None = None
        self._watcher: ConfigWatcher | None = None
        self._reloads: set[asyncio.Task[None]] = set()
        self._store: ConversationStore | None = None
        self._store_lock = asyncio.Lock()
        self.on_mcp_status: Callable[[McpServerStatus], None] | None = None
        self.mcp = McpManager(on_status=self._mcp_status)
        self._mcp_tools = McpToolSource(self.mcp)
        self.mcp.elicit = self._mcp_tools.elicit
        self._mcp_configured = False
        self._closing: asyncio.Future[None] | None = None
        self._client_mcp: dict[str, McpServerConfig] = {}
        self._router = router(self) if router is not None else None

    def _deliver(self, event: EventEnvelope) -> None:
        """An event to its conversation's observers, then (unless the conversation is private
        to its observer) to the front end."""
        for observer in list(self._observers.get(event.conversation_id, ())):
            try:
                observer(event)
            except Exception:
                log.exception("an observer of conversation %s failed", event.conversation_id)
        if event.conversation_id not in self._private:
            self._sink(event)

    def observe(self, conversation_id: str, observer: Observer) -> Callable[[], None]:
        """Call ``observer`` with every later event of ``conversation_id`` (the front end still
        gets them); returns the function that stops it."""
        self._observers.setdefault(conversation_id, []).append(observer)

        def stop() -> None:
            observers = self._observers.get(conversation_id, [])
            if observer in observers:
                observers.remove(observer)
            if not observers:
                self._observers.pop(conversation_id, None)

        return stop

    def _mcp_status(self, status: McpServerStatus) -> None:
        if self.on_mcp_status is not None:
            self.on_mcp_status(status)

    def start_mcp(self, config: Config | None = None) -> list[str]:
        """Start (or, on reload, reconcile) the ``[mcp_servers]`` of the server-wide config in
        the background; returns the names being started."""
        self._mcp_configured = True
        config = config or self.load_config(NewConversationParams()).config
        return self.mcp.configure({**config.mcp_servers, **self._client_mcp})

    def add_mcp_servers(self, servers: dict[str, McpServerConfig]) -> list[str]:
        """Add servers a client brought (ACP ``mcpServers``) to the configured ones, merged by
        name (a client's entry replaces a configured one of that name); they stay across
        config reloads. Returns the names being (re)started."""
        if not servers:
            return []
        self._client_mcp.update(servers)
        config = self.load_config(NewConversationParams()).config
        return self.start_mcp(config)

    def set_default_cwd(self, cwd: Path) -> None:
        """The workspace folder new conversations start in (the LSP root)."""
        self.default_cwd = cwd

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

    def _config_inputs(self, params: NewConversationParams) -> tuple[ConfigOverrides, Path]:
        overrides = {**self._cli_overrides, **_request_overrides(params)}
        return overrides, (params.cwd or self.default_cwd or Path.cwd()).resolve()

    def load_config(self, params: NewConversationParams) -> LoadedConfig:
        """The effective config for a new conversation: request fields and flags over editor
        settings over environment over profile over workspace file over user file."""
        overrides, workspace = self._config_inputs(params)
        return load_layered(
            overrides, home=self.home, workspace=workspace, editor=self.editor_settings
        )

    async def new_conversation(
        self, params: NewConversationParams, *, observer: Observer | None = None
    ) -> Conversation:
        """Create, store and start a conversation. With ``observer``, the conversation is
        driven by another component (spec-kit's agents): its events, from the first, go to
        ``observer`` only, not to the front end, and it routes no typed commands; it is stored
        like any other, and an ordinary conversation once resumed."""
        loaded = self.load_config(params)
        if not self._mcp_configured:
            self.start_mcp()
        conv = await self._create(
            loaded.config,
            params.cwd,
            params.base_instructions,
            journal=lambda cid, store: Journal(store, cid),
            observer=observer,
        )
        self._sources[conv.id] = self._config_inputs(params)
        conv.start(warnings=loaded.warnings)
        self._watch()
        return conv

    async def _create(
        self,
        config: Config,
        cwd: Path | None,
        base_instructions: str | None,
        *,
        journal: Callable[[str, ConversationStore], Journal],
        conversation_id: str | None = None,
        forked_from: str | None = None,
        observer: Observer | None = None,
    ) -> Conversation:
        store = await self.store()
        resolved = await resolve_provider(config)
        if len(resolved.model) > NAME_MAX_CHARS:  # however it was set (a request's config too)
            raise ProtocolError(
                f"the model name has {len(resolved.model)} characters; at most {NAME_MAX_CHARS}"
                " are accepted"
            )
        cwd = existing_folder(cwd or config.cwd or self.default_cwd or Path.cwd())
        ctx = turn_context(config, resolved, cwd)
        conversation_id = conversation_id or uuid.uuid4().hex
        if observer is not None:
            self._private.add(conversation_id)
            self.observe(conversation_id, observer)
        conv = Conversation(
            conversation_id,
            ctx,
            config=config,
            client=create_client(resolved, config),
            provider_info=resolved.info,
            tools=self._tools_for(resolved, config),
            sink=self._deliver,
            approvals=self._approvals,
            user_input=self._user_input,
            open_url=self._open_url,
            files=self._files_for(conversation_id),
            commands=self._commands_for(conversation_id),
            base_instructions=base_instructions
            or config.base_instructions
            or load_prompt("base_instructions"),
            home=self.home,
            journal=journal(conversation_id, store),
            forked_from=forked_from,
            router=None if observer is not None else self._router,
        )
        self._conversations[conv.id] = conv
        return conv

    def _tools_for(self, resolved: ResolvedProvider, config: Config) -> ToolRegistry:
        registry = default_tools(takes_freeform_tools(resolved), config.tools)
        registry.add_source(self._mcp_tools)
        return registry

    def _stored_config(self, row: ConversationRow) -> tuple[LoadedConfig, NewConversationParams]:
        """The config a stored conversation continues with: today's settings for its folder,
        with the model and provider it was using."""
        params = NewConversationParams(cwd=row.cwd, model=row.model, model_provider=row.provider)
        return self.load_config(params), params

    def _watch(self) -> None:
        """Watch the config files of live conversations (language server only)."""
        if not self.watch_config:
            return
        if self._watcher is None:
            self._watcher = ConfigWatcher(self._schedule_reload)
        files = {self.home / "config.toml", Path.home() / ".codex" / "config.toml"}
        files |= {
            workspace / ".codex-lsp" / "config.toml" for _, workspace in self._sources.values()
        }
        self._watcher.watch(files)

    def update_editor_settings(self, settings: dict[str, Any]) -> None:
        """New editor settings (``workspace/didChangeConfiguration``): reload what uses them."""
        self.editor_settings = dict(settings)
        self._schedule_reload()

    def _schedule_reload(self) -> None:
        task = asyncio.create_task(self.reload_configs())
        self._reloads.add(task)
        task.add_done_callback(self._reloads.discard)

    async def reload_configs(self) -> None:
        """Re-read every live conversation's configuration; apply what changed from the next
        turn and say so, or keep the old one and say why. MCP servers whose entries changed
        are restarted; the others keep running."""
        if self._mcp_configured:
            with contextlib.suppress(CodexError):
                self.start_mcp()
        for conversation_id, (overrides, workspace) in list(self._sources.items()):
            conv = self._conversations.get(conversation_id)
            if conv is None or conv.closed:
                continue
            try:
                loaded = load_layered(
                    overrides, home=self.home, workspace=workspace, editor=self.editor_settings
                )
                resolved = await resolve_provider(loaded.config)
                check_provider(resolved)
            except CodexError as exc:
                message = (
                    "the configuration was not reloaded (the previous one stays in effect): "
                    f"{exc.message}"
                )
                conv.emit(SESSION_SUBMISSION_ID, ErrorEvent(message=message))
                if self.on_config_error is not None:
                    self.on_config_error(message)
                continue
            before = leaves(conv.config.model_dump(mode="json"))
            after = leaves(loaded.config.model_dump(mode="json"))
            changed = sorted(
                k for k in before.keys() | after.keys() if before.get(k) != after.get(k)
            )
            if not changed:
                continue
            note, ctx = "", None
            if resolved.provider_id != conv.ctx.provider_id:
                note = "; a different provider applies to new conversations only"
            else:
                ctx = turn_context(loaded.config, resolved, conv.ctx.cwd)
                if resolved.info != conv.provider_info:
                    entry = f"[model_providers.{resolved.provider_id}]"
                    note = f"; the changed {entry} applies to new conversations only"
            conv.apply_config(loaded.config, ctx)
            conv.emit(
                SESSION_SUBMISSION_ID,
                ConfigReloadedEvent(
                    changed_keys=changed,
                    message=f"configuration reloaded: {', '.join(changed)}{note}",
                ),
            )

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
            **info(conv).model_dump(), initial_messages=stored.event_objects()
        )

    async def _revive(self, stored: StoredConversation) -> Conversation:
        row = stored.row
        self._private.discard(row.id)  # a spec-kit agent's conversation, opened by the user
        loaded, params = self._stored_config(row)
        has_user_message = bool(row.preview)
        conv = await self._create(
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
        )
        conv.turn_ids.update(t.turn_id for t in stored.turns)
        if row.total_usage:
            conv.total_usage = TokenUsage.model_validate(row.total_usage)
            conv.add_cost(conv.total_usage, conv.ctx.model)
        self._sources[conv.id] = self._config_inputs(params)
        conv.start(seed=stored.history, warnings=loaded.warnings, resumed=True)
        self._watch()
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
        conv = await self._create(
            config,
            cwd,
            stored.row.base_instructions,
            journal=lambda cid, s: Journal(s, cid),
            forked_from=conversation_id,
        )
        copied = [t.turn_id for t in stored.turns]
        conv.turn_ids.update(copied[: copied.index(turn_id) + 1] if turn_id else copied)
        if source is not None and not source.closed:
            conv.ctx = source.ctx
            self._sources[conv.id] = self._sources[conversation_id]
        elif params is not None:
            self._sources[conv.id] = self._config_inputs(params)
        conv.start(seed=list(stored.history), seed_events=stored.events)
        return conv

    async def list_conversations(self, params: ListConversationsParams) -> ListConversationsResult:
        """Stored conversations, most recently updated first, paged by cursor."""
        store = await self.store()
        cwd = None
        if not params.all_workspaces:
            cwd = (params.cwd or self.default_cwd or Path.cwd()).resolve()
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
        self._sources.pop(conversation_id, None)
        if conv is not None:
            await self._shutdown(conv)
        self._private.discard(conversation_id)
        self._observers.pop(conversation_id, None)

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
            self._closing = asyncio.ensure_future(self._close_all(timeout_s))
        await asyncio.shield(self._closing)

    async def _close_all(self, timeout_s: float) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        if self._watcher is not None:
            self._watcher.stop()
        for reload in list(self._reloads):
            reload.cancel()
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
