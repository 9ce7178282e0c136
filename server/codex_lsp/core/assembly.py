"""Assembling a conversation: its configuration (from the files, flags, editor settings and the
request), the provider and model client it resolves to, its tools, and its place in the store.
The manager decides *when* a conversation is created, resumed or forked; this module *how*."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codex_lsp.config.loader import LoadedConfig, load_layered
from codex_lsp.config.model import Config, ToolsConfig, WebSearchMode, WireApi
from codex_lsp.config.overrides import ConfigOverrides
from codex_lsp.core.conversation import Conversation, ConversationSetup
from codex_lsp.core.journal import Journal
from codex_lsp.core.model_info import context_window
from codex_lsp.core.prompts import load_prompt
from codex_lsp.core.seams import EventSink, FrontEnd, Seams
from codex_lsp.core.supervisor import CommandRouter
from codex_lsp.core.turn_context import TurnContext, existing_folder
from codex_lsp.errors import ProtocolError
from codex_lsp.protocol.conversations import NewConversationParams
from codex_lsp.protocol.limits import NAME_MAX_CHARS
from codex_lsp.protocol.policies import WorkspaceWrite, sandbox_policy_for_mode
from codex_lsp.providers.registry import ResolvedProvider, create_client, resolve_provider
from codex_lsp.store.conversations import ConversationStore
from codex_lsp.tools import specs
from codex_lsp.tools.commands import CommandRunner, run_locally
from codex_lsp.tools.files import DiskSink, FileSink
from codex_lsp.tools.mcp_tools import McpToolSource
from codex_lsp.tools.registry import LazyHandler, ToolRegistry

ConfigInputs = tuple[ConfigOverrides, Path]
"""What a conversation's configuration is read from besides the files: its overrides (flags and
request fields) and its workspace folder. Kept per conversation, so a reload reads it again."""
JournalFactory = Callable[[str, ConversationStore], Journal]
"""Makes the store writer of the conversation with this id."""
_UNIFIED_EXEC = "codex_lsp.tools.unified_exec"
_READ_ONLY = "codex_lsp.tools.read_only"
_WEB = "codex_lsp.tools.web"


def default_tools(
    codex_model: bool, config: ToolsConfig | None = None, hosted_search: bool = False
) -> ToolRegistry:
    """The tools a conversation gets. Codex models (gpt-5 on the Responses API) get
    ``apply_patch`` as a freeform grammar tool, the terminals of ``exec_command`` besides
    ``shell``, and no read-only helpers (they use ``shell``); others get ``apply_patch`` as a
    JSON function and the helpers, unless config says otherwise. ``hosted_search``: the
    provider runs ``web_search`` itself, so the SearXNG one is not offered."""
    config = config or ToolsConfig()
    registry = ToolRegistry()
    registry.register(specs.SHELL, LazyHandler("codex_lsp.tools.shell:handle_shell"))
    terminals = config.unified_exec if config.unified_exec is not None else codex_model
    if terminals:
        registry.register(specs.EXEC_COMMAND, LazyHandler(f"{_UNIFIED_EXEC}:handle_exec_command"))
        registry.register(specs.WRITE_STDIN, LazyHandler(f"{_UNIFIED_EXEC}:handle_write_stdin"))
    registry.register(specs.UPDATE_PLAN, LazyHandler("codex_lsp.tools.plan:handle_update_plan"))
    registry.register(
        specs.REQUEST_USER_INPUT,
        LazyHandler("codex_lsp.tools.user_input:handle_request_user_input"),
    )
    patch_spec = specs.APPLY_PATCH_FREEFORM if codex_model else specs.APPLY_PATCH_FUNCTION
    registry.register(patch_spec, LazyHandler("codex_lsp.tools.apply_patch:handle_apply_patch"))
    if config.view_image:
        registry.register(
            specs.VIEW_IMAGE, LazyHandler("codex_lsp.tools.view_image:handle_view_image")
        )
    helpers = config.read_only_helpers if config.read_only_helpers is not None else not codex_model
    if helpers:
        registry.register(specs.READ_FILE, LazyHandler(f"{_READ_ONLY}:handle_read_file"))
        registry.register(specs.LIST_DIR, LazyHandler(f"{_READ_ONLY}:handle_list_dir"))
        registry.register(specs.GREP_FILES, LazyHandler(f"{_READ_ONLY}:handle_grep_files"))
    if config.fetch_url:
        registry.register(specs.FETCH_URL, LazyHandler(f"{_WEB}:handle_fetch_url"))
    if config.web_search_url and not hosted_search:
        registry.register(
            specs.WEB_SEARCH, LazyHandler(f"{_WEB}:web_search_handler", config.web_search_url)
        )
    return registry


def takes_freeform_tools(resolved: ResolvedProvider) -> bool:
    """Custom (grammar) tools exist only on the Responses API, for the gpt-5 family."""
    return resolved.info.wire_api is WireApi.RESPONSES and resolved.model.startswith("gpt-5")


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


@dataclass
class ConfigSources:
    """Where the manager reads configuration from besides the files: the flags, the codex-lsp
    home, the folder conversations start in, the editor's settings; and whether it watches
    the files of live conversations for changes (the language server does)."""

    cli_overrides: ConfigOverrides = field(default_factory=dict)
    home: Path | None = None
    """``$CODEX_LSP_HOME`` when None."""
    default_cwd: Path | None = None
    """The workspace folder new conversations start in (the LSP root); the process's cwd
    when None."""
    editor_settings: dict[str, Any] = field(default_factory=dict)
    watch: bool = False

    def workspace(self, cwd: Path | None) -> Path:
        """The folder a request's ``cwd`` (or, without one, the default) names."""
        return (cwd or self.default_cwd or Path.cwd()).resolve()

    def inputs(self, params: NewConversationParams) -> ConfigInputs:
        """The overrides and workspace of a new conversation's configuration."""
        return {**self.cli_overrides, **_request_overrides(params)}, self.workspace(params.cwd)

    def load(self, inputs: ConfigInputs) -> LoadedConfig:
        """The effective config: request fields and flags over editor settings over
        environment over profile over workspace file over user file."""
        overrides, workspace = inputs
        return load_layered(
            overrides, home=self.home, workspace=workspace, editor=self.editor_settings
        )


