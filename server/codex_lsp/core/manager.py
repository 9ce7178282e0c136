"""Creates, finds, forks and removes conversations. Front ends (LSP, exec, MCP server) hold one
manager and give it one event sink; the manager never imports a front end."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from codex_lsp.config.layers import leaves
from codex_lsp.config.loader import LoadedConfig, codex_lsp_home, load_layered
from codex_lsp.config.model import Config, ToolsConfig, WireApi
from codex_lsp.config.overrides import ConfigOverrides
from codex_lsp.core.config_watch import ConfigWatcher
from codex_lsp.core.conversation import (
    SESSION_SUBMISSION_ID,
    ApprovalHandler,
    Conversation,
    EventSink,
    deny_all_approvals,
)
from codex_lsp.core.model_info import context_window
from codex_lsp.core.prompts import load_prompt
from codex_lsp.core.turn_context import TurnContext
from codex_lsp.errors import CodexError, ProtocolError, UnknownConversationError
from codex_lsp.protocol.events import ConfigReloadedEvent, ErrorEvent, UserMessageEvent
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
from codex_lsp.providers.registry import ResolvedProvider, create_client, resolve_provider
from codex_lsp.tools import apply_patch, plan, read_only, shell, view_image
from codex_lsp.tools.files import DiskSink, FileSink
from codex_lsp.tools.registry import ToolRegistry

SHUTDOWN_WAIT_S = 15.0


def default_tools(codex_model: bool, config: ToolsConfig | None = None) -> ToolRegistry:
    """The tools a conversation gets. Codex models (gpt-5 on the Responses API) get
    ``apply_patch`` as a freeform grammar tool and no read-only helpers (they use ``shell``);
    others get ``apply_patch`` as a JSON function and the helpers, unless config says otherwise."""
    config = config or ToolsConfig()
    registry = ToolRegistry()
    registry.register(shell.SPEC, shell.handle_shell)
    registry.register(plan.SPEC, plan.handle_update_plan)
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
    """All conversations of one server process."""

    def __init__(
        self,
        sink: EventSink,
        *,
        approvals: ApprovalHandler = deny_all_approvals,
        files: FileSink | None = None,
        cli_overrides: ConfigOverrides | None = None,
        home: Path | None = None,
        default_cwd: Path | None = None,
    ) -> None:
        self._sink = sink
        self._approvals = approvals
        self._files: FileSink = files or DiskSink()
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

    def set_default_cwd(self, cwd: Path) -> None:
        """The workspace folder new conversations start in (the LSP root)."""
        self.default_cwd = cwd

    def get(self, conversation_id: str) -> Conversation:
        """The live conversation, or :class:`UnknownConversationError`."""
        conv = self._conversations.get(conversation_id)
        if conv is None or conv.closed:
            raise UnknownConversationError(conversation_id)
        return conv

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

    async def new_conversation(self, params: NewConversationParams) -> Conversation:
        """Create and start a conversation."""
        loaded = self.load_config(params)
        conv = await self._create(
            loaded.config, params.cwd, params.base_instructions, forked_from=None
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
        forked_from: str | None,
    ) -> Conversation:
        resolved = await resolve_provider(config)
        cwd = (cwd or config.cwd or self.default_cwd or Path.cwd()).resolve()
        if not cwd.is_dir():
            raise ProtocolError(f"cwd {cwd} is not a directory; pass an existing folder as cwd")
        ctx = turn_context(config, resolved, cwd)
        conv = Conversation(
            uuid.uuid4().hex,
            ctx,
            config=config,
            client=create_client(resolved, config),
            provider_info=resolved.info,
            tools=default_tools(takes_freeform_tools(resolved), config.tools),
            sink=self._sink,
            approvals=self._approvals,
            files=self._files,
            base_instructions=base_instructions
            or config.base_instructions
            or load_prompt("base_instructions"),
            home=self.home,
            forked_from=forked_from,
        )
        self._conversations[conv.id] = conv
        return conv

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
        turn and say so, or keep the old one and say why."""
        for conversation_id, (overrides, workspace) in list(self._sources.items()):
            conv = self._conversations.get(conversation_id)
            if conv is None or conv.closed:
                continue
            try:
                loaded = load_layered(
                    overrides, home=self.home, workspace=workspace, editor=self.editor_settings
                )
                resolved = await resolve_provider(loaded.config)
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
            note = ""
            if resolved.provider_id != conv.ctx.provider_id:
                note = "; a different provider applies to new conversations only"
                ctx = None
            else:
                ctx = turn_context(loaded.config, resolved, conv.ctx.cwd)
            conv.apply_config(loaded.config, ctx)
            conv.emit(
                SESSION_SUBMISSION_ID,
                ConfigReloadedEvent(
                    changed_keys=changed,
                    message=f"configuration reloaded: {', '.join(changed)}{note}",
                ),
            )

    async def fork(self, conversation_id: str, turn_id: str | None) -> Conversation:
        """A new conversation with the history of ``conversation_id`` up to ``turn_id``."""
        source = self.get(conversation_id)
        history_len, events_len = len(source.history), len(source.events)
        if turn_id is not None:
            record = next((t for t in source.turns if t.turn_id == turn_id), None)
            if record is None:
                raise ProtocolError(
                    f"turn {turn_id!r} is not a finished turn of conversation {conversation_id}"
                )
            history_len, events_len = record.history_len, record.events_len
        conv = await self._create(
            source.config, source.ctx.cwd, source.base_instructions, forked_from=source.id
        )
        conv.ctx = source.ctx
        conv.start(
            seed=list(source.history[:history_len]), seed_events=list(source.events[:events_len])
        )
        return conv

    def resume(self, conversation_id: str) -> ResumeConversationResult:
        """Everything a client needs to redraw a live conversation."""
        conv = self.get(conversation_id)
        return ResumeConversationResult(
            **info(conv).model_dump(), initial_messages=[m.to_wire() for m in conv.events]
        )

    def list(self, params: ListConversationsParams) -> ListConversationsResult:
        """Live conversations, newest first, paged."""
        rows = sorted(
            (
                c
                for c in self._conversations.values()
                if not c.closed and (params.cwd is None or c.ctx.cwd == params.cwd.resolve())
            ),
            key=lambda c: (c.updated_at, c.id),
            reverse=True,
        )
        start = 0
        if params.cursor:
            ids = [c.id for c in rows]
            if params.cursor not in ids:
                raise ProtocolError(
                    f"cursor {params.cursor!r} is no longer valid; list again without a cursor"
                )
            start = ids.index(params.cursor) + 1
        page = rows[start : start + params.page_size]
        more = start + params.page_size < len(rows)
        return ListConversationsResult(
            items=[_summary(c) for c in page], next_cursor=page[-1].id if more and page else None
        )

    async def archive(self, conversation_id: str) -> None:
        """Shut a conversation down and drop it."""
        conv = self.get(conversation_id)
        await self._shutdown(conv)
        self._conversations.pop(conversation_id, None)

    async def _shutdown(self, conv: Conversation) -> None:
        if conv.closed:
            return
        conv.submit(ShutdownOp())
        with contextlib.suppress(TimeoutError):
            await conv.wait_closed(SHUTDOWN_WAIT_S)

    async def shutdown_all(self) -> None:
        """Shut every conversation down (server exit) and stop watching config files."""
        if self._watcher is not None:
            self._watcher.stop()
        await asyncio.gather(*(self._shutdown(c) for c in list(self._conversations.values())))


def info(conv: Conversation) -> ConversationInfo:
    """The public description of ``conv``."""
    return ConversationInfo(
        conversation_id=conv.id,
        model=conv.ctx.model,
        model_provider=conv.ctx.provider_id,
        cwd=conv.ctx.cwd,
        forked_from_id=conv.forked_from,
    )


def _summary(conv: Conversation) -> ConversationSummary:
    first = next((e.message for e in conv.events if isinstance(e, UserMessageEvent)), "")
    return ConversationSummary(
        **info(conv).model_dump(),
        preview=first[:200],
        turn_count=len(conv.turns),
        running=conv.running,
    )
