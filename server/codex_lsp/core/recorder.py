"""Where one conversation's history and events go: the store first (through its
:class:`Journal`), then the front end's sink. An event the client sees after a turn's items is
stored after them; what ends a turn is on disk before the client hears of it."""

from __future__ import annotations

import logging
import time

from codex_lsp.core.journal import Journal, TurnEnd
from codex_lsp.core.seams import EventSink
from codex_lsp.errors import CodexError
from codex_lsp.protocol.events import (
    AgentMessageDeltaEvent,
    AgentReasoningDeltaEvent,
    AgentReasoningRawContentDeltaEvent,
    ErrorEvent,
    EventEnvelope,
    EventMsg,
    ExecCommandOutputDeltaEvent,
    SessionConfiguredEvent,
    ShutdownCompleteEvent,
    WarningEvent,
)
from codex_lsp.protocol.history import (
    CustomToolCall,
    CustomToolCallOutput,
    FunctionCall,
    FunctionCallOutput,
    HistoryItem,
)

log = logging.getLogger(__name__)

SESSION_SUBMISSION_ID = "session"
"""The submission id of events no Op asked for (settings, warnings, reloads)."""
_TRANSIENT = (
    AgentMessageDeltaEvent,
    AgentReasoningDeltaEvent,
    AgentReasoningRawContentDeltaEvent,
    ExecCommandOutputDeltaEvent,
    SessionConfiguredEvent,
    ShutdownCompleteEvent,
)


class Recorder:
    """The history of one conversation, and the one way its events leave it."""

    def __init__(self, conversation_id: str, journal: Journal, sink: EventSink) -> None:
        self.conversation_id = conversation_id
        self.journal = journal
        self.history: list[HistoryItem] = []
        self.updated_at = time.time()
        """When the conversation last sent an event."""
        self._sink = sink
        self._store_warned: str | None = None

    def emit(self, submission_id: str, msg: EventMsg) -> None:
        """Store (unless transient) and deliver one event."""
        self.deliver(submission_id, msg, self._journal(msg))

    async def emit_durable(self, submission_id: str, msgs: list[EventMsg], turn_id: str) -> None:
        """Store ``msgs`` with the history so far and deliver them once that is on disk (a user
        message: what the client shows, the store keeps). They are delivered even when the
        turn is cancelled meanwhile, so the client is not missing what the store has."""
        bodies = [self._journal(msg) for msg in msgs]
        try:
            await self.checkpoint(turn_id)
        finally:
            for msg, body in zip(msgs, bodies, strict=True):
                self.deliver(submission_id, msg, body)

    def emit_detached(self, msg: EventMsg) -> None:
        """An event of an item that outlived its turn (a terminal's output and end): stored,
        unless transient, as the conversation's, not a turn's, and without syncing the history
        (which belongs to whichever turn runs now)."""
        body = None if isinstance(msg, _TRANSIENT) else self.journal.event(msg, None)
        self.deliver(SESSION_SUBMISSION_ID, msg, body)

    def _journal(self, msg: EventMsg) -> str | None:
        """Enqueue ``msg`` (unless transient) after the history items before it; its JSON."""
        if isinstance(msg, _TRANSIENT):
            return None
        turn_id = getattr(msg, "turn_id", None)
        self.journal.sync(self.history, turn_id)
        return self.journal.event(msg, turn_id)

    def deliver(self, submission_id: str, msg: EventMsg, body: str | None = None) -> None:
        """Hand one event to the sink without storing it (``body``: its JSON, when stored)."""
        self.updated_at = time.time()
        try:
            self._sink(EventEnvelope(self.conversation_id, submission_id, msg, body))
        except Exception:
            log.exception("event sink failed for conversation %s", self.conversation_id)

    async def checkpoint(self, turn_id: str) -> None:
        """Make the history and events so far durable (before a model request and before
        tools run, so a crash in a long stream or command keeps what led up to it). A store
        that cannot write is reported once per turn and does not stop the turn."""
        self.journal.sync(self.history, turn_id)
        try:
            await self.journal.durable()
        except CodexError as exc:
            if self._store_warned != turn_id:
                self._store_warned = turn_id
                self.emit(SESSION_SUBMISSION_ID, WarningEvent(message=exc.message))

    async def end_turn(self, submission_id: str, end: TurnEnd, final: list[EventMsg]) -> None:
        """End a turn: its items, end state and final events are on disk before the client
        hears that it ended (a client never shows a finished turn the store lost)."""
        self.journal.sync(self.history, end.turn_id)
        bodies = [self.journal.event(msg, end.turn_id) for msg in final]
        self.journal.turn_ended(end, history=self.history, events_len=self.journal.next_event_seq)
        try:
            await self.journal.durable()
        except CodexError as exc:
            log.error("conversation %s: %s", self.conversation_id, exc.message)
            self.deliver(submission_id, ErrorEvent(message=exc.message))
        for msg, body in zip(final, bodies, strict=True):
            self.deliver(submission_id, msg, body)

    def replace_history(self, items: list[HistoryItem], turn_id: str) -> None:
        """Swap the whole history (compaction); the store keeps the old one as an epoch."""
        self.history[:] = items
        self.journal.replace(self.history, turn_id)

    def repair_history(self) -> None:
        """Give every tool call without an output one, so the next request is valid."""
        answered = {
            i.call_id
            for i in self.history
            if isinstance(i, FunctionCallOutput | CustomToolCallOutput)
        }
        for item in list(self.history):
            if isinstance(item, FunctionCall) and item.call_id not in answered:
                self.history.append(
                    FunctionCallOutput(
                        call_id=item.call_id, output="aborted by the user", success=False
                    )
                )
            elif isinstance(item, CustomToolCall) and item.call_id not in answered:
                self.history.append(
                    CustomToolCallOutput(call_id=item.call_id, output="aborted by the user")
                )