@dataclass(frozen=True)
class Blueprint:
    """What a new, resumed or forked conversation is built from."""

    config: Config
    cwd: Path | None
    base_instructions: str | None
    journal: JournalFactory
    conversation_id: str | None = None
    """A resumed conversation keeps its id; a new one gets a fresh one."""
    forked_from: str | None = None
    router: CommandRouter | None = None
    """Turns a typed command of a layer above the core into its task (none: all to the model)."""
    tools: ToolRegistry | None = None
    """The conversation's tools instead of the built-in ones and the MCP servers'."""


class Assembler:
    """Builds conversations for one manager from its front end's seams."""

    def __init__(
        self, front_end: FrontEnd, sink: EventSink, sources: ConfigSources, mcp_tools: McpToolSource
    ) -> None:
        """``sink`` is where the conversations' events go (the front end's sink and the
        manager's observers)."""
        self._front_end = front_end
        self._sink = sink
        self._sources = sources
        self._mcp_tools = mcp_tools
        shared: FileSink = front_end.files or DiskSink()
        self._files_for = front_end.files_for or (lambda _: shared)
        self._commands_for: Callable[[str], CommandRunner] = front_end.commands_for or (
            lambda _: run_locally
        )

    async def build(self, blueprint: Blueprint, store: ConversationStore) -> Conversation:
        """A conversation (not started yet) on the provider ``blueprint.config`` resolves to,
        in its ``cwd`` (else the config's, else the default one), which must exist."""
        config = blueprint.config
        resolved = await resolve_provider(config)
        if len(resolved.model) > NAME_MAX_CHARS:  # however it was set (a request's config too)
            raise ProtocolError(
                f"the model name has {len(resolved.model)} characters; at most {NAME_MAX_CHARS}"
                " are accepted"
            )
        cwd = existing_folder(
            blueprint.cwd or config.cwd or self._sources.default_cwd or Path.cwd()
        )
        ctx = turn_context(config, resolved, cwd)
        conversation_id = blueprint.conversation_id or uuid.uuid4().hex
        tools = blueprint.tools
        if tools is None:
            hosted = (
                resolved.info.wire_api is WireApi.RESPONSES
                and config.web_search is not WebSearchMode.DISABLED
            )
            tools = default_tools(takes_freeform_tools(resolved), config.tools, hosted)
            tools.add_source(self._mcp_tools)
        seams = Seams(
            client=create_client(resolved, config),
            provider_info=resolved.info,
            tools=tools,
            approvals=self._front_end.approvals,
            files=self._files_for(conversation_id),
            commands=self._commands_for(conversation_id),
            user_input=self._front_end.user_input,
            open_url=self._front_end.open_url,
        )
        setup = ConversationSetup(
            config=config,
            seams=seams,
            sink=self._sink,
            journal=blueprint.journal(conversation_id, store),
            base_instructions=blueprint.base_instructions
            or config.base_instructions
            or load_prompt("base_instructions"),
            home=self._sources.home,
            forked_from=blueprint.forked_from,
            router=blueprint.router,
        )
        return Conversation(conversation_id, ctx, setup)
