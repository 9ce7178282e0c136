"""Writes one conversation to the store as it happens: events as they are sent, history items
as they complete, turns as they start and end. Every call enqueues and returns at once (the
stream never waits on disk); :meth:`Journal.durable` waits for the disk at turn ends."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from typing import NamedTuple

from codex_lsp.protocol.base import WireModel
from codex_lsp.protocol.events import UserMessageEvent
from codex_lsp.protocol.history import HistoryItem
from codex_lsp.protocol.items import TokenUsage
from codex_lsp.store.conversations import ConversationStore
from codex_lsp.store.records import PREVIEW_MAX_CHARS, title_from
from codex_lsp.store.snapshots import TurnSnapshot, drop_snapshots, mark_undone, save_snapshot

TURN_END_FLUSH_S = 10.0


class TurnEnd(NamedTuple):
    """How a turn ended: its status (completed, aborted, failed), the model it ran on, its
    token usage and the conversation's totals after it."""

    turn_id: str
    status: str
    model: str
    usage: TokenUsage
    total_usage: TokenUsage


class NewConversationRow(NamedTuple):
    """The metadata a new conversation is stored with."""

    cwd: str
    model: str
    provider: str
    base_instructions: str | None
    forked_from: str | None


class Journal:
    """The store writer of one conversation. ``epoch``, ``persisted`` and ``next_event_seq``
    say where a resumed conversation left off."""

    def __init__(
        self,
        store: ConversationStore,
        conversation_id: str,
        *,
        epoch: int = 0,
        persisted: int = 0,
        next_event_seq: int = 0,
        has_preview: bool = False,
    ) -> None:
        self.store = store
        self.conversation_id = conversation_id
        self.epoch = epoch
        self.next_event_seq = next_event_seq
        self._persisted = persisted
        self._has_preview = has_preview
        self._queue = store.writes

    def create(self, row: NewConversationRow) -> None:
        """Insert the conversation's row (new and forked conversations)."""
        now = time.time()
        self._queue.enqueue(
            "INSERT INTO conversations (id, created_at, updated_at, cwd, model, provider, "
            "base_instructions, forked_from, owner_pid) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                self.conversation_id,
                now,
                now,
                row.cwd,
                row.model,
                row.provider,
                row.base_instructions,
                row.forked_from,
                os.getpid(),
            ),
        )

    def event(self, msg: WireModel, turn_id: str | None) -> str:
        """Store a completed (non-delta) event; the first user message names the conversation.
        Returns the event's JSON, for delivering it without encoding it again."""
        body = msg.to_wire_json()
        self.event_json(body, turn_id)
        if isinstance(msg, UserMessageEvent) and not self._has_preview:
            self._has_preview = True
            self._queue.enqueue(
                "UPDATE conversations SET preview = ?, title = COALESCE(title, ?) WHERE id = ?",
                (msg.message[:PREVIEW_MAX_CHARS], title_from(msg.message), self.conversation_id),
            )
        return body

    def event_json(self, body: str, turn_id: str | None) -> None:
        """Store an event already encoded (copied from another conversation by a fork)."""
        self.store.add_event(self.conversation_id, self.next_event_seq, turn_id, body)
        self.next_event_seq += 1

    def sync(self, history: list[HistoryItem], turn_id: str | None) -> None:
        """Store the history items appended since the last call."""
        for seq in range(self._persisted, len(history)):
            body = history[seq].to_wire_json()
            self.store.add_item(self.conversation_id, self.epoch, seq, turn_id, body)
        self._persisted = len(history)

    def replace(self, history: list[HistoryItem], turn_id: str | None) -> None:
        """The history was replaced (compaction): store it as a new epoch."""
        self.epoch += 1
        self._persisted = 0
        self.sync(history, turn_id)
        self._queue.enqueue(
            "UPDATE conversations SET epoch = ? WHERE id = ?", (self.epoch, self.conversation_id)
        )

    def rewound(self, start: int, turn_ids: Sequence[str]) -> None:
        """Turns were dropped: the history before ``start`` is a new epoch (copied in the file,
        each item keeping its turn), and their turn rows and events go (a resume neither shows
        nor sends them)."""
        old, self.epoch, self._persisted = self.epoch, self.epoch + 1, start
        self._queue.enqueue(
            "INSERT INTO items (conversation_id, epoch, seq, turn_id, body, refs) "
            "SELECT conversation_id, ?, seq, turn_id, body, refs FROM items "
            "WHERE conversation_id = ? AND epoch = ? AND seq < ?",
            (self.epoch, self.conversation_id, old, start),
        )
        self._queue.enqueue(
            "UPDATE conversations SET epoch = ? WHERE id = ?", (self.epoch, self.conversation_id)
        )
        for turn_id in turn_ids:
            key = (self.conversation_id, turn_id)
            self._queue.enqueue("DELETE FROM events WHERE conversation_id = ? AND turn_id = ?", key)
            self._queue.enqueue("DELETE FROM turns WHERE conversation_id = ? AND turn_id = ?", key)
        self._queue.enqueue(
            "UPDATE conversations SET turn_count = MAX(turn_count - ?, 0), updated_at = ? "
            "WHERE id = ?",
            (len(turn_ids), time.time(), self.conversation_id),
        )

    def turn_started(self, turn_id: str, kind: str) -> None:
        """A turn (or compaction, review, undo) began."""
        self._queue.enqueue(
            "INSERT INTO turns (conversation_id, turn_id, kind, status, started_at, epoch) "
            "VALUES (?, ?, ?, 'running', ?, ?)",
            (self.conversation_id, turn_id, kind, time.time(), self.epoch),
        )

    def turn_ended(self, end: TurnEnd, *, history: list[HistoryItem], events_len: int) -> None:
        """A turn ended: its end state (the fork point: ``history`` and the first
        ``events_len`` events), its token usage, and the conversation's new totals."""
        self.sync(history, end.turn_id)
        now = time.time()
        self._queue.enqueue(
            "UPDATE turns SET status = ?, ended_at = ?, epoch = ?, history_len = ?, "
            "events_len = ?, usage = ? WHERE conversation_id = ? AND turn_id = ?",
            (
                end.status,
                now,
                self.epoch,
                len(history),
                events_len,
                end.usage.to_wire_json(),
                self.conversation_id,
                end.turn_id,
            ),
        )
        self._queue.enqueue(
            "UPDATE conversations SET updated_at = ?, turn_count = turn_count + 1, model = ?, "
            "total_usage = ? WHERE id = ?",
            (now, end.model, end.total_usage.to_wire_json(), self.conversation_id),
        )

    def snapshot(self, snapshot: TurnSnapshot) -> None:
        """Store the files a turn changed so far (replacing what it stored before)."""
        save_snapshot(self._queue, self.conversation_id, snapshot)

    def snapshots_undone(self, turn_ids: Sequence[str]) -> None:
        """These turns' file changes were undone."""
        mark_undone(self._queue, self.conversation_id, turn_ids)

    def snapshots_dropped(self, turn_ids: Sequence[str]) -> None:
        """These turns were rewound away: their snapshots go with them."""
        drop_snapshots(self._queue, self.conversation_id, turn_ids)

    async def durable(self, timeout_s: float = TURN_END_FLUSH_S) -> None:
        """Wait until everything journaled so far is on disk."""
        await self._queue.flush(timeout_s)

    def release(self) -> None:
        """The conversation closed here: another process may open it now."""
        self._queue.enqueue(
            "UPDATE conversations SET owner_pid = NULL WHERE id = ? AND owner_pid = ?",
            (self.conversation_id, os.getpid()),
        )
