"""Renders a :class:`Reply` as the SSE frames each real API sends: OpenAI Responses, Chat
Completions and Anthropic Messages. Frames are produced lazily, one at a time, so a timestamped
delta carries the time it is written."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

from codex_lsp.testing.script import Drop, Raw, Reasoning, Reply, Stall, Text, ToolCall

Frame = bytes | Drop | Stall


def _sse(event: str | None, data: Any) -> bytes:
    head = f"event: {event}\n" if event else ""
    body = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
    return f"{head}data: {body}\n\n".encode()


def _verbatim(step: Drop | Stall | Raw) -> Frame:
    """A step that is not content: written (or done) as it is, whatever the wire."""
    return step.data if isinstance(step, Raw) else step


TIMESTAMP = "@@ts@@"
"""Replaced by the server's ``perf_counter_ns`` at the moment the frame is written."""


def _text_deltas(step: Text) -> Iterator[str]:
    if step.timestamped:
        for _ in range(step.timestamped):
            yield f"{TIMESTAMP} "
        return
    yield from step.deltas()


def _arguments(call: ToolCall) -> str:
    return call.arguments if isinstance(call.arguments, str) else json.dumps(call.arguments)


def _id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:24]}"


# ---------------------------------------------------------------- OpenAI Responses


class _ResponsesStream:
    """Sequence numbers and collected output of one Responses API stream."""

    def __init__(self) -> None:
        self.seq = 0
        self.output: list[dict[str, Any]] = []

    def ev(self, kind: str, **fields: Any) -> bytes:
        self.seq += 1
        return _sse(kind, {"type": kind, "sequence_number": self.seq, **fields})

    def done(self, index: int, item: dict[str, Any]) -> bytes:
        self.output.append(item)
        return self.ev("response.output_item.done", output_index=index, item=item)

    def text(self, index: int, step: Text, refusal: bool = False) -> Iterator[Frame]:
        item_id = _id("msg")
        where = {"item_id": item_id, "output_index": index, "content_index": 0}
        item = {"id": item_id, "type": "message", "status": "in_progress", "role": "assistant"}
        yield self.ev(
            "response.output_item.added", output_index=index, item={**item, "content": []}
        )
        kind, field = ("refusal", "refusal") if refusal else ("output_text", "text")
        part: dict[str, Any] = {"type": kind, field: ""}
        if not refusal:
            part["annotations"] = []
        yield self.ev("response.content_part.added", **where, part=part)
        text = []
        for delta in _text_deltas(step):
            text.append(delta)
            yield self.ev(f"response.{kind}.delta", **where, delta=delta, logprobs=[])
        full = "".join(text)
        yield self.ev(f"response.{kind}.done", **where, **{field: full}, logprobs=[])
        yield self.ev("response.content_part.done", **where, part={**part, field: full})
        yield self.done(index, {**item, "status": "completed", "content": [{**part, field: full}]})

    def reasoning(self, index: int, step: Reasoning) -> Iterator[Frame]:
        item_id = _id("rs")
        where = {"item_id": item_id, "output_index": index}
        added = {"id": item_id, "type": "reasoning", "summary": []}
        yield self.ev("response.output_item.added", output_index=index, item=added)
        for si, summary in enumerate(step.summary):
            part = {"type": "summary_text", "text": ""}
            yield self.ev(
                "response.reasoning_summary_part.added", **where, summary_index=si, part=part
            )
            yield self.ev(
                "response.reasoning_summary_text.delta", **where, summary_index=si, delta=summary
            )
            yield self.ev(
                "response.reasoning_summary_text.done", **where, summary_index=si, text=summary
            )
        if step.raw:
            yield self.ev("response.reasoning_text.delta", **where, content_index=0, delta=step.raw)
        done: dict[str, Any] = {
            "id": item_id,
            "type": "reasoning",
            "summary": [{"type": "summary_text", "text": s} for s in step.summary],
            "encrypted_content": "gAAAA-fake-encrypted",
        }
        if step.raw:
            done["content"] = [{"type": "reasoning_text", "text": step.raw}]
        yield self.done(index, done)

    def tool_call(self, index: int, step: ToolCall) -> Iterator[Frame]:
        call_id = step.call_id or _id("call")
        freeform = step.freeform_input is not None
        item_id = _id("ctc" if freeform else "fc")
        where = {"item_id": item_id, "output_index": index}
        base = {"id": item_id, "status": "in_progress", "call_id": call_id, "name": step.name}
        if freeform:
            item = {**base, "type": "custom_tool_call", "input": ""}
            yield self.ev("response.output_item.added", output_index=index, item=item)
            payload = step.freeform_input or ""
            yield self.ev("response.custom_tool_call_input.delta", **where, delta=payload)
            yield self.done(index, {**item, "status": "completed", "input": payload})
            return
        item = {**base, "type": "function_call", "arguments": ""}
        yield self.ev("response.output_item.added", output_index=index, item=item)
        args = _arguments(step)
        half = len(args) // 2
        for piece in (args[:half], args[half:]):
            yield self.ev("response.function_call_arguments.delta", **where, delta=piece)
        yield self.ev("response.function_call_arguments.done", **where, arguments=args)
        yield self.done(index, {**item, "status": "completed", "arguments": args})


