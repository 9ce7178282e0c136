"""The write queue survives a statement the sqlite3 module cannot even bind: the rest of the
batch and every later write still reach the file."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from codex_lsp.store import ConversationStore
from tests.store.test_conversations import add


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[ConversationStore]:
    """A fresh store file."""
    opened = await ConversationStore.open(tmp_path / "state.db")
    yield opened
    await opened.close()


@pytest.mark.parametrize("bad", ["/w/\udcff", 1 << 70], ids=["not UTF-8", "over 64 bits"])
async def test_a_parameter_sqlite_cannot_bind_does_not_stop_the_writer(
    store: ConversationStore, bad: object
) -> None:
    add(store, "before", 1, "/w")
    store.writes.enqueue(
        "INSERT INTO conversations (id, created_at, updated_at, cwd, model, provider) "
        "VALUES ('bad', 2, 2, ?, 'm', 'p')",
        (bad,),
    )
    add(store, "after", 3, "/w")
    await store.writes.flush(timeout_s=10)
    add(store, "later", 4, "/w")
    await store.writes.flush(timeout_s=10)
    page = await store.list_page(cwd=None, archived=False, cursor=None, page_size=10)
    assert [r.id for r in page.rows] == ["later", "after", "before"]
