"""``exec --json --json-format codex``: this server's events as the JSONL lines of ``codex exec
--json`` (``thread.started``, ``turn.started``, ``item.started`` / ``item.updated`` /
``item.completed``, ``turn.completed``, ``turn.failed``, ``error``), with Codex's item types,
fields and ``item_N`` ids, so a CI script written for Codex reads them unchanged."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

from codex_lsp.protocol.codex_exec import (
    AgentMessage,
    CodexLine,
    CommandExecution,
    ErrorItem,
    FileChange,
    FileUpdate,
    Item,
    ItemCompleted,
    ItemStarted,
    ItemState,
    ItemUpdated,
    McpResult,
    McpToolCall,
    Message,
    Reasoning,
    StreamError,
    ThreadStarted,
    TodoItem,
    TodoList,
    TurnCompleted,
    TurnFailed,
    TurnStarted,
    Usage,
)
from codex_lsp.protocol.events import (
    ErrorEvent,
    EventEnvelope,
    ExitedReviewModeEvent,
    ItemCompletedEvent,
    ItemStartedEvent,
    SessionConfiguredEvent,
    TaskCompleteEvent,
    TaskStartedEvent,
    TokenCountEvent,
    TurnAbortedEvent,
    WarningEvent,
)
from codex_lsp.protocol.items import (
    AgentMessageItem,
    CommandExecutionItem,
    FileChangeItem,
    ItemStatus,
    McpToolCallItem,
    PlanStatus,
    PlanUpdateItem,
    ReasoningItem,
    TokenUsage,
    TurnItem,
)

_STATES: dict[ItemStatus, ItemState] = {
    ItemStatus.IN_PROGRESS: "in_progress",
    ItemStatus.COMPLETED: "completed",
    ItemStatus.FAILED: "failed",
    ItemStatus.DECLINED: "declined",
}


class CodexJsonl:
    """Turns events into Codex's lines; call it with each event, print what it returns."""

    def __init__(self) -> None:
        self._ids: dict[str, str] = {}
        self._cwd = Path("/")
        self._usage_at_start = TokenUsage()
        self._usage = TokenUsage()
        self._error: str | None = None
        self._todo: TodoList | None = None
        self._thread_started = False

    def __call__(self, event: EventEnvelope) -> list[CodexLine]:
        """The lines ``event`` gives (none for most)."""
        msg = event.msg
        if isinstance(msg, SessionConfiguredEvent):
            self._cwd = msg.cwd
            if self._thread_started:
                return []
            self._thread_started = True
            return [ThreadStarted(thread_id=event.conversation_id)]
        if isinstance(msg, TaskStartedEvent):
            self._usage_at_start, self._error, self._todo = self._usage, None, None
            return [TurnStarted()]
        if isinstance(msg, TokenCountEvent) and msg.info is not None:
            self._usage = msg.info.total_token_usage
            return []
        if isinstance(msg, WarningEvent):
            return [ItemCompleted(item=ErrorItem(id=self._next_id(), message=msg.message))]
        if isinstance(msg, ErrorEvent):
            self._error = msg.message
            return [StreamError(message=msg.message)]
        if isinstance(msg, ItemStartedEvent | ItemCompletedEvent):
            return self._item(msg.item, started=isinstance(msg, ItemStartedEvent))
        if isinstance(msg, ExitedReviewModeEvent) and msg.review_output:
            return [ItemCompleted(item=AgentMessage(id=self._next_id(), text=msg.review_output))]
        if isinstance(msg, TaskCompleteEvent):
            return [*self._close_todo(), self._turn_end()]
        if isinstance(msg, TurnAbortedEvent):
            self._error = self._error or f"turn aborted: {msg.reason}"
            return [*self._close_todo(), self._turn_end()]
        return []

    def _turn_end(self) -> CodexLine:
        if self._error is not None:
            return TurnFailed(error=Message(message=self._error))
        used = self._usage
        start = self._usage_at_start
        return TurnCompleted(
            usage=Usage(
                input_tokens=used.input_tokens - start.input_tokens,
                cached_input_tokens=used.cached_input_tokens - start.cached_input_tokens,
                output_tokens=used.output_tokens - start.output_tokens,
                reasoning_output_tokens=used.reasoning_output_tokens
                - start.reasoning_output_tokens,
            )
        )

    def _next_id(self, ours: str | None = None) -> str:
        if ours is not None and ours in self._ids:
            return self._ids[ours]
        theirs = f"item_{len(self._ids)}"
        self._ids[ours or theirs] = theirs
        return theirs

    def _item(self, item: TurnItem, started: bool) -> list[CodexLine]:
        if isinstance(item, PlanUpdateItem):
            return self._plan(item) if not started else []
        converted = self._convert(item)
        if converted is None:
            return []
        if started:
            # Codex announces only the items that run for a while; messages and reasoning
            # arrive once, complete.
            if isinstance(converted, AgentMessage | Reasoning):
                return []
            return [ItemStarted(item=converted)]
        return [ItemCompleted(item=converted)]

    def _convert(self, item: TurnItem) -> Item | None:
        if isinstance(item, AgentMessageItem):
            return AgentMessage(id=self._next_id(item.id), text=item.text)
        if isinstance(item, ReasoningItem):
            text = "\n\n".join(item.summary_text or item.raw_content)
            return Reasoning(id=self._next_id(item.id), text=text) if text else None
        if isinstance(item, CommandExecutionItem):
            return CommandExecution(
                id=self._next_id(item.id),
                command=shlex.join(item.command),
                aggregated_output=item.aggregated_output or "",
                exit_code=item.exit_code,
                status=_STATES[item.status],
            )
        if isinstance(item, FileChangeItem):
            status = _STATES[item.status]
            return FileChange(
                id=self._next_id(item.id),
                changes=[
                    FileUpdate(path=str(self._cwd / path), kind=change.type)
                    for path, change in item.changes.items()
                ],
                status="failed" if status == "declined" else status,
            )
        if isinstance(item, McpToolCallItem):
            mcp_status = _STATES[item.status]
            return McpToolCall(
                id=self._next_id(item.id),
                server=item.server,
                tool=item.tool,
                arguments=item.arguments,
                result=_mcp_result(item.result),
                error=Message(message=item.error) if item.error else None,
                status="failed" if mcp_status == "declined" else mcp_status,
            )
        return None  # the user's own message, a compaction: Codex prints no item for them

    def _plan(self, item: PlanUpdateItem) -> list[CodexLine]:
        steps = [
            TodoItem(text=step.step, completed=step.status == PlanStatus.COMPLETED)
            for step in item.plan
        ]
        if self._todo is None:
            self._todo = TodoList(id=self._next_id(), items=steps)
            return [ItemStarted(item=self._todo)]
        self._todo = TodoList(id=self._todo.id, items=steps)
        return [ItemUpdated(item=self._todo)]

    def _close_todo(self) -> list[CodexLine]:
        todo, self._todo = self._todo, None
        return [ItemCompleted(item=todo)] if todo is not None else []


def _mcp_result(result: Any) -> McpResult | None:
    if not isinstance(result, dict):
        return None
    content = result.get("content")
    return McpResult(
        content=content if isinstance(content, list) else [],
        structured_content=result.get("structuredContent", result.get("structured_content")),
    )
