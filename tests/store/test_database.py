"""The SQLite file: pragmas, migrations, refusal of a newer schema."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from codex_lsp.errors import StoreError
from codex_lsp.store import ConversationStore
from codex_lsp.store.database import BUSY_TIMEOUT_MS, migrations


async def test_a_new_store_is_migrated_with_crash_safe_pragmas(tmp_path: Path) -> None:
    store = await ConversationStore.open(tmp_path / "deep" / "state.db")
    await store.close()
    db = sqlite3.connect(tmp_path / "deep" / "state.db")
    try:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA auto_vacuum").fetchone()[0] == 2  # incremental
        assert db.execute("PRAGMA user_version").fetchone()[0] == len(migrations())
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert {"conversations", "turns", "items", "events"} <= tables
    finally:
        db.close()


async def test_reopening_applies_nothing_twice(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    for _ in range(3):
        store = await ConversationStore.open(path)
        assert await store.integrity_check() == "ok"
        await store.close()


async def test_a_store_from_a_newer_version_is_refused_with_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 999")
    db.close()
    with pytest.raises(StoreError, match=r"newer codex-lsp .*upgrade codex-lsp"):
        await ConversationStore.open(path)


async def test_a_file_that_is_not_a_database_is_refused_with_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="move it aside"):
        await ConversationStore.open(path)


def test_migrations_are_numbered_without_gaps() -> None:
    versions = [v for v, _ in migrations()]
    assert versions == list(range(1, len(versions) + 1))


async def test_an_up_to_date_store_opens_while_another_process_writes(tmp_path: Path) -> None:
    """Opening a store already at the latest schema reads its version and takes no write lock:
    a second server (or an exec run) is not held up by a long write of the first."""
    path = tmp_path / "state.db"
    store = await ConversationStore.open(path)
    await store.close()
    writer = sqlite3.connect(path, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")  # the other process, in the middle of a write
        started = time.monotonic()
        store = await ConversationStore.open(path)
        try:
            assert await store.integrity_check() == "ok"
        finally:
            await store.close()
        assert time.monotonic() - started < BUSY_TIMEOUT_MS / 1000 / 2
    finally:
        writer.execute("ROLLBACK")
        writer.close()