def responses_frames(reply: Reply, model: str) -> Iterator[Frame]:
    """``POST /v1/responses`` with ``stream: true``."""
    stream = _ResponsesStream()
    base = {
        "id": _id("resp"),
        "object": "response",
        "created_at": int(time.time()),
        "model": model,
        "output": [],
    }
    yield stream.ev("response.created", response={**base, "status": "in_progress"})
    yield stream.ev("response.in_progress", response={**base, "status": "in_progress"})
    for index, step in enumerate(reply.steps):
        if isinstance(step, Drop | Stall | Raw):
            yield _verbatim(step)
        elif isinstance(step, Text):
            yield from stream.text(index, step, refusal=reply.stop == "refusal")
        elif isinstance(step, Reasoning):
            yield from stream.reasoning(index, step)
        elif isinstance(step, ToolCall):
            yield from stream.tool_call(index, step)
    usage = {
        "input_tokens": reply.input_tokens,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": reply.output_tokens,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": reply.input_tokens + reply.output_tokens,
    }
    if reply.stop == "max_tokens":
        incomplete = {
            **base,
            "status": "incomplete",
            "incomplete_details": {"reason": "max_output_tokens"},
            "output": stream.output,
            "usage": usage,
        }
        yield stream.ev("response.incomplete", response=incomplete)
        return
    completed = {**base, "status": "completed", "output": stream.output, "usage": usage}
    yield stream.ev("response.completed", response=completed)


# ---------------------------------------------------------------- Chat Completions


def chat_frames(reply: Reply, model: str) -> Iterator[Frame]:
    """``POST /v1/chat/completions`` with ``stream: true`` and usage in the last chunk."""
    chunk_id = _id("chatcmpl")
    created = int(time.time())

    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        body = {
            "id": chunk_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "system_fingerprint": "fp_fake",
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        }
        return _sse(None, body)

    yield chunk({"role": "assistant", "content": ""})
    tool_index = 0
    for step in reply.steps:
        if isinstance(step, Drop | Stall | Raw):
            yield _verbatim(step)
        elif isinstance(step, Text):
            for delta in _text_deltas(step):
                yield chunk({"content": delta})
        elif isinstance(step, Reasoning):
            text = step.raw or "\n".join(step.summary)
            yield chunk({"reasoning_content": text})
        elif isinstance(step, ToolCall):
            args = (
                json.dumps({"input": step.freeform_input})
                if step.freeform_input is not None
                else _arguments(step)
            )
            first = {
                "index": tool_index,
                "id": step.call_id or _id("call"),
                "type": "function",
                "function": {"name": step.name, "arguments": ""},
            }
            yield chunk({"tool_calls": [first]})
            half = len(args) // 2
            for piece in (args[:half], args[half:]):
                yield chunk(
                    {"tool_calls": [{"index": tool_index, "function": {"arguments": piece}}]}
                )
            tool_index += 1
    finish = {"max_tokens": "length", "refusal": "content_filter"}.get(reply.stop or "")
    yield chunk({}, finish or ("tool_calls" if tool_index else "stop"))
    usage = {
        "prompt_tokens": reply.input_tokens,
        "completion_tokens": reply.output_tokens,
        "total_tokens": reply.input_tokens + reply.output_tokens,
        "prompt_tokens_details": {"cached_tokens": 0},
    }
    yield _sse(
        None,
        {
            "id": chunk_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [],
            "usage": usage,
        },
    )
    yield _sse(None, "[DONE]")


