"""OpenAI Responses API client (``wire_api = "responses"``): ``POST /responses`` with SSE."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from codex_lsp.config.model import ModelProviderInfo
from codex_lsp.errors import ContextWindowExceededError, ProviderError, StreamDroppedError
from codex_lsp.protocol.history import (
    HistoryItem,
    Reasoning,
)
from codex_lsp.protocol.items import TokenUsage
from codex_lsp.protocol.responses_items import parse_responses_item, responses_item
from codex_lsp.providers.base import (
    Completed,
    FreeformToolSpec,
    OutputItemAdded,
    OutputItemDone,
    OutputTextDelta,
    Prompt,
    ReasoningContentDelta,
    ReasoningSummaryDelta,
    ReasoningSummaryPartAdded,
    ResponseEvent,
    ToolSpec,
)
from codex_lsp.providers.http import ProviderHttp
from codex_lsp.providers.sse import iter_sse


class ResponsesClient:
    """Streams from an OpenAI-style Responses endpoint."""

    def __init__(self, provider_id: str, info: ModelProviderInfo) -> None:
        self.provider_id = provider_id
        self._http = ProviderHttp(provider_id, info)

    def request_body(self, prompt: Prompt) -> dict[str, Any]:
        """The JSON body for ``prompt``."""
        body: dict[str, Any] = {
            "model": prompt.model,
            "instructions": prompt.instructions,
            "input": [w for item in prompt.input if (w := _wire_item(item)) is not None],
            "tools": [_wire_tool(t) for t in prompt.tools],
            "tool_choice": "auto",
            "parallel_tool_calls": prompt.parallel_tool_calls,
            "store": False,
            "stream": True,
        }
        if prompt.effort is not None or prompt.summary is not None:
            reasoning: dict[str, Any] = {}
            if prompt.effort is not None:
                reasoning["effort"] = prompt.effort.value
            if prompt.summary is not None and prompt.summary.value != "none":
                reasoning["summary"] = prompt.summary.value
            body["reasoning"] = reasoning
            body["include"] = ["reasoning.encrypted_content"]
        if prompt.cache_key:
            body["prompt_cache_key"] = prompt.cache_key
        text: dict[str, Any] = {}
        if prompt.output_schema is not None:
            text["format"] = {
                "type": "json_schema",
                "name": "output",
                "strict": True,
                "schema": prompt.output_schema,
            }
        if prompt.verbosity is not None:
            text["verbosity"] = prompt.verbosity.value
        if text:
            body["text"] = text
        return body

    async def stream(self, prompt: Prompt) -> AsyncIterator[ResponseEvent]:
        """One attempt: POST and translate the SSE events."""
        headers = self._http.headers()
        if self._http.api_key:
            headers["authorization"] = f"Bearer {self._http.api_key}"
        async with self._http.post_stream("/responses", self.request_body(prompt), headers) as resp:
            async for frame in iter_sse(resp):
                data = json.loads(frame.data)
                for event in self._translate(data):
                    yield event
                    if isinstance(event, Completed):
                        return
        raise StreamDroppedError(f"{self.provider_id}: stream closed before response.completed")

    def _translate(self, data: dict[str, Any]) -> list[ResponseEvent]:
        kind = data.get("type", "")
        if kind == "response.output_text.delta":
            return [OutputTextDelta(data["item_id"], data["delta"])]
        if kind == "response.reasoning_summary_text.delta":
            return [
                ReasoningSummaryDelta(data["item_id"], data["delta"], data.get("summary_index", 0))
            ]
        if kind == "response.reasoning_summary_part.added":
            return [ReasoningSummaryPartAdded(data["item_id"], data.get("summary_index", 0))]
        if kind == "response.reasoning_text.delta":
            return [ReasoningContentDelta(data["item_id"], data["delta"])]
        if kind == "response.output_item.added":
            item = data["item"]
            return [OutputItemAdded(_item_key(item), _kind(item.get("type", "")))]
        if kind == "response.output_item.done":
            item = data["item"]
            parsed = parse_responses_item(item)
            return [OutputItemDone(_item_key(item), parsed)] if parsed is not None else []
        if kind == "response.completed":
            response = data.get("response", {})
            return [Completed(response.get("id"), _usage(response.get("usage")))]
        if kind in ("response.failed", "response.incomplete", "error"):
            raise _failure(self.provider_id, data)
        return []

    async def aclose(self) -> None:
        """Close connections."""
        await self._http.aclose()


def _item_key(item: dict[str, Any]) -> str:
    return str(item.get("id") or item.get("call_id") or "")


def _kind(item_type: str) -> str:
    if item_type == "message":
        return "message"
    if item_type == "reasoning":
        return "reasoning"
    return "tool_call"


def _failure(provider_id: str, data: dict[str, Any]) -> ProviderError:
    response = data.get("response") or {}
    error = response.get("error") or data.get("error") or {}
    if not error and response.get("incomplete_details"):
        error = {"message": f"incomplete: {response['incomplete_details'].get('reason')}"}
    code = str(error.get("code") or "")
    message = str(error.get("message") or code or "the response failed")
    if code == "context_length_exceeded":
        return ContextWindowExceededError(
            f"{provider_id}: {message}. "
            "Compact the conversation (codex/compact) or start a new one."
        )
    retryable = code in ("server_error", "rate_limit_exceeded", "server_is_overloaded", "")
    return ProviderError(f"{provider_id}: {message}", retryable=retryable)


def _usage(raw: dict[str, Any] | None) -> TokenUsage | None:
    if not raw:
        return None
    return TokenUsage(
        input_tokens=raw.get("input_tokens", 0),
        cached_input_tokens=(raw.get("input_tokens_details") or {}).get("cached_tokens", 0),
        output_tokens=raw.get("output_tokens", 0),
        reasoning_output_tokens=(raw.get("output_tokens_details") or {}).get("reasoning_tokens", 0),
        total_tokens=raw.get("total_tokens", 0),
    )


def _wire_item(item: HistoryItem) -> dict[str, Any] | None:
    """An input item; reasoning goes back only with its encrypted content (and no raw text)."""
    if isinstance(item, Reasoning):
        if not item.encrypted_content:
            return None
        wire = responses_item(item)
        wire.pop("content", None)
        return wire
    return responses_item(item)


def _wire_tool(tool: ToolSpec) -> dict[str, Any]:
    if isinstance(tool, FreeformToolSpec):
        return {
            "type": "custom",
            "name": tool.name,
            "description": tool.description,
            "format": {"type": "grammar", "syntax": tool.syntax, "definition": tool.grammar},
        }
    return {
        "type": "function",
        "name": tool.name,
        "description": tool.description,
        "strict": False,
        "parameters": tool.parameters,
    }
