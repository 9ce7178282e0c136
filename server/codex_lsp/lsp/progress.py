"""Reports each running turn as LSP work-done progress (``$/progress``), so Neovim's and VS
Code's progress UIs show "codex-lsp: running `pytest`". Only for clients that declare
``window.workDoneProgress``; one progress per turn, created, begun, reported, ended in order."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shlex
from typing import Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from codex_lsp.background import create_task
from codex_lsp.protocol.events import (
    AgentMessageDeltaEvent,
    ApplyPatchApprovalRequestEvent,
    EventEnvelope,
    ExecApprovalRequestEvent,
    ExecCommandBeginEvent,
    ExecCommandEndEvent,
    McpToolCallBeginEvent,
    McpToolCallEndEvent,
    PatchApplyBeginEvent,
    PatchApplyEndEvent,
    TaskCompleteEvent,
    TaskStartedEvent,
    TurnAbortedEvent,
)
from codex_lsp.speckit.narration import narrate

log = logging.getLogger(__name__)

TITLE = "codex-lsp"
CREATE_TIMEOUT_S = 5.0
_END = object()


def step_of(msg: Any) -> str | None:
    """The progress message an event is worth, if any."""
    if getattr(msg, "type", "").startswith("speckit"):
        return narrate(msg)
    if isinstance(msg, ExecCommandBeginEvent):
        return f"running `{shlex.join(msg.command)[:80]}`"
    if isinstance(msg, PatchApplyBeginEvent):
        return f"editing {len(msg.changes)} file(s)"
    if isinstance(msg, McpToolCallBeginEvent):
        return f"calling {msg.invocation.server}/{msg.invocation.tool}"
    if isinstance(msg, AgentMessageDeltaEvent):
        return "writing the answer"
    if isinstance(msg, ExecApprovalRequestEvent | ApplyPatchApprovalRequestEvent):
        return "waiting for your approval"
    if isinstance(msg, ExecCommandEndEvent | PatchApplyEndEvent | McpToolCallEndEvent):
        return "thinking"
    return None


class TurnProgress:
    """One progress reporter per server; feed it every event."""

    def __init__(self, server: LanguageServer) -> None:
        self._server = server
        self._queues: dict[str, asyncio.Queue[object]] = {}
        self._last: dict[str, str] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def _supported(self) -> bool:
        window = getattr(self._server.client_capabilities, "window", None)
        return bool(getattr(window, "work_done_progress", False))

    def observe(self, event: EventEnvelope) -> None:
        """Start, advance or end the progress of the event's conversation."""
        msg, key = event.msg, event.conversation_id
        if isinstance(msg, TaskStartedEvent):
            if not self._supported():
                return
            queue: asyncio.Queue[object] = asyncio.Queue()
            self._queues[key] = queue
            token = f"{TITLE}/{key}/{msg.turn_id}"
            create_task(self._run(token, queue), name=f"progress-{msg.turn_id}", owner=self._tasks)
            return
        queue_or_none = self._queues.get(key)
        if queue_or_none is None:
            return
        if isinstance(msg, TaskCompleteEvent | TurnAbortedEvent):
            queue_or_none.put_nowait(_END)
            del self._queues[key]
            self._last.pop(key, None)
            return
        step = step_of(msg)
        if step is not None and self._last.get(key) != step:
            self._last[key] = step
            queue_or_none.put_nowait(step)

    async def _run(self, token: str, queue: asyncio.Queue[object]) -> None:
        progress = self._server.work_done_progress
        try:
            await asyncio.wait_for(progress.create_async(token), CREATE_TIMEOUT_S)
        except Exception:  # the client refused or did not answer: no progress for this turn
            log.debug("client did not create progress %s", token)
            return
        progress.begin(
            token, types.WorkDoneProgressBegin(title=TITLE, message="thinking", cancellable=False)
        )
        while (item := await queue.get()) is not _END:
            progress.report(token, types.WorkDoneProgressReport(message=str(item)))
        with contextlib.suppress(Exception):
            progress.end(token, types.WorkDoneProgressEnd(message="done"))