# ---------------------------------------------------------------- Anthropic Messages


def anthropic_frames(reply: Reply, model: str) -> Iterator[Frame]:
    """``POST /v1/messages`` with ``stream: true``."""
    message: dict[str, Any] = {
        "id": _id("msg"),
        "type": "message",
        "role": "assistant",
        "content": [],
        "model": model,
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {
            "input_tokens": reply.input_tokens,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
            "output_tokens": 1,
        },
    }
    yield _sse("message_start", {"type": "message_start", "message": message})
    index = 0
    used_tools = False
    for step in reply.steps:
        if isinstance(step, Drop | Stall | Raw):
            yield _verbatim(step)
            continue
        if isinstance(step, Text):
            yield _sse(
                "content_block_start",
                {
                    "type": "content_block_start",
                    "index": index,
                    "content_block": {"type": "text", "text": ""},
                },
            )
            yield _sse("ping", {"type": "ping"})
            for delta in _text_deltas(step):
                yield _sse(
                    "content_block_delta",
                    {
                        "type": "content_block_delta",
                        "index": index,
                        "delta": {"type": "text_delta", "text": delta},
                    },
                )
        elif isinstance(step, Reasoning):
            text = step.raw or "\n".join(step.summary)
            yield _sse(
                "content_block_start",
                {
                    "type": "content_block_start",
                    "index": index,
                    "content_block": {"type": "thinking", "thinking": ""},
                },
            )
            yield _sse(
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": index,
                    "delta": {"type": "thinking_delta", "thinking": text},
                },
            )
            yield _sse(
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": index,
                    "delta": {
                        "type": "signature_delta",
                        "signature": "EqQBCgIYAhIM-fake-signature",
                    },
                },
            )
        elif isinstance(step, ToolCall):
            used_tools = True
            args = (
                json.dumps({"input": step.freeform_input})
                if step.freeform_input is not None
                else _arguments(step)
            )
            block = {
                "type": "tool_use",
                "id": step.call_id or _id("toolu"),
                "name": step.name,
                "input": {},
            }
            yield _sse(
                "content_block_start",
                {"type": "content_block_start", "index": index, "content_block": block},
            )
            half = len(args) // 2
            for piece in (args[:half], args[half:]):
                yield _sse(
                    "content_block_delta",
                    {
                        "type": "content_block_delta",
                        "index": index,
                        "delta": {"type": "input_json_delta", "partial_json": piece},
                    },
                )
        yield _sse("content_block_stop", {"type": "content_block_stop", "index": index})
        index += 1
    stop = reply.stop or ("tool_use" if used_tools else "end_turn")
    yield _sse(
        "message_delta",
        {
            "type": "message_delta",
            "delta": {"stop_reason": stop, "stop_sequence": None},
            "usage": {"output_tokens": reply.output_tokens},
        },
    )
    yield _sse("message_stop", {"type": "message_stop"})


def error_body(path: str, status: int, message: str, code: str | None) -> dict[str, Any]:
    """The JSON error body each API sends with a non-2xx status."""
    if path.endswith("/messages"):
        kind = {401: "authentication_error", 429: "rate_limit_error", 529: "overloaded_error"}.get(
            status, "api_error"
        )
        return {"type": "error", "error": {"type": code or kind, "message": message}}
    kind = "invalid_request_error" if status < 500 else "server_error"
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}
