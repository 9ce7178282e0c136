"""The store's write queue: callers on the event loop enqueue statements without waiting; one
task commits them in batched transactions on aiosqlite's thread, so streaming never waits on
disk, and :meth:`WriteQueue.flush` makes everything enqueued so far durable."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import Sequence
from typing import Any

import aiosqlite

from codex_lsp.background import create_task
from codex_lsp.errors import StoreError

log = logging.getLogger(__name__)

FLUSH_TIMEOUT_S = 30.0
RETRY_DELAYS_S = (0.05, 0.2, 0.5, 1.0, 2.0)

Statement = tuple[str, Sequence[Any], bool]
_REFUSED = (sqlite3.Error, ValueError, TypeError, OverflowError)
"""What committing a statement can raise: SQLite's errors, and the sqlite3 module's for a
parameter it cannot bind (text that is not UTF-8, an integer over 64 bits)."""


class WriteQueue:
    """Batched, ordered, retried writes to one SQLite connection."""

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db
        self._pending: list[Statement] = []
        self._enqueued = 0
        self._committed = 0
        self._wake = asyncio.Event()
        self._progress = asyncio.Condition()
        self._failure: StoreError | None = None
        self._task = create_task(self._run(), name="store-writer")

    def enqueue(self, sql: str, params: Sequence[Any] = (), *, reorderable: bool = False) -> None:
        """Queue one statement; it commits with the next batch. ``reorderable`` statements
        (appends no other statement depends on) may run grouped with others of the same SQL
        between two ordinary ones, so a batch of them costs one call per kind."""
        self._pending.append((sql, params, reorderable))
        self._enqueued += 1
        self._wake.set()

    async def flush(self, timeout_s: float = FLUSH_TIMEOUT_S) -> None:
        """Return once every statement enqueued before the call is committed. Raises
        :class:`StoreError` when the disk refuses the writes for ``timeout_s``."""
        target = self._enqueued
        try:
            async with asyncio.timeout(timeout_s):
                async with self._progress:
                    await self._progress.wait_for(lambda: self._committed >= target)
        except TimeoutError:
            reason = self._failure.message if self._failure else "the writer did not finish"
            raise StoreError(
                f"conversation data could not be saved within {timeout_s:.0f} s: {reason}",
                retryable=True,
            ) from None

    async def close(self) -> None:
        """Commit what is queued, then stop."""
        with contextlib.suppress(StoreError):
            await self.flush()
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    async def _run(self) -> None:
        attempt = 0
        while True:
            await self._wake.wait()
            self._wake.clear()
            batch, self._pending = self._pending, []
            if not batch:
                continue
            try:
                await self._commit(batch)
            except _REFUSED as exc:
                if _transient(exc):
                    self._pending[:0] = batch
                    self._failure = StoreError(f"SQLite error: {exc}", retryable=True)
                    delay = RETRY_DELAYS_S[min(attempt, len(RETRY_DELAYS_S) - 1)]
                    attempt += 1
                    log.warning("store write failed (%s); retrying in %.2f s", exc, delay)
                    await asyncio.sleep(delay)
                    self._wake.set()
                    continue
                # one bad statement must not wedge every later write: commit the batch
                # statement by statement, dropping (and logging) only what SQLite refuses
                log.error("store batch refused (%s); writing it statement by statement", exc)
                await self._commit_each(batch)
            attempt = 0
            self._failure = None
            async with self._progress:
                self._committed += len(batch)
                self._progress.notify_all()

    async def _commit_each(self, batch: list[Statement]) -> None:
        for statement in batch:
            for delay in (*RETRY_DELAYS_S, None):
                try:
                    await self._commit([statement])
                    break
                except _REFUSED as exc:
                    if delay is None or not _transient(exc):
                        log.error("store statement dropped (%s): %s", exc, statement[0])
                        break
                    await asyncio.sleep(delay)

    async def _commit(self, batch: list[Statement]) -> None:
        db = self._db
        await db.execute("BEGIN IMMEDIATE")
        try:
            for sql, rows in _grouped(batch):
                if len(rows) == 1:
                    await db.execute(sql, rows[0])
                else:
                    await db.executemany(sql, rows)
            await db.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                await db.execute("ROLLBACK")
            raise


def _transient(exc: Exception) -> bool:
    """Errors a later retry can get past: another process holds the lock, the disk is full."""
    text = str(exc).lower()
    return isinstance(exc, sqlite3.OperationalError) and any(
        marker in text for marker in ("locked", "busy", "disk is full", "disk i/o")
    )


def _grouped(batch: list[Statement]) -> list[tuple[str, list[Sequence[Any]]]]:
    """``batch`` as ``(sql, rows)`` runs in an order equivalent to the original: ordinary
    statements keep their place; the reorderable ones between two of them are grouped by SQL."""
    runs: list[tuple[str, list[Sequence[Any]]]] = []
    segment: dict[str, list[Sequence[Any]]] = {}
    for sql, params, reorderable in batch:
        if reorderable:
            segment.setdefault(sql, []).append(params)
            continue
        runs += segment.items()
        segment = {}
        if runs and runs[-1][0] == sql:
            runs[-1][1].append(params)
        else:
            runs.append((sql, [params]))
    runs += segment.items()
    return runs
