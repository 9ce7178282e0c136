"""The conversation store: one SQLite file shared by every codex-lsp process of a user.

Writes that happen while a turn streams go through the :class:`WriteQueue`; reads and
user-initiated changes (rename, archive, delete) run directly. A conversation is written by one
process at a time: the one that holds it open records its pid, and another process refuses to
resume or delete it while that pid lives.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import aiosqlite
from pydantic import ConfigDict, TypeAdapter

from codex_lsp.errors import ProtocolError, StoreError, UnknownConversationError
from codex_lsp.protocol.history import HistoryItem
from codex_lsp.store.database import open_database
from codex_lsp.store.records import (
    COLUMNS,
    LIST_COLUMNS,
    ConversationRow,
    ListPage,
    StoredConversation,
    TurnRow,
)
from codex_lsp.store.snapshots import SELECT_SNAPSHOT_FILES, snapshots_from_rows
from codex_lsp.store.texts import Shrunk, expand, shrink
from codex_lsp.store.upgrade import upgraded_event
from codex_lsp.store.writer import WriteQueue

_HISTORY = TypeAdapter(list[HistoryItem], config=ConfigDict(defer_build=True))
"""Built when a stored history is first read (a resume), not when the store opens."""
_INSERT_EVENT = (
    "INSERT INTO events (conversation_id, seq, turn_id, body, refs) VALUES (?, ?, ?, ?, ?)"
)
_INSERT_ITEM = (
    "INSERT INTO items (conversation_id, epoch, seq, turn_id, body, refs) VALUES (?, ?, ?, ?, ?, ?)"
)
_INSERT_TEXT = "INSERT OR IGNORE INTO texts (conversation_id, hash, body) VALUES (?, ?, ?)"
_OWNER_RACES = 3


def pid_alive(pid: int) -> bool:
    """True when a process with ``pid`` exists on this machine."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class ConversationStore:
    """Conversations, turns, history items and events in one SQLite file."""

    def __init__(self, db: aiosqlite.Connection, path: Path) -> None:
        self._db = db
        self.path = path
        self.writes = WriteQueue(db)

    @classmethod
    async def open(cls, path: Path) -> ConversationStore:
        """Open (create, migrate) the store at ``path``."""
        return cls(await open_database(path), path)

    async def close(self) -> None:
        """Commit queued writes and close the file."""
        await self.writes.close()
        await self._db.close()

    # ------------------------------------------------------------------ appends
    def add_event(self, conversation_id: str, seq: int, turn_id: str | None, body: str) -> None:
        """Queue one event (its JSON); long strings in it are stored once (store/texts.py)."""
        shrunk = self._shrink(conversation_id, body)
        row = (conversation_id, seq, turn_id, shrunk.body, bool(shrunk.texts))
        self.writes.enqueue(_INSERT_EVENT, row, reorderable=True)

    def add_item(
        self, conversation_id: str, epoch: int, seq: int, turn_id: str | None, body: str
    ) -> None:
        """Queue one history item (its JSON), its long strings stored once."""
        shrunk = self._shrink(conversation_id, body)
        row = (conversation_id, epoch, seq, turn_id, shrunk.body, bool(shrunk.texts))
        self.writes.enqueue(_INSERT_ITEM, row, reorderable=True)

    def _shrink(self, conversation_id: str, body: str) -> Shrunk:
        shrunk = shrink(body)
        for key, text in shrunk.texts.items():
            self.writes.enqueue(_INSERT_TEXT, (conversation_id, key, text), reorderable=True)
        return shrunk

    async def _expanded(self, conversation_id: str, rows: list[Any]) -> list[str]:
        """The JSON of ``(body, refs)`` rows, references replaced by their texts."""
        if not any(refs for _, refs in rows):
            return [body for body, _ in rows]
        texts = dict(
            await self._fetchall(
                "SELECT hash, body FROM texts WHERE conversation_id = ?", (conversation_id,)
            )
        )
        return [expand(body, texts) if refs else body for body, refs in rows]

    # ------------------------------------------------------------------ reads
    async def _fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """Rows of a query; this process's queued writes are committed first."""
        await self.writes.flush()
        try:
            return list(await self._db.execute_fetchall(sql, params))
        except sqlite3.Error as exc:
            raise StoreError(f"reading the conversation store failed: {exc}") from exc

    async def _execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement now (after the queued writes); returns the rows it changed."""
        await self.writes.flush()
        try:
            cursor = await self._db.execute(sql, params)
        except sqlite3.Error as exc:
            raise StoreError(f"writing the conversation store failed: {exc}") from exc
        return cursor.rowcount

    async def get(self, conversation_id: str) -> ConversationRow:
        """The metadata of ``conversation_id``, or :class:`UnknownConversationError`."""
        rows = await self._fetchall(
            f"SELECT {COLUMNS} FROM conversations WHERE id = ?", (conversation_id,)
        )
        if not rows:
            raise UnknownConversationError(conversation_id)
        return ConversationRow.from_row(rows[0])

    async def load(self, conversation_id: str, up_to_turn: str | None = None) -> StoredConversation:
        """A stored conversation; with ``up_to_turn``, its history and events as they were when
        that turn ended (a fork point)."""
        await self.writes.flush()
        row = await self.get(conversation_id)
        turns = [
            TurnRow(*r)
            for r in await self._fetchall(
                "SELECT turn_id, status, epoch, history_len, events_len FROM turns "
                "WHERE conversation_id = ? ORDER BY started_at, rowid",
                (conversation_id,),
            )
        ]
        epoch, history_len, events_len = row.epoch, None, None
        if up_to_turn is not None:
            turn = next((t for t in turns if t.turn_id == up_to_turn), None)
            if turn is None or turn.history_len is None:
                raise ProtocolError(
                    f"turn {up_to_turn!r} is not a finished turn of conversation {conversation_id}"
                )
            epoch, history_len, events_len = turn.epoch, turn.history_len, turn.events_len
        items = await self._fetchall(
            "SELECT body, refs FROM items WHERE conversation_id = ? AND epoch = ? ORDER BY seq",
            (conversation_id, epoch),
        )
        if history_len is not None:
            items = items[:history_len]
        bodies = await self._expanded(conversation_id, items)
        try:
            history = _HISTORY.validate_json("[" + ",".join(bodies) + "]")
        except ValueError as exc:
            raise StoreError(
                f"conversation {conversation_id} has history items this version cannot read: {exc}"
            ) from exc
        events = await self._fetchall(
            "SELECT seq, body, refs FROM events WHERE conversation_id = ? ORDER BY seq",
            (conversation_id,),
        )
        next_seq = events[-1][0] + 1 if events else 0
        if events_len is not None:
            events = events[:events_len]
        return StoredConversation(
            row=row,
            history=history,
            events=[
                upgraded_event(body)
                for body in await self._expanded(conversation_id, [(b, r) for _, b, r in events])
            ],
            turns=turns,
            next_event_seq=next_seq,
            snapshots=[]
            if up_to_turn is not None
            else snapshots_from_rows(
                await self._fetchall(SELECT_SNAPSHOT_FILES, (conversation_id,))
            ),
        )

    async def rewind_point(
        self, conversation_id: str, epoch: int, turn_id: str
    ) -> tuple[int | None, list[str]]:
        """Where turn ``turn_id`` starts in the history of ``epoch`` (None: it has no item
        there, or it began the epoch), and it with every later turn, oldest first."""
        turns = [
            r[0]
            for r in await self._fetchall(
                "SELECT turn_id FROM turns WHERE conversation_id = ? ORDER BY started_at, rowid",
                (conversation_id,),
            )
        ]
        later = turns[turns.index(turn_id) :] if turn_id in turns else []
        rows = await self._fetchall(
            "SELECT MIN(seq) FROM items WHERE conversation_id = ? AND epoch = ? AND turn_id = ?",
            (conversation_id, epoch, turn_id),
        )
        start = rows[0][0] if rows and rows[0][0] else None
        return start, later

    async def list_page(
        self,
        *,
        cwd: Path | None,
        archived: bool,
        cursor: str | None,
        page_size: int,
    ) -> ListPage:
        """Conversations, most recently updated first; ``cwd`` keeps those started in that
        folder or below it."""
        where = ["archived = ?"]
        params: list[Any] = [int(archived)]
        if cwd is not None:
            prefix = str(cwd).rstrip("/")
            where.append("(cwd = ? OR (cwd > ? AND cwd < ?))")
            params += [prefix, prefix + "/", prefix + "0"]  # "0" follows "/": the subtree
        if cursor:
            updated_at, last_id = _parse_cursor(cursor)
            where.append("(updated_at, id) < (?, ?)")
            params += [updated_at, last_id]
        rows = await self._fetchall(
            f"SELECT {LIST_COLUMNS} FROM conversations WHERE {' AND '.join(where)} "
            "ORDER BY updated_at DESC, id DESC LIMIT ?",
            [*params, page_size + 1],
        )
        page = [ConversationRow.from_row(r) for r in rows[:page_size]]
        more = len(rows) > page_size
        next_cursor = f"{page[-1].updated_at!r}:{page[-1].id}" if more and page else None
        return ListPage(rows=page, next_cursor=next_cursor)

    # ------------------------------------------------------------------ user changes
    async def rename(self, conversation_id: str, title: str) -> None:
        """Set the title a user chose."""
        await self._change(
            "UPDATE conversations SET title = ? WHERE id = ?", (title, conversation_id)
        )

    async def set_archived(self, conversation_id: str, archived: bool) -> None:
        """Hide from (or bring back to) the default listing; nothing is deleted."""
        await self._change(
            "UPDATE conversations SET archived = ? WHERE id = ?", (int(archived), conversation_id)
        )

    async def delete(self, conversation_id: str) -> None:
        """Remove a conversation with its turns, items and events; forks keep theirs. Refused
        while another live process holds it open (it would go on answering, storing nothing)."""
        await self._unless_held(
            conversation_id, "DELETE FROM conversations WHERE id = ?", (conversation_id,)
        )

    async def _change(self, sql: str, params: Sequence[Any]) -> None:
        if await self._execute(sql, params) == 0:
            raise UnknownConversationError(str(params[-1]))

    async def claim(self, conversation_id: str) -> None:
        """Record this process as the conversation's writer, unless a live one already is."""
        await self._unless_held(
            conversation_id,
            "UPDATE conversations SET owner_pid = ? WHERE id = ?",
            (os.getpid(), conversation_id),
        )

    async def _unless_held(self, conversation_id: str, sql: str, params: Sequence[Any]) -> None:
        """Run ``sql`` on the conversation unless another live process holds it. The owner seen
        is checked again in the statement itself (``AND owner_pid IS ?``), so a process that
        claims the conversation in between wins and this one is refused."""
        for _ in range(_OWNER_RACES):
            row = await self.get(conversation_id)
            owner = row.owner_pid
            if owner not in (None, os.getpid()) and pid_alive(owner):
                raise ProtocolError(
                    f"conversation {conversation_id} is open in another codex-lsp process "
                    f"(pid {owner}); close it there, or fork it to continue here"
                )
            if await self._execute(f"{sql} AND owner_pid IS ?", (*params, owner)) > 0:
                return
        raise ProtocolError(
            f"conversation {conversation_id} keeps changing hands between codex-lsp processes; "
            "try again"
        )

    async def recover(self, conversation_id: str) -> list[str]:
        """Mark the turns a killed process left running as aborted, with the ``turnAborted``
        event a client would have seen; returns their ids."""
        await self.writes.flush()
        running = [
            r[0]
            for r in await self._fetchall(
                "SELECT turn_id FROM turns WHERE conversation_id = ? AND status = 'running' "
                "ORDER BY started_at, rowid",
                (conversation_id,),
            )
        ]
        for turn_id in running:
            seq_rows = await self._fetchall(
                "SELECT COALESCE(MAX(seq) + 1, 0) FROM events WHERE conversation_id = ?",
                (conversation_id,),
            )
            body = json.dumps({"type": "turnAborted", "turnId": turn_id, "reason": "interrupted"})
            self.add_event(conversation_id, seq_rows[0][0], turn_id, body)
            self.writes.enqueue(
                "UPDATE turns SET status = 'aborted', ended_at = ? "
                "WHERE conversation_id = ? AND turn_id = ?",
                (time.time(), conversation_id, turn_id),
            )
            self.writes.enqueue(
                "UPDATE conversations SET turn_count = turn_count + 1 WHERE id = ?",
                (conversation_id,),
            )
            await self.writes.flush()
        return running

    async def count(self) -> int:
        """How many conversations are stored (archived ones included)."""
        rows = await self._fetchall("SELECT COUNT(*) FROM conversations")
        return int(rows[0][0])

    async def integrity_check(self) -> str:
        """SQLite's ``PRAGMA integrity_check`` verdict ("ok" when sound)."""
        rows = await self._fetchall("PRAGMA integrity_check")
        return "; ".join(str(r[0]) for r in rows)


def _parse_cursor(cursor: str) -> tuple[float, str]:
    updated_at, sep, last_id = cursor.partition(":")
    try:
        if not sep or not last_id:
            raise ValueError(cursor)
        return float(updated_at), last_id
    except ValueError:
        raise ProtocolError(
            f"cursor {cursor!r} is not one this server returned; list again without a cursor"
        ) from None
