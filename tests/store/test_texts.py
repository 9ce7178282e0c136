"""Long strings stored once (store/texts.py): references replace them in long rows only, read
back exactly, are shared by every row of a conversation, and go with the conversation."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from codex_lsp.errors import StoreError
from codex_lsp.store import ConversationStore
from codex_lsp.store.database import _statements, migrations
from codex_lsp.store.texts import TEXT_REF_MIN_CHARS, expand, shrink
from tests.store.test_conversations import add

LONG = "é" * TEXT_REF_MIN_CHARS


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[ConversationStore]:
    """A fresh store file."""
    opened = await ConversationStore.open(tmp_path / "state.db")
    yield opened
    await opened.close()


def test_short_rows_and_short_strings_are_kept_as_they_are() -> None:
    short = json.dumps({"type": "userMessage", "message": "hi"})
    assert shrink(short).body is short
    body = json.dumps({"a": "x" * (TEXT_REF_MIN_CHARS - 1), "b": "y" * (TEXT_REF_MIN_CHARS - 1)})
    assert shrink(body).body is body and shrink(body).texts == {}


def test_long_strings_become_references_and_read_back_exactly() -> None:
    data = {"type": "itemStarted", "item": {"content": [{"text": LONG}, {"text": "short"}]}}
    data["more"] = [LONG, 12, None, True, {"deep": LONG + "!"}]
    shrunk = shrink(json.dumps(data))
    assert len(shrunk.texts) == 2 and len(shrunk.body) < 500
    assert json.loads(expand(shrunk.body, shrunk.texts)) == data


def test_a_row_with_a_text_key_of_its_own_is_stored_whole() -> None:
    body = json.dumps({"result": {"$text": "abc", "output": LONG}})  # e.g. an MCP tool's result
    assert shrink(body).body is body


def test_a_lost_text_is_a_clear_store_error() -> None:
    shrunk = shrink(json.dumps({"text": LONG}))
    with pytest.raises(StoreError, match="lost a text this conversation refers to"):
        expand(shrunk.body, {})


async def test_a_text_is_stored_once_per_conversation_and_goes_with_it(
    store: ConversationStore,
) -> None:
    add(store, "a", 1, "/w")
    add(store, "b", 2, "/w")
    message = json.dumps({"type": "userMessage", "message": LONG})
    for conversation_id in ("a", "b"):
        for seq in range(3):
            store.add_event(conversation_id, seq, "t1", message)
        store.add_item(
            conversation_id, 0, 0, "t1", json.dumps({"type": "assistantMessage", "text": LONG})
        )
    await store.writes.flush()
    db = sqlite3.connect(store.path)
    try:
        texts = db.execute("SELECT conversation_id, length(body) FROM texts ORDER BY 1").fetchall()
        assert texts == [("a", len(LONG)), ("b", len(LONG))]
    finally:
        db.close()
    await store.delete("a")
    loaded = await store.load("b")
    assert loaded.event_objects() == [{"type": "userMessage", "message": LONG}] * 3
    db = sqlite3.connect(store.path)
    try:
        assert db.execute("SELECT conversation_id FROM texts").fetchall() == [("b",)]
    finally:
        db.close()


async def test_a_store_of_the_first_schema_migrates_and_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    db = sqlite3.connect(path, isolation_level=None)
    for statement in _statements(migrations()[0][1]):
        db.execute(statement)
    db.execute("PRAGMA user_version = 1")
    db.execute(
        "INSERT INTO conversations (id, created_at, updated_at, cwd, model, provider) "
        "VALUES ('old', 1, 1, '/w', 'm', 'p')"
    )
    body = json.dumps({"type": "userMessage", "message": LONG})
    db.execute("INSERT INTO events (conversation_id, seq, body) VALUES ('old', 0, ?)", (body,))
    item = json.dumps({"type": "assistantMessage", "text": LONG})
    db.execute(
        "INSERT INTO items (conversation_id, epoch, seq, body) VALUES ('old', 0, 0, ?)", (item,)
    )
    db.close()
    store = await ConversationStore.open(path)
    try:
        loaded = await store.load("old")
        assert loaded.event_objects() == [{"type": "userMessage", "message": LONG}]
        assert loaded.history[0].to_wire() == {"type": "assistantMessage", "text": LONG}
    finally:
        await store.close()
