"""The core's events as ACP ``session/update`` payloads, for live turns and for the replay of a
stored conversation (``session/load``).

- message and reasoning deltas → ``agent_message_chunk`` / ``agent_thought_chunk`` (the complete
  message only when no delta of it was seen: a replay, or a provider that did not stream);
- commands → ``tool_call`` (the real command as the title, kind read / search / execute from the
  parsed command, the files read as locations) with the output streamed as content (or, for Zed,
  through ``_meta.terminal_output``), then ``completed`` / ``failed``;
- patches → ``tool_call`` kind edit / delete / move with a location per file and ``diff``
  content once, then status only (content again only with a failure's reason);
- MCP calls → ``tool_call`` titled ``server/tool`` with the result's content;
- plans → ``plan``; token counts → ``usage_update``; compaction and undo results → a
  message chunk (a review's findings stream as its message); warnings and retries → a thought
  chunk.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codex_lsp.acp import diffs
from codex_lsp.acp.capabilities import ClientFeatures
from codex_lsp.acp.content import (
    LIVE_OUTPUT_MAX,
    PLAN_STATUS,
    Update,
    chunk_json,
    command_kind,
    command_title,
    fence,
    mcp_block,
    text_chunk,
    text_content,
    usage_update,
)
from codex_lsp.protocol.events import (
    AgentMessageDeltaEvent,
    AgentMessageEvent,
    AgentReasoningDeltaEvent,
    AgentReasoningEvent,
    AgentReasoningRawContentDeltaEvent,
    AgentReasoningRawContentEvent,
    AgentReasoningSectionBreakEvent,
    ApplyPatchApprovalRequestEvent,
    ContextCompactedEvent,
    ExecApprovalRequestEvent,
    ExecCommandBeginEvent,
    ExecCommandEndEvent,
    ExecCommandOutputDeltaEvent,
    McpToolCallBeginEvent,
    McpToolCallEndEvent,
    PatchApplyBeginEvent,
    PatchApplyEndEvent,
    PlanUpdateEvent,
    StreamErrorEvent,
    TokenCountEvent,
    UndoCompletedEvent,
    UserMessageEvent,
    ViewImageToolCallEvent,
    WarningEvent,
)
from codex_lsp.protocol.items import (
    ItemStatus,
    ParsedCommand,
    ParsedRead,
)
from codex_lsp.protocol.policies import ReviewDecision

DENIALS = (ReviewDecision.DENIED, ReviewDecision.DENIED_ALWAYS, ReviewDecision.ABORT)


@dataclass
class _Call:
    """A tool call the client has been told about."""

    kind: str
    finished: bool = False
    content: list[dict[str, Any]] = field(default_factory=list)
    output: str = ""
    terminal: str | None = None
    """The id of the client terminal the command runs in, if it does."""


class Renderer:
    """One session's events → updates, with what it needs to remember between them."""

    def __init__(
        self, cwd: Path, features: ClientFeatures, known: Callable[[Path], str | None]
    ) -> None:
        self.cwd = cwd
        self.features = features
        self._known = known
        self._calls: dict[str, _Call] = {}
        self._streamed: set[str] = set()
        self.titled = False

    # ---------------------------------------------------------------- tool calls
    def _start(self, call_id: str, kind: str, update: Update) -> Update:
        """A ``tool_call``, or a ``tool_call_update`` when it was announced already."""
        known = self._calls.get(call_id)
        if known is None or known.finished:
            self._calls[call_id] = _Call(kind, content=list(update.get("content", [])))
            return {"sessionUpdate": "tool_call", "toolCallId": call_id, "kind": kind, **update}
        fields = {k: v for k, v in update.items() if k not in ("content", "locations")}
        return {"sessionUpdate": "tool_call_update", "toolCallId": call_id, **fields}

    def _finish(self, call_id: str, status: str, **fields: Any) -> Update:
        call = self._calls.setdefault(call_id, _Call("other"))
        call.finished = True
        return {
            "sessionUpdate": "tool_call_update",
            "toolCallId": call_id,
            "status": status,
            **fields,
        }

    def open_calls(self) -> list[Update]:
        """``failed`` for every tool call still open (the turn was stopped under it)."""
        return [
            self._finish(call_id, "failed")
            for call_id, call in list(self._calls.items())
            if not call.finished
        ]

    def denied(self, call_id: str, decision: ReviewDecision) -> list[Update]:
        """A rejected (or aborted) approval ends its tool call."""
        if decision not in DENIALS or call_id not in self._calls:
            return []
        note = "stopped" if decision is ReviewDecision.ABORT else "rejected by the user"
        return [
            self._finish(call_id, "failed", rawOutput={"decision": decision.value, "note": note})
        ]

    def in_terminal(self, call_id: str, terminal_id: str) -> Update:
        """The command runs in client terminal ``terminal_id``: show it in the tool call."""
        call = self._calls.setdefault(call_id, _Call("execute"))
        call.terminal = terminal_id
        content = [{"type": "terminal", "terminalId": terminal_id}]
        return {"sessionUpdate": "tool_call_update", "toolCallId": call_id, "content": content}

    def permission_call(
        self, request: ExecApprovalRequestEvent | ApplyPatchApprovalRequestEvent
    ) -> Update:
        """The ``toolCall`` of a permission request: the announced call, in full."""
        kind, fields = self._request_fields(request)
        return {"toolCallId": request.call_id, "kind": kind, **fields}

    def _request_fields(
        self, msg: ExecApprovalRequestEvent | ApplyPatchApprovalRequestEvent
    ) -> tuple[str, Update]:
        if isinstance(msg, ExecApprovalRequestEvent):
            return command_kind(msg.parsed_cmd), {
                "title": command_title(msg.command),
                "status": "pending",
                "content": text_content(msg.reason or ""),
                "locations": self._read_locations(msg.parsed_cmd, msg.cwd),
                "rawInput": {"command": msg.command, "cwd": msg.cwd},
            }
        return diffs.kind(msg.changes), {
            "title": self._patch_title(msg.changes),
            "status": "pending",
            "content": [
                *diffs.diff_content(msg.changes, self.cwd, self._known),
                *text_content(msg.reason or ""),
            ],
            "locations": diffs.locations(msg.changes, self.cwd),
        }

    def _read_locations(self, parsed: list[ParsedCommand], cwd: str) -> list[dict[str, Any]]:
        return [{"path": str(Path(cwd) / p.path)} for p in parsed if isinstance(p, ParsedRead)]

    def _patch_title(self, changes: dict[str, Any]) -> str:
        verb = {"delete": "Delete", "move": "Move"}.get(diffs.kind(changes), "Edit")
        return f"{verb} {', '.join(changes)}"

    def _exec_begin(self, msg: ExecCommandBeginEvent) -> Update:
        update: Update = {
            "title": command_title(msg.command),
            "status": "in_progress",
            "locations": self._read_locations(msg.parsed_cmd, msg.cwd),
            "rawInput": {"command": msg.command, "cwd": msg.cwd},
        }
        if self.features.terminal_output_meta:
            update["content"] = [{"type": "terminal", "terminalId": msg.call_id}]
            update["_meta"] = {"terminal_info": {"terminal_id": msg.call_id, "cwd": msg.cwd}}
        started = self._start(msg.call_id, command_kind(msg.parsed_cmd), update)
        if "content" in update:  # Zed's terminal replaces what the approval showed
            started["content"] = update["content"]
        self._calls[msg.call_id].output = ""
        return started

    def _exec_output(self, msg: ExecCommandOutputDeltaEvent) -> Update | None:
        call = self._calls.get(msg.call_id)
        if call is None or call.terminal is not None:
            return None
        call.output += msg.chunk
        if len(call.output) > 2 * LIVE_OUTPUT_MAX:
            call.output = call.output[-LIVE_OUTPUT_MAX:]
        base = {"sessionUpdate": "tool_call_update", "toolCallId": msg.call_id}
        if self.features.terminal_output_meta:
            return {
                **base,
                "_meta": {"terminal_output": {"terminal_id": msg.call_id, "data": msg.chunk}},
            }
        return {**base, "content": text_content(fence(call.output))}

    def _exec_end(self, msg: ExecCommandEndEvent) -> Update:
        status = "completed" if msg.status is ItemStatus.COMPLETED else "failed"
        output = msg.aggregated_output
        raw = {"exit_code": msg.exit_code, "output": output[-LIVE_OUTPUT_MAX:]}
        call = self._calls.get(msg.call_id)
        if call is not None and call.terminal is not None:
            return self._finish(msg.call_id, status, rawOutput=raw)
        if self.features.terminal_output_meta:
            meta = {
                "terminal_exit": {
                    "terminal_id": msg.call_id,
                    "exit_code": msg.exit_code,
                    "signal": None,
                }
            }
            return self._finish(msg.call_id, status, rawOutput=raw, _meta=meta)
        return self._finish(msg.call_id, status, rawOutput=raw, content=text_content(fence(output)))

    def _patch_begin(self, msg: PatchApplyBeginEvent) -> Update:
        update = {
            "title": self._patch_title(msg.changes),
            "status": "in_progress",
            "content": diffs.diff_content(msg.changes, self.cwd, self._known),
            "locations": diffs.locations(msg.changes, self.cwd),
        }
        return self._start(msg.call_id, diffs.kind(msg.changes), update)

    def _patch_end(self, msg: PatchApplyEndEvent) -> Update:
        if msg.success:
            return self._finish(msg.call_id, "completed", rawOutput={"stdout": msg.stdout})
        call = self._calls.get(msg.call_id)
        before = [c for c in (call.content if call else []) if c.get("type") == "diff"]
        return self._finish(
            msg.call_id,
            "failed",
            content=[*before, *text_content(msg.stderr)],
            rawOutput={"stderr": msg.stderr},
        )

    def _mcp_begin(self, msg: McpToolCallBeginEvent) -> Update:
        update = {
            "title": f"{msg.invocation.server}/{msg.invocation.tool}",
            "status": "in_progress",
            "rawInput": msg.invocation.arguments,
        }
        return self._start(msg.call_id, "other", update)

    def _mcp_end(self, msg: McpToolCallEndEvent) -> Update:
        if msg.error is not None:
            return self._finish(
                msg.call_id,
                "failed",
                content=text_content(msg.error),
                rawOutput={"error": msg.error},
            )
        result = msg.result if isinstance(msg.result, dict) else {}
        failed = result.get("isError") is True
        content = [
            {"type": "content", "content": block}
            for block in (mcp_block(b) for b in result.get("content") or [])
            if block is not None
        ]
        return self._finish(
            msg.call_id, "failed" if failed else "completed", content=content, rawOutput=msg.result
        )

    def delta_json(self, session_id: str, msg: AgentMessageDeltaEvent) -> str:
        """A message delta's whole notification, encoded directly (the per-token path)."""
        self._streamed.add(msg.item_id)
        return chunk_json(session_id, "agent_message_chunk", msg.delta, msg.item_id)

    # ---------------------------------------------------------------- all events
    def render(self, msg: Any, replay: bool = False) -> list[Update]:
        """The updates ``msg`` makes (none for most bookkeeping events)."""
        if isinstance(msg, AgentMessageDeltaEvent):
            self._streamed.add(msg.item_id)
            return [text_chunk("agent_message_chunk", msg.delta, msg.item_id)]
        if isinstance(msg, AgentReasoningDeltaEvent | AgentReasoningRawContentDeltaEvent):
            self._streamed.add(msg.item_id)
            return [text_chunk("agent_thought_chunk", msg.delta, msg.item_id)]
        if isinstance(msg, AgentReasoningSectionBreakEvent):
            return [text_chunk("agent_thought_chunk", "\n\n", msg.item_id)]
        if isinstance(msg, AgentMessageEvent):
            if msg.item_id in self._streamed or not msg.message:
                return []
            return [text_chunk("agent_message_chunk", msg.message, msg.item_id)]
        if isinstance(msg, AgentReasoningEvent | AgentReasoningRawContentEvent):
            if msg.item_id in self._streamed:
                return []
            return [text_chunk("agent_thought_chunk", msg.text + "\n", msg.item_id)]
        if isinstance(msg, UserMessageEvent):
            return [text_chunk("user_message_chunk", msg.message, msg.item_id)] if replay else []
        if isinstance(msg, ExecApprovalRequestEvent | ApplyPatchApprovalRequestEvent):
            return [] if replay else [self._start(msg.call_id, *self._request_fields(msg))]
        if isinstance(msg, ExecCommandBeginEvent):
            return [self._exec_begin(msg)]
        if isinstance(msg, ExecCommandOutputDeltaEvent):
            update = self._exec_output(msg)
            return [update] if update is not None else []
        if isinstance(msg, ExecCommandEndEvent):
            return [self._exec_end(msg)]
        if isinstance(msg, PatchApplyBeginEvent):
            return [self._patch_begin(msg)]
        if isinstance(msg, PatchApplyEndEvent):
            return [self._patch_end(msg)]
        if isinstance(msg, McpToolCallBeginEvent):
            return [self._mcp_begin(msg)]
        if isinstance(msg, McpToolCallEndEvent):
            return [self._mcp_end(msg)]
        if isinstance(msg, ViewImageToolCallEvent):
            path = str(Path(self.cwd) / msg.path)
            update = {
                "title": f"View {msg.path}",
                "status": "completed",
                "locations": [{"path": path}],
            }
            started = self._start(msg.call_id, "read", update)
            self._calls[msg.call_id].finished = True
            return [started]
        if isinstance(msg, PlanUpdateEvent):
            entries = [
                {"content": item.step, "priority": "medium", "status": PLAN_STATUS[item.status]}
                for item in msg.plan
            ]
            return [{"sessionUpdate": "plan", "entries": entries}]
        if isinstance(msg, TokenCountEvent):
            return usage_update(msg)
        if isinstance(msg, ContextCompactedEvent):
            note = "The conversation was compacted: earlier turns are now a summary."
            return [text_chunk("agent_message_chunk", note)]
        if isinstance(msg, UndoCompletedEvent):
            return [text_chunk("agent_message_chunk", msg.message)]
        if isinstance(msg, WarningEvent) and not replay:
            return [text_chunk("agent_thought_chunk", f"Warning: {msg.message}\n")]
        if isinstance(msg, StreamErrorEvent):
            retry = f"{msg.message} (retrying, attempt {msg.attempt} of {msg.max_attempts})\n"
            return [text_chunk("agent_thought_chunk", retry)]
        return []
