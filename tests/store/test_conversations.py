"""The conversation store: listing, paging, user changes, crash recovery, ownership, and writes
that wait out another process's lock."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from codex_lsp.errors import ProtocolError, UnknownConversationError
from codex_lsp.store import ConversationStore
from codex_lsp.store.database import BUSY_TIMEOUT_MS
from codex_lsp.store.records import title_from

INSERT = (
    "INSERT INTO conversations (id, created_at, updated_at, cwd, model, provider, preview, "
    "owner_pid) VALUES (?, ?, ?, ?, 'm', 'p', ?, ?)"
)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[ConversationStore]:
    """A fresh store file."""
    opened = await ConversationStore.open(tmp_path / "state.db")
    yield opened
    await opened.close()


def add(
    store: ConversationStore, cid: str, updated: float, cwd: str, owner: int | None = None
) -> None:
    store.writes.enqueue(INSERT, (cid, updated, updated, cwd, f"preview {cid}", owner))


async def test_pages_follow_update_order_and_cursors_never_repeat_or_skip(
    store: ConversationStore,
) -> None:
    for i in range(23):
        add(store, f"c{i:02d}", 1000.0 + i // 2, "/w")  # pairs share an updated_at
    seen: list[str] = []
    cursor = None
    while True:
        page = await store.list_page(cwd=None, archived=False, cursor=cursor, page_size=5)
        seen += [r.id for r in page.rows]
        cursor = page.next_cursor
        if cursor is None:
            break
    expected = sorted((f"c{i:02d}" for i in range(23)), key=lambda c: (1000 + int(c[1:]) // 2, c))
    assert seen == expected[::-1]


async def test_the_workspace_filter_keeps_the_folder_and_below_only(
    store: ConversationStore,
) -> None:
    add(store, "root", 1, "/home/me/proj")
    add(store, "sub", 2, "/home/me/proj/pkg")
    add(store, "sibling", 3, "/home/me/proj2")
    add(store, "other", 4, "/elsewhere")
    page = await store.list_page(
        cwd=Path("/home/me/proj"), archived=False, cursor=None, page_size=50
    )
    assert [r.id for r in page.rows] == ["sub", "root"]


async def test_a_bad_cursor_says_to_list_again(store: ConversationStore) -> None:
    with pytest.raises(ProtocolError, match="list again without a cursor"):
        await store.list_page(cwd=None, archived=False, cursor="garbage", page_size=5)


async def test_rename_archive_and_delete_with_its_items_and_events(
    store: ConversationStore,
) -> None:
    add(store, "a", 1, "/w")
    store.writes.enqueue(
        "INSERT INTO items (conversation_id, epoch, seq, body) VALUES ('a', 0, 0, ?)",
        (json.dumps({"type": "assistantMessage", "text": "hi"}),),
    )
    store.writes.enqueue(
        "INSERT INTO events (conversation_id, seq, body) VALUES ('a', 0, '{\"type\":\"x\"}')"
    )
    await store.rename("a", "My title")
    assert (await store.get("a")).title == "My title"
    await store.set_archived("a", True)
    listed = await store.list_page(cwd=None, archived=False, cursor=None, page_size=5)
    assert listed.rows == []
    archived = await store.list_page(cwd=None, archived=True, cursor=None, page_size=5)
    assert [r.id for r in archived.rows] == ["a"]
    await store.delete("a")
    with pytest.raises(UnknownConversationError):
        await store.get("a")
    db = sqlite3.connect(store.path)
    try:
        assert db.execute("SELECT COUNT(*) FROM items").fetchone()[0] == 0
        assert db.execute("SELECT COUNT(*) FROM events").fetchone()[0] == 0
    finally:
        db.close()
    with pytest.raises(UnknownConversationError):
        await store.rename("a", "again")


async def test_recover_marks_running_turns_aborted_once(store: ConversationStore) -> None:
    add(store, "a", 1, "/w")
    store.writes.enqueue(
        "INSERT INTO turns (conversation_id, turn_id, kind, status, started_at, epoch) "
        "VALUES ('a', 't1', 'regular', 'running', 1, 0)"
    )
    assert await store.recover("a") == ["t1"]
    assert await store.recover("a") == []
    stored = await store.load("a")
    assert [json.loads(e) for e in stored.events] == [
        {"type": "turnAborted", "turnId": "t1", "reason": "interrupted"}
    ]
    assert stored.turns[0].status == "aborted"


async def test_a_conversation_open_in_a_live_process_cannot_be_claimed(
    store: ConversationStore,
) -> None:
    other = subprocess.Popen(["sleep", "30"])
    try:
        add(store, "busy", 1, "/w", owner=other.pid)
        with pytest.raises(ProtocolError, match=rf"another codex-lsp process \(pid {other.pid}\)"):
            await store.claim("busy")
    finally:
        other.kill()
        other.wait()
    await store.claim("busy")
    assert (await store.get("busy")).owner_pid == os.getpid()


async def test_queued_writes_wait_out_another_process_holding_the_lock(
    store: ConversationStore,
) -> None:
    blocker = sqlite3.connect(store.path, timeout=0.1)
    blocker.execute("BEGIN IMMEDIATE")
    add(store, "late", 1, "/w")
    flush = asyncio.create_task(store.writes.flush(timeout_s=30))
    await asyncio.sleep(BUSY_TIMEOUT_MS / 1000 + 0.5)  # the first attempt failed; retrying
    assert not flush.done()
    blocker.rollback()
    blocker.close()
    await asyncio.wait_for(flush, 20)
    assert (await store.get("late")).preview == "preview late"


def test_titles_are_the_first_line_cut_at_a_word() -> None:
    assert title_from("\n  fix the bug\nmore details") == "fix the bug"
    long = "please refactor the configuration loader so that profiles merge before projects do"
    title = title_from(long)
    assert title.endswith("…") and len(title) <= 61 and long.startswith(title[:-1])


async def test_a_refused_statement_does_not_wedge_later_writes(store: ConversationStore) -> None:
    add(store, "first", 1, "/w")
    add(store, "first", 2, "/w")  # the same primary key: SQLite refuses this one
    add(store, "after", 3, "/w")
    await store.writes.flush(timeout_s=10)
    page = await store.list_page(cwd=None, archived=False, cursor=None, page_size=10)
    assert [r.id for r in page.rows] == ["after", "first"]
    add(store, "later", 4, "/w")
    await store.writes.flush(timeout_s=10)
    assert (await store.get("later")).preview == "preview later"
