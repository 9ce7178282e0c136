"""The history in the OpenAI Responses API's item shape, which is also the shape of the items
in Codex CLI rollout files: the Responses provider sends and reads it, the store reads and writes
rollouts with it."""

from __future__ import annotations

from typing import Any

from codex_lsp.protocol.history import (
    AssistantMessage,
    ContentPart,
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


def text_parts(content: Any) -> list[str]:
    """The text of the text parts of a content list."""
    return [
        str(part.get("text", part.get("refusal", "")))
        for part in content or []
        if isinstance(part, dict)
        and str(part.get("type", "")).lower() in ("input_text", "output_text", "text", "refusal")
    ]


def parse_responses_item(p: dict[str, Any]) -> HistoryItem | None:
    """A Responses API item as a history item (None for kinds the history does not keep, and
    for developer and system messages, which are instructions)."""
    kind = p.get("type")
    if kind == "message":
        if p.get("role") in ("developer", "system"):
            return None
        if p.get("role", "assistant") == "assistant":  # model output items are assistant
            return AssistantMessage(text="".join(text_parts(p.get("content"))))
        parts: list[ContentPart] = []
        for part in p.get("content") or []:
            if not isinstance(part, dict):
                continue
            if part.get("type") == "input_image" and part.get("image_url"):
                parts.append(InputImage(image_url=str(part["image_url"])))
            elif part.get("type") in ("input_text", "output_text", "text"):
                parts.append(InputText(text=str(part.get("text", ""))))
        return UserMessage(content=parts)
    if kind == "reasoning":
        return Reasoning(
            summary=_text_parts_of(p.get("summary"), "summary_text"),
            content=_text_parts_of(p.get("content"), "reasoning_text"),
            encrypted_content=p.get("encrypted_content"),
        )
    if kind == "function_call":
        return FunctionCall(
            call_id=str(p.get("call_id")), name=str(p.get("name")), arguments=p.get("arguments", "")
        )
    if kind == "function_call_output":
        output = p.get("output")
        success = True
        if isinstance(output, dict):
            success = output.get("success") is not False
            output = output.get("content", "")
        if isinstance(output, list):
            output = "\n".join(text_parts(output))
        return FunctionCallOutput(
            call_id=str(p.get("call_id")), output=str(output), success=success
        )
    if kind == "custom_tool_call":
        return CustomToolCall(
            call_id=str(p.get("call_id")), name=str(p.get("name")), input=str(p.get("input", ""))
        )
    if kind == "custom_tool_call_output":
        output = p.get("output")
        if isinstance(output, list):
            output = "\n".join(text_parts(output))
        return CustomToolCallOutput(call_id=str(p.get("call_id")), output=str(output or ""))
    return None


def _text_parts_of(parts: Any, kind: str) -> list[str]:
    return [
        str(part.get("text", ""))
        for part in parts or []
        if isinstance(part, dict) and part.get("type") == kind
    ]


def responses_item(item: HistoryItem) -> dict[str, Any]:
    """A history item in the Responses API's item shape."""
    if isinstance(item, UserMessage):
        content = [
            {"type": "input_text", "text": p.text}
            if isinstance(p, InputText)
            else {"type": "input_image", "image_url": p.image_url}
            for p in item.content
        ]
        return {"type": "message", "role": "user", "content": content}
    if isinstance(item, AssistantMessage):
        return {
            "type": "message",
            "role": "assistant",
            "content": [{"type": "output_text", "text": item.text}],
        }
    if isinstance(item, Reasoning):
        return {
            "type": "reasoning",
            "summary": [{"type": "summary_text", "text": t} for t in item.summary],
            "content": [{"type": "reasoning_text", "text": t} for t in item.content] or None,
            "encrypted_content": item.encrypted_content,
        }
    if isinstance(item, FunctionCall):
        return {
            "type": "function_call",
            "name": item.name,
            "arguments": item.arguments,
            "call_id": item.call_id,
        }
    if isinstance(item, FunctionCallOutput):
        return {"type": "function_call_output", "call_id": item.call_id, "output": item.output}
    if isinstance(item, CustomToolCall):
        return {
            "type": "custom_tool_call",
            "call_id": item.call_id,
            "name": item.name,
            "input": item.input,
        }
    return {"type": "custom_tool_call_output", "call_id": item.call_id, "output": item.output}
