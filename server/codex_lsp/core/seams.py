"""What a conversation is plugged into from outside it: where its events go
(:data:`EventSink`), who answers an approval (:data:`ApprovalHandler`), and, fixed for each
conversation, the model client, the tools, where file edits go and who runs commands
(:class:`Seams`). Front ends provide these (:class:`FrontEnd`); the core never imports a front
end."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import NamedTuple

from codex_lsp.config.model import ModelProviderInfo
from codex_lsp.protocol.answers import ApprovalResult, RequestUserInputResult
from codex_lsp.protocol.events import (
    ApplyPatchApprovalRequestEvent,
    EventEnvelope,
    ExecApprovalRequestEvent,
    RequestUserInputEvent,
)
from codex_lsp.protocol.items import McpServerStatus
from codex_lsp.protocol.policies import ReviewDecision
from codex_lsp.providers.base import ModelClient
from codex_lsp.tools.commands import CommandRunner
from codex_lsp.tools.files import FileSink
from codex_lsp.tools.registry import ToolRegistry

EventSink = Callable[[EventEnvelope], None]
ApprovalRequest = ExecApprovalRequestEvent | ApplyPatchApprovalRequestEvent
ApprovalHandler = Callable[[str, ApprovalRequest], Awaitable[ReviewDecision | ApprovalResult]]
"""Asks the user; a plain decision, or (for patches) a decision with the hunks rejected."""


UserInputHandler = Callable[[str, RequestUserInputEvent], Awaitable[RequestUserInputResult | None]]
"""Asks the user questions (``request_user_input``, an MCP elicitation form); None: dismissed or
nobody can answer. It may raise :class:`~codex_lsp.tools.registry.TurnFailedError` to fail the
turn (``exec`` without a terminal)."""
UrlOpener = Callable[[str], Awaitable[bool]]
"""Opens an http(s) link for the user (an MCP url-mode elicitation); False when it cannot."""


async def deny_all_approvals(conversation_id: str, request: ApprovalRequest) -> ReviewDecision:
    """The approval handler of front ends that cannot ask anyone."""
    return ReviewDecision.DENIED


async def no_user_input(
    conversation_id: str, request: RequestUserInputEvent
) -> RequestUserInputResult | None:
    """The user-input handler of front ends that cannot ask anyone."""
    return None


async def no_url_opener(url: str) -> bool:
    """The link opener of front ends that cannot show a link."""
    return False


class Seams(NamedTuple):
    """The parts of one conversation that come from outside it, fixed for its life."""

    client: ModelClient
    provider_info: ModelProviderInfo
    """What the client talks to (its wire API, retries, timeouts)."""
    tools: ToolRegistry
    approvals: ApprovalHandler
    files: FileSink
    commands: CommandRunner
    user_input: UserInputHandler = no_user_input
    open_url: UrlOpener = no_url_opener


class FrontEnd(NamedTuple):
    """What a front end (the language server, ``exec``, the MCP server, ACP) gives the
    conversation manager at construction: the one event sink, who answers approvals, where
    each conversation's file edits go and who runs its commands, and what it wants to hear."""

    sink: EventSink
    approvals: ApprovalHandler = deny_all_approvals
    files: FileSink | None = None
    """Where every conversation's edits go (the disk when None and no ``files_for``)."""
    files_for: Callable[[str], FileSink] | None = None
    """One file sink per conversation id (front ends whose file access belongs to a session,
    like ACP); overrides ``files``."""
    commands_for: Callable[[str], CommandRunner] | None = None
    """One command runner per conversation id (ACP's terminals); local processes when None."""
    on_config_error: Callable[[str], None] | None = None
    """A reloaded configuration was refused; the message says why (the old one stays)."""
    on_mcp_status: Callable[[McpServerStatus], None] | None = None
    """An MCP server started, failed or stopped."""
    user_input: UserInputHandler = no_user_input
    """Who answers the questions of the model and of MCP servers."""
    open_url: UrlOpener = no_url_opener
    """Who opens a link an MCP server sends the user to."""
