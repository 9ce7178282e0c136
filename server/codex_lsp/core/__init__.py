"""The agent core: conversations, the turn loop, context building. Never imports pygls."""

from codex_lsp.core.assembly import ConfigSources
from codex_lsp.core.conversation import Conversation
from codex_lsp.core.manager import ConversationManager, info
from codex_lsp.core.observers import Observer
from codex_lsp.core.seams import (
    ApprovalHandler,
    ApprovalRequest,
    EventSink,
    FrontEnd,
    deny_all_approvals,
)
from codex_lsp.core.supervisor import CommandRouter, TurnBody

__all__ = [
    "ApprovalHandler",
    "ApprovalRequest",
    "CommandRouter",
    "ConfigSources",
    "Conversation",
    "ConversationManager",
    "EventSink",
    "FrontEnd",
    "Observer",
    "TurnBody",
    "deny_all_approvals",
    "info",
]
