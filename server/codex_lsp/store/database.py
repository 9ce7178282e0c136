"""Opening the SQLite file: pragmas for a crash-safe, shared, embedded store, and forward-only
migrations tracked with ``PRAGMA user_version``."""

from __future__ import annotations

import asyncio
import os
import re
import sqlite3
import time
from pathlib import Path

import aiosqlite

from codex_lsp.errors import StoreError

BUSY_TIMEOUT_MS = 5_000
WAL_RETRY_S = 0.02
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
MIGRATIONS = Path(__file__).with_name("migrations")
"""The packaged migrations' folder (package data, installed as files)."""


def migration_files() -> list[Path]:
    """The packaged migrations in order: the first is version 1, the next 2, ..."""
    found = sorted(
        (int(match.group(1)), MIGRATIONS / name)
        for name in os.listdir(MIGRATIONS)
        if (match := _MIGRATION_NAME.match(name))
    )
    if [v for v, _ in found] != list(range(1, len(found) + 1)):
        raise StoreError("the packaged migrations are not numbered 0001, 0002, ... without gaps")
    return [path for _, path in found]


def migrations() -> list[tuple[int, str]]:
    """The packaged migrations as ``(version, sql)``, in order; versions are 1, 2, 3, ..."""
    files = migration_files()
    return [(n, path.read_text(encoding="utf-8")) for n, path in enumerate(files, 1)]


async def open_database(path: Path) -> aiosqlite.Connection:
    """Open (creating if needed) and migrate the store at ``path``. WAL lets two server
    processes share it; ``synchronous=NORMAL`` in WAL mode survives a killed process."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = await aiosqlite.connect(path, isolation_level=None)
    except (OSError, sqlite3.Error) as exc:
        raise StoreError(f"cannot open the conversation store {path}: {exc}") from exc
    try:
        await db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        version = await _user_version(db)
        if version == 0:  # incremental auto-vacuum is chosen before the first table exists
            await db.execute("PRAGMA auto_vacuum = INCREMENTAL")
        await _set_wal(db)
        await db.execute("PRAGMA synchronous = NORMAL")
        await db.execute("PRAGMA foreign_keys = ON")
        if version != len(migration_files()):  # up to date: no write lock taken, no file read
            await migrate(db)
    except sqlite3.Error as exc:
        await db.close()
        raise StoreError(
            f"the conversation store {path} cannot be used: {exc}. If it is damaged, move it "
            "aside; a new one is created on the next start."
        ) from exc
    except BaseException:
        await db.close()
        raise
    return db


async def _set_wal(db: aiosqlite.Connection) -> None:
    """``journal_mode = WAL``. SQLite refuses it with "database is locked" at once, not after
    the busy timeout, when another connection is setting up the same new file (two servers, or
    the spec-kit store and the conversation store, opening it together): it is tried again for
    up to BUSY_TIMEOUT_MS."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            await db.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
        await asyncio.sleep(WAL_RETRY_S)


async def _user_version(db: aiosqlite.Connection) -> int:
    """The schema version the file is at (0: a new file)."""
    async with db.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def migrate(db: aiosqlite.Connection) -> int:
    """Apply the migrations newer than the file's ``user_version``, each in its own
    transaction (an exclusive one, so two processes starting together migrate once)."""
    available = migrations()
    await db.execute("BEGIN IMMEDIATE")
    try:
        current = await _user_version(db)
        if current > len(available):
            raise StoreError(
                f"the conversation store was written by a newer codex-lsp (schema {current}, this "
                f"one knows {len(available)}); upgrade codex-lsp or point state_db elsewhere"
            )
        for version, sql in available[current:]:
            for statement in _statements(sql):
                await db.execute(statement)
            await db.execute(f"PRAGMA user_version = {version}")
        await db.execute("COMMIT")
    except BaseException:
        await db.execute("ROLLBACK")
        raise
    return len(available)


def _statements(sql: str) -> list[str]:
    """Split a migration file into statements (``executescript`` would commit on its own)."""
    statements: list[str] = []
    buffer = ""
    for line in sql.splitlines(keepends=True):
        if line.lstrip().startswith("--"):
            continue
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements
