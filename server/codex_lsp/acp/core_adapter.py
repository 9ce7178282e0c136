"""The ACP front end's one door into the core: everything it asks of
:class:`~codex_lsp.core.ConversationManager` goes through :class:`Core`, in the manager's public
terms (new, resume, list, delete, submit an Op, the event sink, the approval handler, per
conversation file sinks and command runners, the skills and MCP prompts offered as commands).
The rest of :mod:`codex_lsp.acp` speaks in protocol types (Ops, events, policies) only."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codex_lsp.config.model import AcpConfig, Config, McpServerConfig
from codex_lsp.core import ApprovalHandler, ConfigSources, ConversationManager, EventSink, FrontEnd
from codex_lsp.core.mcp_prompts import expand_prompt_command, list_prompts
from codex_lsp.core.skills import list_skills
from codex_lsp.errors import UnknownConversationError
from codex_lsp.protocol.ops import Op, ShutdownOp, UserInputOp
from codex_lsp.protocol.policies import (
    AskForApproval,
    DangerFullAccess,
    ReadOnly,
    ReasoningEffort,
    WorkspaceWrite,
)
from codex_lsp.protocol.requests import (
    ListConversationsParams,
    ListConversationsResult,
    McpPromptEntry,
    NewConversationParams,
    SkillEntry,
)
from codex_lsp.speckit.front import speckit_router
from codex_lsp.tools.commands import CommandRunner
from codex_lsp.tools.files import FileSink

Policy = DangerFullAccess | ReadOnly | WorkspaceWrite
MCP_WAIT_S = 30.0
"""The longest a prompt waits for the session's MCP servers to finish starting."""


@dataclass(frozen=True)
class Opened:
    """A conversation opened for a session: its settings, and (when resumed) its stored events
    for a replay, oldest first."""

    session_id: str
    cwd: Path
    model: str
    effort: ReasoningEffort | None
    approval_policy: AskForApproval
    sandbox_policy: Policy
    acp: AcpConfig
    profile_models: list[str]
    events: list[dict[str, Any]]


class Core:
    """One conversation manager for the whole ACP connection."""

    def __init__(
        self,
        sink: EventSink,
        approvals: ApprovalHandler,
        files_for: Callable[[str], FileSink],
        commands_for: Callable[[str], CommandRunner],
        overrides: dict[str, Any],
    ) -> None:
        self._manager = ConversationManager(
            FrontEnd(sink, approvals=approvals, files_for=files_for, commands_for=commands_for),
            ConfigSources(cli_overrides=overrides),
            router=speckit_router,
        )

    def config(self, cwd: Path | None) -> Config:
        """The effective configuration for a session in ``cwd``."""
        return self._manager.load_config(NewConversationParams(cwd=cwd)).config

    async def open(
        self, cwd: Path, mcp_servers: dict[str, McpServerConfig], resume: str | None = None
    ) -> Opened:
        """Start a conversation in ``cwd``, or bring stored conversation ``resume`` back; the
        client's MCP servers join the configured ones first."""
        self._manager.add_mcp_servers(mcp_servers)
        events: list[dict[str, Any]] = []
        if resume is None:
            conversation = await self._manager.new_conversation(NewConversationParams(cwd=cwd))
        else:
            events = (await self._manager.resume(resume)).initial_messages
            conversation = self._manager.get(resume)
        ctx = conversation.ctx
        config = conversation.config
        models = [str(p["model"]) for p in config.profiles.values() if p.get("model")]
        return Opened(
            session_id=conversation.id,
            cwd=ctx.cwd,
            model=ctx.model,
            effort=ctx.effort,
            approval_policy=ctx.approval_policy,
            sandbox_policy=ctx.sandbox_policy,
            acp=config.acp,
            profile_models=models,
            events=events,
        )

    def session_commands(self, session_id: str) -> tuple[list[SkillEntry], list[McpPromptEntry]]:
        """The skills (enabled ones) and MCP prompts a session offers as slash commands."""
        conversation = self._manager.get(session_id)
        listed = list_skills(conversation.ctx.cwd, conversation.parts.home, conversation.config)
        return [s for s in listed.skills if s.enabled], list_prompts(self._manager.mcp).prompts

    async def expand(self, op: Op) -> Op:
        """``op`` with an MCP prompt command replaced by the prompt's text."""
        if not isinstance(op, UserInputOp):
            return op
        items = await expand_prompt_command(op.items, self._manager.mcp)
        return op.model_copy(update={"items": items})

    def submit(self, session_id: str, op: Op) -> str:
        """Queue ``op`` in the session's conversation; returns its submission id."""
        return self._manager.get(session_id).submit(op)

    def is_open(self, session_id: str) -> bool:
        """True while the session's conversation runs in this process."""
        return any(c.id == session_id for c in self._manager.live())

    async def close(self, session_id: str) -> None:
        """Shut the conversation down (its running work is cancelled); it stays stored."""
        with contextlib.suppress(UnknownConversationError):
            self._manager.get(session_id).submit(ShutdownOp())

    async def delete(self, session_id: str) -> None:
        """Remove the conversation from the store (shut down first when open)."""
        await self._manager.delete(session_id)

    async def list(self, cwd: Path | None, cursor: str | None) -> ListConversationsResult:
        """A page of stored conversations, most recent first (every folder's when no cwd)."""
        params = ListConversationsParams(
            cwd=cwd, all_workspaces=cwd is None, cursor=cursor, page_size=25
        )
        return await self._manager.list_conversations(params)

    async def mcp_started(self) -> None:
        """Wait (bounded) until no MCP server is still starting."""
        await self._manager.mcp.wait_started(MCP_WAIT_S)

    async def shutdown(self) -> None:
        """Shut every conversation and MCP server down."""
        await self._manager.shutdown_all()
