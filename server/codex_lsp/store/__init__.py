"""Durable conversations: an embedded SQLite store (aiosqlite), and Codex rollout files."""

from codex_lsp.store.conversations import ConversationStore

__all__ = ["ConversationStore"]
