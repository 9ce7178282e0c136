"""Streaming model clients: OpenAI Responses, Chat Completions and Anthropic Messages."""

from codex_lsp.providers.base import ModelClient, Prompt, ResponseEvent
from codex_lsp.providers.registry import ResolvedProvider, create_client, resolve_provider
from codex_lsp.providers.retry import stream_with_retries

__all__ = [
    "ModelClient",
    "Prompt",
    "ResolvedProvider",
    "ResponseEvent",
    "create_client",
    "resolve_provider",
    "stream_with_retries",
]
