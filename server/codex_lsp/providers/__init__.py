"""Streaming model clients: OpenAI Responses, Chat Completions and Anthropic Messages."""

import sys

# httpx imports its optional command-line tool (rich, click, pygments: ~55 ms) whenever those
# are installed, and falls back to a stub when the import fails. We never use it; blocking it
# keeps `codex-lsp exec` start-up short.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]

from codex_lsp.providers.base import ModelClient, Prompt, ResponseEvent  # noqa: E402
from codex_lsp.providers.registry import (  # noqa: E402
    ResolvedProvider,
    create_client,
    resolve_provider,
)
from codex_lsp.providers.retry import stream_with_retries  # noqa: E402

__all__ = [
    "ModelClient",
    "Prompt",
    "ResolvedProvider",
    "ResponseEvent",
    "create_client",
    "resolve_provider",
    "stream_with_retries",
]
