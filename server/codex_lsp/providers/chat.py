"""Chat Completions client (``wire_api = "chat"``): OpenAI-compatible servers such as Ollama,
vLLM, llama.cpp server, LM Studio and OpenRouter. Tool calls are assembled from argument deltas;
``reasoning_content`` / ``reasoning`` deltas become raw reasoning."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from codex_lsp.config.model import ModelProviderInfo
from codex_lsp.errors import InvalidResponseError, StreamDroppedError
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

_MESSAGE_KEY = "message"
_REASONING_KEY = "reasoning"


@dataclass
class _PendingCall:
    call_id: str = ""
    name: str = ""
    arguments: list[str] = field(default_factory=list)


@dataclass
class _StreamState:
    text: list[str] = field(default_factory=list)
    reasoning: list[str] = field(default_factory=list)
    calls: dict[int, _PendingCall] = field(default_factory=dict)
    usage: TokenUsage | None = None
    response_id: str | None = None
    finished: bool = False
    choices_seen: bool = False
    odd_chunk: str | None = None
    """The first chunk with neither choices nor usage, quoted for the error when no chunk had a
    choice (e.g. ``{"choices": null}``)."""
    stop: StopReason | None = None


class ChatClient:
    """Streams from an OpenAI-compatible ``/chat/completions`` endpoint."""

    def __init__(self, provider_id: str, info: ModelProviderInfo) -> None:
        self.provider_id = provider_id
        self._http = ProviderHttp(provider_id, info)

    def request_body(self, prompt: Prompt) -> dict[str, Any]:
        """The JSON body for ``prompt``."""
        body: dict[str, Any] = {
            "model": prompt.model,
            "messages": _wire_messages(prompt.instructions, prompt.input),
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        if prompt.tools:
            body["tools"] = [_wire_tool(t) for t in prompt.tools]
            body["tool_choice"] = "auto"
            body["parallel_tool_calls"] = prompt.parallel_tool_calls
        if prompt.effort is not None:
            body["reasoning_effort"] = prompt.effort.value
        if prompt.output_schema is not None:
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "output", "strict": True, "schema": prompt.output_schema},
            }
        return body

    async def stream(self, prompt: Prompt) -> AsyncIterator[ResponseEvent]:
        """One attempt: POST and assemble the streamed choice."""
        headers = self._http.headers()
        if self._http.api_key:
            headers["authorization"] = f"Bearer {self._http.api_key}"
        body = self.request_body(prompt)
        async with self._http.post_stream("/chat/completions", body, headers) as frames:
            async for event in self.translate(frames, prompt):
                yield event

    async def translate(
        self, frames: AsyncIterator[SSEFrame], prompt: Prompt
    ) -> AsyncIterator[ResponseEvent]:
        """The response events of a stream's chunks: deltas as they come, the items and
        ``Completed`` once ``[DONE]`` arrives."""
        freeform = {t.name for t in prompt.tools if isinstance(t, FreeformToolSpec)}
        state = _StreamState()
        async for frame in frames:
            if frame.data.strip() == "[DONE]":
                state.finished = True
                break
            chunk = Fields.of_frame(self.provider_id, frame, "a chat chunk")
            for event in _translate_chunk(chunk, state):
                yield event
        if not state.finished:
            raise StreamDroppedError(f"{self.provider_id}: stream closed before [DONE]")
        if not state.choices_seen:
            what = f" (it sent {state.odd_chunk})" if state.odd_chunk else ""
            raise InvalidResponseError(
                f"{self.provider_id}: the stream ended ([DONE]) without a single choice, so "
                f"there is no answer{what}; check that base_url is an OpenAI-compatible chat "
                "endpoint"
            )
        for event in _finish(state, freeform):
            yield event

    async def aclose(self) -> None:
        """Close connections."""
        await self._http.aclose()


_FINISH = {"length": StopReason.MAX_TOKENS, "content_filter": StopReason.REFUSAL}


def _translate_chunk(chunk: Fields, state: _StreamState) -> list[ResponseEvent]:
    events: list[ResponseEvent] = []
    state.response_id = chunk.ident("id") or state.response_id
    usage = chunk.opt_obj("usage")
    if usage.data:
        state.usage = _usage(usage)
    choices = chunk.objs("choices")
    if choices:
        state.choices_seen = True
    elif state.odd_chunk is None and not usage.data:
        state.odd_chunk = quote(chunk.data)
    for choice in choices:
        delta = choice.opt_obj("delta")
        thinking = delta.opt_text("reasoning_content") or delta.opt_text("reasoning")
        if thinking:
            if not state.reasoning:
                events.append(OutputItemAdded(_REASONING_KEY, "reasoning"))
            state.reasoning.append(thinking)
            events.append(ReasoningContentDelta(_REASONING_KEY, thinking))
        stop = _FINISH.get(str(choice.opt_text("finish_reason")))
        state.stop = stop or state.stop
        refusal = delta.opt_text("refusal")
        if refusal:
            state.stop = StopReason.REFUSAL
        content = delta.opt_text("content") or refusal
        if content:
            if not state.text:
                events.append(OutputItemAdded(_MESSAGE_KEY, "message"))
            state.text.append(content)
            events.append(OutputTextDelta(_MESSAGE_KEY, content))
        for call in delta.objs("tool_calls"):
            pending = state.calls.setdefault(call.opt_index("index"), _PendingCall())
            pending.call_id = call.ident("id") or pending.call_id
            function = call.opt_obj("function")
            pending.name = function.opt_text("name") or pending.name
            arguments = function.data.get("arguments")
            if isinstance(arguments, dict):  # some servers send the arguments parsed
                arguments = json.dumps(arguments)
            elif arguments is not None:
                arguments = function.opt_text("arguments")
            if arguments:
                pending.arguments.append(arguments)
    return events


def _finish(state: _StreamState, freeform: set[str]) -> list[ResponseEvent]:
    events: list[ResponseEvent] = []
    if state.reasoning:
        events.append(OutputItemDone(_REASONING_KEY, Reasoning(content=["".join(state.reasoning)])))
    if state.text:
        events.append(OutputItemDone(_MESSAGE_KEY, AssistantMessage(text="".join(state.text))))
    for index, call in sorted(state.calls.items()):
        key = f"call-{index}"
        arguments = "".join(call.arguments)
        call_id = call.call_id or f"call_{index}"
        item: HistoryItem
        if call.name in freeform:
            item = CustomToolCall(call_id=call_id, name=call.name, input=freeform_input(arguments))
        else:
            item = FunctionCall(call_id=call_id, name=call.name, arguments=arguments)
        events.append(OutputItemAdded(key, "tool_call"))
        events.append(OutputItemDone(key, item))
    events.append(Completed(state.response_id, state.usage, state.stop))
    return events


def _usage(raw: Fields) -> TokenUsage:
    return TokenUsage(
        input_tokens=raw.count("prompt_tokens"),
        cached_input_tokens=raw.opt_obj("prompt_tokens_details").count("cached_tokens"),
        output_tokens=raw.count("completion_tokens"),
        reasoning_output_tokens=raw.opt_obj("completion_tokens_details").count("reasoning_tokens"),
        total_tokens=raw.count("total_tokens"),
    )


def _wire_messages(instructions: str, history: list[HistoryItem]) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = [{"role": "system", "content": instructions}]
    for item in history:
        if isinstance(item, UserMessage):
            messages.append({"role": "user", "content": _user_content(item)})
        elif isinstance(item, AssistantMessage):
            messages.append({"role": "assistant", "content": item.text})
        elif isinstance(item, FunctionCall | CustomToolCall):
            arguments = (
                item.arguments
                if isinstance(item, FunctionCall)
                else json.dumps({"input": item.input})
            )
            call = {
                "id": item.call_id,
                "type": "function",
                "function": {"name": item.name, "arguments": arguments},
            }
            last = messages[-1]
            if last["role"] == "assistant":
                last.setdefault("tool_calls", []).append(call)
            else:
                messages.append({"role": "assistant", "content": None, "tool_calls": [call]})
        elif isinstance(item, FunctionCallOutput | CustomToolCallOutput):
            messages.append({"role": "tool", "tool_call_id": item.call_id, "content": item.output})
    return messages


def _user_content(item: UserMessage) -> str | list[dict[str, Any]]:
    if all(isinstance(p, InputText) for p in item.content):
        return item.text()
    parts: list[dict[str, Any]] = []
    for part in item.content:
        if isinstance(part, InputText):
            parts.append({"type": "text", "text": part.text})
        elif isinstance(part, InputImage):
            parts.append({"type": "image_url", "image_url": {"url": part.image_url}})
    return parts


def _wire_tool(tool: ToolSpec) -> dict[str, Any]:
    if isinstance(tool, FreeformToolSpec):
        return {
            "type": "function",
            "function": {
                "name": tool.name,
                "description": tool.description,
                "parameters": FREEFORM_PARAMETERS,
            },
        }
    return {
        "type": "function",
        "function": {
            "name": tool.name,
            "description": tool.description,
            "parameters": tool.parameters,
        },
    }
