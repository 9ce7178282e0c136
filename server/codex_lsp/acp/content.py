"""The pieces of ACP ``session/update`` payloads that need no memory of the session: text
chunks (and the per-token notification encoded directly), a command's title, kind and output
block, MCP content, plan states and token usage."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

from codex_lsp.protocol.events import TokenCountEvent
from codex_lsp.protocol.items import ParsedCommand, ParsedRead, ParsedUnknown, PlanStatus

Update = dict[str, Any]
LIVE_OUTPUT_MAX = 64 * 1024
"""Characters of a command's output kept in its tool call (the tail; content is re-sent whole
on each update, as ACP's content replaces)."""


def text_chunk(kind: str, text: str, message_id: str | None = None) -> Update:
    """A message, thought or user chunk of text."""
    update: Update = {"sessionUpdate": kind, "content": {"type": "text", "text": text}}
    if message_id:
        update["messageId"] = message_id
    return update


def chunk_json(session_id: str, kind: str, text: str, message_id: str) -> str:
    """A whole ``session/update`` notification for a streamed chunk, encoded without building
    any object (the per-token path)."""
    return (
        '{"jsonrpc":"2.0","method":"session/update","params":{"sessionId":'
        f'{json.dumps(session_id)},"update":{{"sessionUpdate":"{kind}","content":'
        f'{{"type":"text","text":{json.dumps(text, ensure_ascii=False)}}},'
        f'"messageId":{json.dumps(message_id)}}}}}}}'
    )


def command_title(argv: list[str]) -> str:
    """The command as the user would type it (a ``bash -lc`` script as itself)."""
    if len(argv) == 3 and Path(argv[0]).name in ("bash", "sh", "zsh") and argv[1] in ("-c", "-lc"):
        return argv[2]
    return shlex.join(argv)


def command_kind(parsed: list[ParsedCommand]) -> str:
    """read (only reads files), search (lists or searches), else execute."""
    if not parsed or any(isinstance(p, ParsedUnknown) for p in parsed):
        return "execute"
    return "read" if all(isinstance(p, ParsedRead) for p in parsed) else "search"


def fence(text: str) -> str:
    """A command's output as a ``sh`` code block: its last LIVE_OUTPUT_MAX characters."""
    tail = text[-LIVE_OUTPUT_MAX:]
    cut = "[… earlier output left out …]\n" if len(text) > LIVE_OUTPUT_MAX else ""
    return f"```sh\n{cut}{tail.rstrip()}\n```" if tail else ""


def text_content(text: str) -> list[dict[str, Any]]:
    """``text`` as a tool call's content (none when empty)."""
    return [{"type": "content", "content": {"type": "text", "text": text}}] if text else []


PLAN_STATUS = {
    PlanStatus.PENDING: "pending",
    PlanStatus.IN_PROGRESS: "in_progress",
    PlanStatus.COMPLETED: "completed",
}
"""Our plan step states as ACP spells them (its values are snake_case, ours camelCase)."""


def mcp_block(block: Any) -> dict[str, Any] | None:
    """An MCP content item as an ACP content block (their shapes are MCP's in both)."""
    if not isinstance(block, dict):
        return None
    kind = block.get("type")
    if kind == "text":
        return {"type": "text", "text": str(block.get("text", ""))}
    if kind in ("image", "audio") and block.get("data") and block.get("mimeType"):
        return {"type": kind, "data": block["data"], "mimeType": block["mimeType"]}
    if kind == "resource_link" and block.get("uri"):
        return {
            "type": "resource_link",
            "uri": block["uri"],
            "name": block.get("name") or block["uri"],
        }
    if kind == "resource" and isinstance(block.get("resource"), dict):
        resource = block["resource"]
        if "text" in resource or "blob" in resource:
            return {"type": "resource", "resource": resource}
    return None


def usage_update(msg: TokenCountEvent) -> list[Update]:
    """The context's size and use (and the cost, when known) as a ``usage_update``."""
    info = msg.info
    if info is None or not info.model_context_window:
        return []
    update: Update = {
        "sessionUpdate": "usage_update",
        "used": info.context_tokens,
        "size": info.model_context_window,
    }
    if info.cost_usd is not None:
        update["cost"] = {"amount": round(info.cost_usd, 6), "currency": "USD"}
    return [update]
