"""One call shown as an ``mcpToolCall`` item: begun, then finished with its result or error and
how long it took. MCP servers' tools and the web tools (server ``web``) show their calls so;
this is the one place that builds the item and its two events."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from codex_lsp.protocol.events import McpToolCallBeginEvent, McpToolCallEndEvent
from codex_lsp.protocol.items import ItemStatus, McpInvocation, McpToolCallItem
from codex_lsp.tools.lifecycle import ToolCallLife
from codex_lsp.tools.registry import ToolInvocation, ToolOutput


@dataclass(frozen=True)
class CallOutcome:
    """What a call gave: the model's output, and the item's result (JSON) or error."""

    output: ToolOutput
    result: dict[str, Any] | None = None
    error: str | None = None


async def run_as_mcp_item(
    life: ToolCallLife,
    invocation: ToolInvocation,
    item_id: str,
    called: McpInvocation,
    work: Callable[[], Awaitable[CallOutcome]],
) -> ToolOutput:
    """Run ``work`` as the item ``item_id`` of ``called`` (server, tool, arguments)."""
    session = life.session
    item = McpToolCallItem(
        id=item_id, server=called.server, tool=called.tool, arguments=called.arguments
    )
    life.start(
        item,
        McpToolCallBeginEvent(
            turn_id=session.turn_id,
            item_id=item_id,
            call_id=invocation.call_id,
            invocation=called,
        ),
    )
    started = time.monotonic()
    outcome = await work()
    duration = int((time.monotonic() - started) * 1000)
    ok = outcome.error is None and outcome.output.success
    life.finish(
        McpToolCallEndEvent(
            turn_id=session.turn_id,
            item_id=item_id,
            call_id=invocation.call_id,
            invocation=called,
            duration_ms=duration,
            result=outcome.result,
            error=outcome.error,
        ),
        item.model_copy(
            update={
                "status": ItemStatus.COMPLETED if ok else ItemStatus.FAILED,
                "result": outcome.result,
                "error": outcome.error,
                "duration_ms": duration,
            }
        ),
    )
    return outcome.output
