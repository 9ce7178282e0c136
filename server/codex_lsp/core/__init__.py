"""The agent core: conversations, the turn loop, context building. Never imports pygls."""

from codex_lsp.core.conversation import ApprovalHandler, Conversation, EventSink, deny_all_approvals
from codex_lsp.core.manager import ConversationManager, info

__all__ = [
    "ApprovalHandler",
    "Conversation",
    "ConversationManager",
    "EventSink",
    "deny_all_approvals",
    "info",
]
