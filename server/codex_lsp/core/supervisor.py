"""Runs one conversation's turns, one at a time: starts a turn (a regular one, compaction,
review or undo) as a task, ends it with its final events on disk before the client hears of
them, and aborts it on an interrupt or when another task replaces it."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Literal

from codex_lsp.background import create_task
from codex_lsp.core.journal import TurnEnd
from codex_lsp.core.notify import run_notify
from codex_lsp.core.turn import TurnRunner
from codex_lsp.core.turn_context import TurnContext
from codex_lsp.core.turn_parts import TurnParts
from codex_lsp.errors import CodexError, ProviderError, bug_message
from codex_lsp.protocol.events import (
    ErrorEvent,
    EventMsg,
    TaskCompleteEvent,
    TaskStartedEvent,
    TurnAbortedEvent,
)
from codex_lsp.protocol.items import UserInputItem
from codex_lsp.tools.registry import TurnAbortRequested

log = logging.getLogger(__name__)

AbortReason = Literal["interrupted", "replaced", "reviewEnded"]
TurnBody = Callable[[TurnRunner], Awaitable[str | None]]
"""What a kind of turn does; returns the last agent message."""
CommandRouter = Callable[[list[UserInputItem]], TurnBody | None]
"""Turns a message that is a command of a layer above the core (spec-kit's ``/speckit.plan``)
into the task that carries it out; None for anything else (then it goes to the model)."""
TurnEnded = Callable[[str, str], None]
"""Called with a turn's submission id and end status once it has ended."""

ABORT_WAIT_S = 10.0


class _ActiveTask:
    __slots__ = ("finishing", "kind", "runner", "task")

    def __init__(self, runner: TurnRunner, kind: str, task: asyncio.Task[None]) -> None:
        self.runner = runner
        self.kind = kind
        self.task = task
        self.finishing = False


class TurnSupervisor:
    """The running turn of one conversation, if any."""

    def __init__(self, parts: TurnParts, on_ended: TurnEnded) -> None:
        self._parts = parts
        self._on_ended = on_ended
        self._active: _ActiveTask | None = None
        self._abort_reason: AbortReason = "interrupted"

    @property
    def running(self) -> bool:
        """True while a turn runs."""
        return self._active is not None

    def start(self, submission_id: str, kind: str, body: TurnBody, ctx: TurnContext) -> str:
        """Run ``body`` as the turn of ``kind`` under ``ctx``; returns its turn id."""
        runner = TurnRunner(self._parts, submission_id, ctx)
        task = create_task(self._run(runner, body, kind), name=f"{kind}-{runner.turn_id}")
        self._active = _ActiveTask(runner, kind, task)
        return runner.turn_id

    async def _run(self, runner: TurnRunner, body: TurnBody, kind: str) -> None:
        parts, started = self._parts, time.monotonic()
        parts.recorder.journal.turn_started(runner.turn_id, kind)
        runner.emit(
            TaskStartedEvent(
                turn_id=runner.turn_id, model_context_window=runner.ctx.model_context_window
            )
        )
        status = "failed"
        final: list[EventMsg] = [TaskCompleteEvent(turn_id=runner.turn_id)]
        try:
            last = await body(runner)
            status = "completed"
            final = [
                TaskCompleteEvent(
                    turn_id=runner.turn_id,
                    last_agent_message=last,
                    duration_ms=int((time.monotonic() - started) * 1000),
                    stop_reason=runner.stop_reason,
                )
            ]
            parts.background(
                run_notify(parts.config, runner.turn_id, runner.inputs, last), "notify"
            )
        except (asyncio.CancelledError, TurnAbortRequested) as exc:
            if isinstance(exc, TurnAbortRequested):  # aborted at an approval: an interrupt
                parts.pending.hand_back()
            status = "aborted"
            returned = parts.pending.take_returned()
            final = [
                TurnAbortedEvent(
                    turn_id=runner.turn_id,
                    reason=self._abort_reason,
                    returned_input=returned or None,
                )
            ]
        except CodexError as exc:
            info = exc.error_info if isinstance(exc, ProviderError) else None
            final.insert(
                0, ErrorEvent(message=exc.message, codex_error_info=info, turn_id=runner.turn_id)
            )
        except Exception as exc:
            log.exception("turn %s failed", runner.turn_id)
            final.insert(
                0, ErrorEvent(message=bug_message("this turn", exc), turn_id=runner.turn_id)
            )
        await self._end(runner, status, final)

    async def _end(self, runner: TurnRunner, status: str, final: list[EventMsg]) -> None:
        parts = self._parts
        if status != "completed":
            parts.recorder.repair_history()
        if self._active is not None:
            self._active.finishing = True
        if runner.save_snapshot():  # stored before the client hears the turn ended
            for msg in final:
                if isinstance(msg, TaskCompleteEvent | TurnAbortedEvent):
                    msg.undoable = True
        end = TurnEnd(runner.turn_id, status, runner.ctx.model, runner.usage, parts.usage.total)
        await parts.recorder.end_turn(runner.submission_id, end, final)
        self._active = None
        self._abort_reason = "interrupted"
        self._on_ended(runner.submission_id, status)

    async def abort(self, reason: AbortReason) -> None:
        """Stop the running turn, if any, and wait (up to ABORT_WAIT_S) until it has ended.
        An interrupt also drops the input queued for it (handed back in
        ``turnAborted.returnedInput``): the user stopped that turn, so what they sent into it
        is theirs to send again, edit or discard, as in Codex."""
        if reason == "interrupted":
            self._parts.pending.hand_back()
        active = self._active
        if active is None:
            return
        self._abort_reason = reason
        if not active.finishing:
            active.task.cancel()
        await asyncio.wait({active.task}, timeout=ABORT_WAIT_S)
        if self._active is active and active.task.done():
            # cancelled before its first step: nothing ran, so nothing ended it; say so
            self._active = None
            self._abort_reason = "interrupted"
            self._parts.recorder.deliver(
                active.runner.submission_id,
                TurnAbortedEvent(turn_id=active.runner.turn_id, reason=reason),
            )
