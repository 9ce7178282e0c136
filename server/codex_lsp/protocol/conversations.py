"""Params and results of the conversation requests: start, resume, fork, list, archive, rename,
delete. A headless turn needs these and nothing else of :mod:`codex_lsp.protocol.requests`."""

from pathlib import Path
from typing import Any

from pydantic import Field

from codex_lsp.protocol.base import WireModel
from codex_lsp.protocol.limits import Identifier, Name, Title, WirePath
from codex_lsp.protocol.policies import (
    AskForApproval,
    ReasoningEffort,
    ReasoningSummary,
    SandboxMode,
)


class ConversationScoped(WireModel):
    """Names the conversation a request is for."""

    conversation_id: Identifier


class NewConversationParams(WireModel):
    """Start a conversation. Every field is optional and overrides the configuration."""

    cwd: WirePath | None = None
    model: Name | None = None
    model_provider: Name | None = None
    approval_policy: AskForApproval | None = None
    sandbox: SandboxMode | None = None
    reasoning_effort: ReasoningEffort | None = None
    reasoning_summary: ReasoningSummary | None = None
    base_instructions: str | None = None
    config: dict[str, Any] | None = Field(
        default=None, description="Extra config keys (dotted names allowed), as with -c."
    )


class ConversationInfo(WireModel):
    """What a client needs to show a conversation."""

    conversation_id: str
    model: str
    model_provider: str
    cwd: Path
    forked_from_id: str | None = None


class ResumeConversationParams(ConversationScoped):
    """Reattach to a conversation and get its events replayed."""


class ResumeConversationResult(ConversationInfo):
    """The conversation plus every event needed to redraw it, oldest first."""

    initial_messages: list[dict[str, Any]]
    undoable_turn_ids: list[str] = Field(
        default=[],
        description="The turns whose file changes codex/undoTurn can still take back, oldest "
        "first (clients offer undo on these, not on every turn that changed files).",
    )


class ForkConversationParams(ConversationScoped):
    """Start a new conversation from the history of another, up to and including ``turnId``
    (all of it when absent)."""

    turn_id: Identifier | None = None


class ListConversationsParams(WireModel):
    """Page through stored conversations, most recently updated first. By default only those
    of the workspace (started in ``cwd``, or the workspace root, or a folder below it)."""

    cursor: Identifier | None = None
    page_size: int = Field(default=50, ge=1, le=500)
    cwd: WirePath | None = None
    all_workspaces: bool = Field(default=False, description="List every workspace's.")
    archived: bool = Field(default=False, description="List archived conversations instead.")


class ConversationSummary(ConversationInfo):
    """One row of ``codex/listConversations``. Times are Unix seconds."""

    title: str
    preview: str
    created_at: float
    updated_at: float
    turn_count: int
    archived: bool
    running: bool


class ListConversationsResult(WireModel):
    """A page of conversations; pass ``nextCursor`` back for the next page."""

    items: list[ConversationSummary]
    next_cursor: str | None = None


class ArchiveConversationParams(ConversationScoped):
    """Close a conversation and hide it from the default list (``archived: false`` brings it
    back). Nothing is deleted."""

    archived: bool = True


class RenameConversationParams(ConversationScoped):
    """Give a conversation the title a user chose."""

    title: Title


class DeleteConversationParams(ConversationScoped):
    """Close a conversation and delete it from the store for good."""
