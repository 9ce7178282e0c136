"""What every model client shares: the prompt it is given, the events it streams back, and the
interface the core calls. Nothing here knows a wire format. The tools a prompt offers are
described by :mod:`codex_lsp.protocol.tool_specs`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

from codex_lsp.config.model import WebSearchMode
from codex_lsp.protocol.history import HistoryItem
from codex_lsp.protocol.items import StopReason, TokenUsage
from codex_lsp.protocol.policies import ReasoningEffort, ReasoningSummary, Verbosity
from codex_lsp.protocol.tool_specs import ToolSpec


@dataclass
class Prompt:
    """Everything one model request needs."""

    model: str
    instructions: str
    input: list[HistoryItem]
    tools: list[ToolSpec] = field(default_factory=list)
    effort: ReasoningEffort | None = None
    summary: ReasoningSummary | None = None
    parallel_tool_calls: bool = False
    output_schema: dict[str, Any] | None = None
    cache_key: str | None = None
    verbosity: Verbosity | None = None
    web_search: WebSearchMode = WebSearchMode.DISABLED
    """The hosted search tool, on the wires that have one (Responses)."""


# ---------------------------------------------------------------- streamed events
# Immutable records as NamedTuples: each frozen dataclass costs every start ~0.3 ms to define.


class OutputItemAdded(NamedTuple):
    """A new output item (``kind`` message / reasoning / tool_call) started streaming."""

    key: str
    kind: str


class OutputTextDelta(NamedTuple):
    """Text of an assistant message."""

    key: str
    delta: str


class ReasoningSummaryDelta(NamedTuple):
    """Text of a reasoning summary paragraph."""

    key: str
    delta: str
    summary_index: int


class ReasoningSummaryPartAdded(NamedTuple):
    """A new reasoning summary paragraph begins."""

    key: str
    summary_index: int


class ReasoningContentDelta(NamedTuple):
    """Raw reasoning text."""

    key: str
    delta: str


class OutputItemDone(NamedTuple):
    """An output item is complete; ``item`` goes into the history as it is."""

    key: str
    item: HistoryItem


class Completed(NamedTuple):
    """The response finished."""

    response_id: str | None
    usage: TokenUsage | None
    stop_reason: StopReason | None = None
    """Set when the model stopped before finishing (output limit, refusal)."""


class HostedSearchDone(NamedTuple):
    """The provider ran a hosted web search (``web_search_call``) for ``query``."""

    key: str
    query: str


class Retrying(NamedTuple):
    """The request failed with a retryable error and will be sent again after ``delay_s``."""

    message: str
    error_info: str
    attempt: int
    max_attempts: int
    delay_s: float


ResponseEvent = (
    OutputItemAdded
    | OutputTextDelta
    | ReasoningSummaryDelta
    | ReasoningSummaryPartAdded
    | ReasoningContentDelta
    | OutputItemDone
    | HostedSearchDone
    | Completed
    | Retrying
)


class ModelClient(Protocol):
    """Streams one model response. Raises :class:`codex_lsp.errors.ProviderError` subclasses."""

    provider_id: str

    def stream(self, prompt: Prompt) -> AsyncIterator[ResponseEvent]:
        """Send ``prompt`` and yield events as they arrive (one attempt, no retries)."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...
