"""OpenAI Responses API client (``wire_api = "responses"``): ``POST /responses`` with SSE."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from codex_lsp.config.model import ModelProviderInfo, WebSearchMode
from codex_lsp.errors import ContextWindowExceededError, ProviderError, StreamDroppedError
from codex_lsp.protocol.history import (
    HistoryItem,
    Reasoning,
)
from codex_lsp.protocol.items import StopReason, TokenUsage
from codex_lsp.protocol.responses_items import parse_responses_item, responses_item
from codex_lsp.protocol.tool_specs import FreeformToolSpec, ToolSpec
from codex_lsp.providers.base import (
    Completed,
    HostedSearchDone,
    OutputItemAdded,
    OutputItemDone,
    OutputTextDelta,
    Prompt,
    ReasoningContentDelta,
    ReasoningSummaryDelta,
    ReasoningSummaryPartAdded,
    ResponseEvent,
)
from codex_lsp.providers.fields import Fields
from codex_lsp.providers.http import ProviderHttp
from codex_lsp.providers.quote import quote
from codex_lsp.providers.sse import SSEFrame


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
            "tools": [_wire_tool(t) for t in prompt.tools] + _hosted_tools(prompt),
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
        body = self.request_body(prompt)
        async with self._http.post_stream("/responses", body, headers) as frames:
            async for event in self.translate(frames, prompt):
                yield event

    async def translate(
        self, frames: AsyncIterator[SSEFrame], prompt: Prompt
    ) -> AsyncIterator[ResponseEvent]:
        """The response events of a stream's frames, up to ``response.completed``."""
        async for frame in frames:
            if frame.data.strip() == "[DONE]":
                raise StreamDroppedError(
                    f"{self.provider_id}: the stream ended with [DONE] before response.completed"
                )
            for event in self._translate(Fields.of_frame(self.provider_id, frame)):
                yield event
                if isinstance(event, Completed):
                    return
        raise StreamDroppedError(f"{self.provider_id}: stream closed before response.completed")

    def _translate(self, data: Fields) -> list[ResponseEvent]:
        kind = data.opt_text("type") or ""
        if kind in ("response.output_text.delta", "response.refusal.delta"):
            return [OutputTextDelta(data.text("item_id"), data.text("delta"))]
        if kind == "response.reasoning_summary_text.delta":
            return [
                ReasoningSummaryDelta(
                    data.text("item_id"), data.text("delta"), data.opt_index("summary_index")
                )
            ]
        if kind == "response.reasoning_summary_part.added":
            return [
                ReasoningSummaryPartAdded(data.text("item_id"), data.opt_index("summary_index"))
            ]
        if kind == "response.reasoning_text.delta":
            return [ReasoningContentDelta(data.text("item_id"), data.text("delta"))]
        if kind == "response.output_item.added":
            item = data.obj("item")
            return [OutputItemAdded(_item_key(item), _kind(item.opt_text("type") or ""))]
        if kind == "response.output_item.done":
            item = data.obj("item")
            if item.opt_text("type") == "web_search_call":
                query = item.opt_obj("action").opt_text("query") or ""
                return [HostedSearchDone(_item_key(item), query)]
            try:
                parsed = parse_responses_item(dict(item.data))
            except (TypeError, ValueError, AttributeError):
                raise item.refuse("that is not an output item") from None
            return [OutputItemDone(_item_key(item), parsed)] if parsed is not None else []
        if kind == "response.completed":
            response = data.opt_obj("response")
            stop = StopReason.REFUSAL if _refused(response) else None
            return [Completed(response.ident("id"), _usage(response.opt_obj("usage")), stop)]
        if kind == "response.incomplete":
            response = data.opt_obj("response")
            reason = response.opt_obj("incomplete_details").opt_text("reason")
            stop = _INCOMPLETE.get(str(reason))
            if stop is not None:
                return [Completed(response.ident("id"), _usage(response.opt_obj("usage")), stop)]
        if kind in ("response.failed", "response.incomplete", "error"):
            raise _failure(self.provider_id, data)
        return []

    async def aclose(self) -> None:
        """Close connections."""
        await self._http.aclose()


_INCOMPLETE = {"max_output_tokens": StopReason.MAX_TOKENS, "content_filter": StopReason.REFUSAL}


def _refused(response: Fields) -> bool:
    """The model answered with a refusal content part. Only a hint for the stop reason: an
    ``output`` of the wrong shape is no refusal (its items were judged as they streamed)."""
    output = response.data.get("output")
    messages = [i for i in output if isinstance(i, dict)] if isinstance(output, list) else []
    return any(
        isinstance(part, dict) and part.get("type") == "refusal"
        for item in messages
        if item.get("type") == "message" and isinstance(item.get("content"), list)
        for part in item["content"]
    )


def _item_key(item: Fields) -> str:
    return item.ident("id") or item.ident("call_id") or ""


def _kind(item_type: str) -> str:
    if item_type == "message":
        return "message"
    if item_type == "reasoning":
        return "reasoning"
    return "tool_call"


def _failure(provider_id: str, data: Fields) -> ProviderError:
    response = data.data.get("response")
    response = response if isinstance(response, dict) else {}
    error = response.get("error") or data.data.get("error") or data.data
    error = error if isinstance(error, dict) else {}
    details = response.get("incomplete_details")
    if not error and isinstance(details, dict):
        error = {"message": f"incomplete: {details.get('reason')}"}
    code = str(error.get("code") or "")
    message = quote(str(error.get("message") or code or "the response failed"))
    if code == "context_length_exceeded":
        return ContextWindowExceededError(
            f"{provider_id}: {message}. "
            "Compact the conversation (codex/compact) or start a new one."
        )
    retryable = code in ("server_error", "rate_limit_exceeded", "server_is_overloaded", "")
    return ProviderError(f"{provider_id}: {message}", retryable=retryable)


def _usage(raw: Fields) -> TokenUsage | None:
    if not raw.data:
        return None
    return TokenUsage(
        input_tokens=raw.count("input_tokens"),
        cached_input_tokens=raw.opt_obj("input_tokens_details").count("cached_tokens"),
        output_tokens=raw.count("output_tokens"),
        reasoning_output_tokens=raw.opt_obj("output_tokens_details").count("reasoning_tokens"),
        total_tokens=raw.count("total_tokens"),
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


def _hosted_tools(prompt: Prompt) -> list[dict[str, Any]]:
    """The provider-run tools: web search, on its cached index or live."""
    if prompt.web_search is WebSearchMode.DISABLED:
        return []
    live = prompt.web_search is WebSearchMode.LIVE
    return [{"type": "web_search", "external_web_access": live}]


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
