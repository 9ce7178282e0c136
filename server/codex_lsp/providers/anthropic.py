"""Anthropic Messages API client (``wire_api = "anthropic"``): ``POST /messages`` with SSE.
Thinking blocks become reasoning (their signature is kept and sent back); ``tool_use`` input is
assembled from ``input_json_delta`` pieces."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from codex_lsp.config.model import ModelProviderInfo
from codex_lsp.errors import ContextWindowExceededError, ProviderError, StreamDroppedError
from codex_lsp.protocol.history import (
    AssistantMessage,
    CustomToolCall,
    CustomToolCallOutput,
    FunctionCall,
    FunctionCallOutput,
    HistoryItem,
    InputImage,
    InputText,
    Reasoning,
    UserMessage,
)
from codex_lsp.protocol.items import StopReason, TokenUsage
from codex_lsp.protocol.policies import ReasoningEffort
from codex_lsp.protocol.tool_specs import FreeformToolSpec, ToolSpec
from codex_lsp.providers.base import (
    Completed,
    OutputItemAdded,
    OutputItemDone,
    OutputTextDelta,
    Prompt,
    ReasoningContentDelta,
    ResponseEvent,
)
from codex_lsp.providers.fields import Fields
from codex_lsp.providers.freeform import FREEFORM_PARAMETERS, freeform_input
from codex_lsp.providers.http import ProviderHttp
from codex_lsp.providers.quote import quote
from codex_lsp.providers.sse import SSEFrame

ANTHROPIC_VERSION = "2023-06-01"
ANSWER_TOOL = "final_answer"
"""The tool a prompt with an output schema offers for the answer: its input schema is the
answer's schema, and its input comes back as the assistant's message (the answer's JSON)."""
_ANSWER_DESCRIPTION = (
    "Give your final answer by calling this tool; its input is the answer, a JSON object that "
    "matches the input schema. Call it once, when you are done."
)
_THINKING_BUDGET = {
    ReasoningEffort.MINIMAL: 1024,
    ReasoningEffort.LOW: 2048,
    ReasoningEffort.MEDIUM: 8192,
    ReasoningEffort.HIGH: 16384,
    ReasoningEffort.XHIGH: 32000,
}


@dataclass
class _Block:
    kind: str
    text: list[str] = field(default_factory=list)
    signature: str | None = None
    tool_id: str = ""
    tool_name: str = ""


@dataclass
class _State:
    blocks: dict[int, _Block] = field(default_factory=dict)
    input_tokens: int = 0
    cached_tokens: int = 0
    output_tokens: int = 0
    message_id: str | None = None
    stop: StopReason | None = None
    answer_tool: bool = False
    """The prompt offered :data:`ANSWER_TOOL`: its call is the answer."""


_STOPS = {"max_tokens": StopReason.MAX_TOKENS, "refusal": StopReason.REFUSAL}


class AnthropicClient:
    """Streams from Anthropic's Messages API."""

    def __init__(self, provider_id: str, info: ModelProviderInfo, max_tokens: int = 32_000) -> None:
        self.provider_id = provider_id
        self._http = ProviderHttp(provider_id, info)
        self._max_tokens = max_tokens

    def request_body(self, prompt: Prompt) -> dict[str, Any]:
        """The JSON body for ``prompt``."""
        body: dict[str, Any] = {
            "model": prompt.model,
            "system": prompt.instructions,
            "messages": _wire_messages(prompt.input),
            "max_tokens": self._max_tokens,
            "stream": True,
        }
        tools = [_wire_tool(t) for t in prompt.tools]
        budget = _THINKING_BUDGET.get(prompt.effort) if prompt.effort else None
        if prompt.output_schema is not None:
            tools.append(
                {
                    "name": ANSWER_TOOL,
                    "description": _ANSWER_DESCRIPTION,
                    "input_schema": prompt.output_schema,
                }
            )
            # Anthropic refuses a forced tool with extended thinking: with a reasoning effort
            # the answer tool is offered (tool_choice auto) and the answer is still validated.
            body["tool_choice"] = (
                {"type": "auto"} if budget else {"type": "tool", "name": ANSWER_TOOL}
            )
        if tools:
            body["tools"] = tools
        if budget:
            body["thinking"] = {
                "type": "enabled",
                "budget_tokens": min(budget, self._max_tokens - 1),
            }
        return body

    async def stream(self, prompt: Prompt) -> AsyncIterator[ResponseEvent]:
        """One attempt: POST and translate the SSE events."""
        headers = self._http.headers()
        headers["anthropic-version"] = ANTHROPIC_VERSION
        if self._http.api_key:
            headers["x-api-key"] = self._http.api_key
        body = self.request_body(prompt)
        async with self._http.post_stream("/messages", body, headers) as frames:
            async for event in self.translate(frames, prompt):
                yield event

    async def translate(
        self, frames: AsyncIterator[SSEFrame], prompt: Prompt
    ) -> AsyncIterator[ResponseEvent]:
        """The response events of a stream's frames, up to ``message_stop``."""
        freeform = {t.name for t in prompt.tools if isinstance(t, FreeformToolSpec)}
        state = _State(answer_tool=prompt.output_schema is not None)
        async for frame in frames:
            if frame.data.strip() == "[DONE]":
                raise StreamDroppedError(
                    f"{self.provider_id}: the stream ended with [DONE] before message_stop"
                )
            data = Fields.of_frame(self.provider_id, frame)
            for event in self._translate(data, state, freeform):
                yield event
                if isinstance(event, Completed):
                    return
        raise StreamDroppedError(f"{self.provider_id}: stream closed before message_stop")

    def _translate(self, data: Fields, state: _State, freeform: set[str]) -> list[ResponseEvent]:
        kind = data.opt_text("type")
        if kind == "message_start":
            message = data.opt_obj("message")
            state.message_id = message.ident("id")
            usage = message.opt_obj("usage")
            state.input_tokens = usage.count("input_tokens") + usage.count(
                "cache_creation_input_tokens"
            )
            state.cached_tokens = usage.count("cache_read_input_tokens")
            state.output_tokens = usage.count("output_tokens")
            return []
        if kind == "content_block_start":
            return _block_start(data, state)
        if kind == "content_block_delta":
            return _block_delta(data, state)
        if kind == "content_block_stop":
            return _block_stop(data.index("index"), state, freeform)
        if kind == "message_delta":
            usage = data.opt_obj("usage")
            if "output_tokens" in usage.data:
                state.output_tokens = usage.count("output_tokens")
            state.stop = _STOPS.get(str(data.opt_obj("delta").opt_text("stop_reason")))
            return []
        if kind == "message_stop":
            total_in = state.input_tokens + state.cached_tokens
            usage_total = TokenUsage(
                input_tokens=total_in,
                cached_input_tokens=state.cached_tokens,
                output_tokens=state.output_tokens,
                total_tokens=total_in + state.output_tokens,
            )
            return [Completed(state.message_id, usage_total, state.stop)]
        if kind == "error":
            raise _stream_error(self.provider_id, data.data.get("error"))
        return []

    async def aclose(self) -> None:
        """Close connections."""
        await self._http.aclose()


def _block_start(data: Fields, state: _State) -> list[ResponseEvent]:
    index = data.index("index")
    block = data.obj("content_block")
    kind = block.opt_text("type") or ""
    state.blocks[index] = _Block(
        kind=kind, tool_id=block.ident("id") or "", tool_name=block.opt_text("name") or ""
    )
    key = str(index)
    if kind == "text":
        return [OutputItemAdded(key, "message")]
    if kind in ("thinking", "redacted_thinking"):
        if kind == "redacted_thinking":
            state.blocks[index].signature = block.opt_text("data")
        return [OutputItemAdded(key, "reasoning")]
    if kind == "tool_use":
        return [OutputItemAdded(key, "tool_call")]
    return []


def _block_delta(data: Fields, state: _State) -> list[ResponseEvent]:
    index = data.index("index")
    delta = data.obj("delta")
    block = state.blocks.get(index)
    if block is None:
        return []
    key = str(index)
    kind = delta.opt_text("type")
    if kind == "text_delta":
        text = delta.text("text")
        block.text.append(text)
        return [OutputTextDelta(key, text)]
    if kind == "thinking_delta":
        thinking = delta.text("thinking")
        block.text.append(thinking)
        return [ReasoningContentDelta(key, thinking)]
    if kind == "signature_delta":
        block.signature = (block.signature or "") + delta.text("signature")
    elif kind == "input_json_delta":
        block.text.append(delta.opt_text("partial_json") or "")
    return []


def _block_stop(index: int, state: _State, freeform: set[str]) -> list[ResponseEvent]:
    block = state.blocks.get(index)
    if block is None:
        return []
    key = str(index)
    text = "".join(block.text)
    item: HistoryItem
    if block.kind == "text":
        item = AssistantMessage(text=text)
    elif block.kind in ("thinking", "redacted_thinking"):
        item = Reasoning(content=[text] if text else [], encrypted_content=block.signature)
    elif block.kind == "tool_use":
        arguments = text or "{}"
        if state.answer_tool and block.tool_name == ANSWER_TOOL:
            item = AssistantMessage(text=arguments)
        elif block.tool_name in freeform:
            item = CustomToolCall(
                call_id=block.tool_id, name=block.tool_name, input=freeform_input(arguments)
            )
        else:
            item = FunctionCall(call_id=block.tool_id, name=block.tool_name, arguments=arguments)
    else:
        return []
    return [OutputItemDone(key, item)]


def _stream_error(provider_id: str, error: Any) -> ProviderError:
    error = error if isinstance(error, dict) else {}
    kind = str(error.get("type", ""))
    message = quote(str(error.get("message", kind or "stream error")))
    if "prompt is too long" in message:
        return ContextWindowExceededError(f"{provider_id}: {message}. Compact the conversation.")
    retryable = kind in ("overloaded_error", "api_error", "rate_limit_error")
    return ProviderError(f"{provider_id}: {message}", retryable=retryable)


def _wire_messages(history: list[HistoryItem]) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []

    def add(role: str, block: dict[str, Any]) -> None:
        if messages and messages[-1]["role"] == role:
            messages[-1]["content"].append(block)
        else:
            messages.append({"role": role, "content": [block]})

    for item in history:
        if isinstance(item, UserMessage):
            for part in item.content:
                add("user", _user_block(part))
        elif isinstance(item, AssistantMessage):
            if item.text:
                add("assistant", {"type": "text", "text": item.text})
        elif isinstance(item, Reasoning):
            if item.encrypted_content:
                add(
                    "assistant",
                    {
                        "type": "thinking",
                        "thinking": "".join(item.content),
                        "signature": item.encrypted_content,
                    },
                )
        elif isinstance(item, FunctionCall):
            add(
                "assistant",
                {
                    "type": "tool_use",
                    "id": item.call_id,
                    "name": item.name,
                    "input": _json_object(item.arguments),
                },
            )
        elif isinstance(item, CustomToolCall):
            add(
                "assistant",
                {
                    "type": "tool_use",
                    "id": item.call_id,
                    "name": item.name,
                    "input": {"input": item.input},
                },
            )
        elif isinstance(item, FunctionCallOutput):
            add(
                "user",
                {
                    "type": "tool_result",
                    "tool_use_id": item.call_id,
                    "content": item.output,
                    "is_error": not item.success,
                },
            )
        elif isinstance(item, CustomToolCallOutput):
            add(
                "user", {"type": "tool_result", "tool_use_id": item.call_id, "content": item.output}
            )
    return messages


def _user_block(part: InputText | InputImage) -> dict[str, Any]:
    if isinstance(part, InputText):
        return {"type": "text", "text": part.text}
    url = part.image_url
    if url.startswith("data:"):
        header, _, data = url.partition(",")
        media_type = header[5:].split(";")[0]
        return {
            "type": "image",
            "source": {"type": "base64", "media_type": media_type, "data": data},
        }
    return {"type": "image", "source": {"type": "url", "url": url}}


def _json_object(arguments: str) -> dict[str, Any]:
    try:
        parsed = json.loads(arguments or "{}")
    except ValueError:
        return {"input": arguments}
    return parsed if isinstance(parsed, dict) else {"value": parsed}


def _wire_tool(tool: ToolSpec) -> dict[str, Any]:
    if isinstance(tool, FreeformToolSpec):
        return {
            "name": tool.name,
            "description": tool.description,
            "input_schema": FREEFORM_PARAMETERS,
        }
    return {"name": tool.name, "description": tool.description, "input_schema": tool.parameters}
