"""A long text is stored once per conversation, however many events and history items carry it:
what a message costs the store is about its own size, and it reads back exactly."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from codex_lsp.core import ConfigSources, ConversationManager, FrontEnd
from codex_lsp.protocol.items import ContextInput, TextInput
from codex_lsp.protocol.ops import UserInputOp
from codex_lsp.protocol.requests import NewConversationParams
from codex_lsp.testing import FakeModelServer, Reply, Text
from tests.helpers import EventLog

MIB = 1 << 20


def file_size(db_path: Path) -> int:
    db = sqlite3.connect(db_path)
    try:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.execute("PRAGMA incremental_vacuum")
        pages = db.execute("PRAGMA page_count").fetchone()[0]
        size: int = pages * db.execute("PRAGMA page_size").fetchone()[0]
    finally:
        db.close()
    return size


async def test_a_long_message_costs_the_store_about_its_size_and_reads_back(
    codex_home: Path, workspace: Path, model_server: FakeModelServer, log: EventLog
) -> None:
    model_server.default_reply = Reply((Text("ok"),))
    db_path = codex_home / "state.db"
    text = "".join(f"line {n}: pasted log output ünïcode\n" for n in range(MIB // 40))[: MIB - 10]
    manager = ConversationManager(
        FrontEnd(log.sink), ConfigSources(home=codex_home, default_cwd=workspace)
    )
    try:
        conv = await manager.new_conversation(NewConversationParams())
        conv.submit(UserInputOp(items=[TextInput(text="warm up")]))
        await log.wait_for("taskComplete", conv.id)
        await (await manager.store()).writes.flush()
        before = file_size(db_path)
        conv.submit(UserInputOp(items=[TextInput(text=text)]))
        await log.wait_for("taskComplete", conv.id, count=2)
        sent = log.msgs(conv.id, "userMessage")[-1]
        assert sent["message"] == text
        fork = await manager.fork(conv.id, None)
    finally:
        await manager.shutdown_all()
    grown = file_size(db_path) - before
    # the message is in the conversation and in its fork: once each, plus a little
    assert grown < 2 * len(text.encode()) * 1.15, f"{grown / MIB:.1f} MiB for two copies"

    other = ConversationManager(
        FrontEnd(log.sink), ConfigSources(home=codex_home, default_cwd=workspace)
    )
    try:
        for conversation_id in (conv.id, fork.id):
            resumed = await other.resume(conversation_id)
            replay = [m for m in resumed.initial_messages if m["type"] == "userMessage"]
            assert [m["message"] for m in replay] == ["warm up", text]
            started = [
                m["item"]["content"]
                for m in resumed.initial_messages
                if m["type"] == "itemStarted" and m["item"]["type"] == "userMessage"
            ]
            assert started[-1] == [{"type": "text", "text": text}]
        resumed_conv = other.get(conv.id)
        resumed_conv.submit(
            UserInputOp(items=[ContextInput(name="selection", text=text), TextInput(text="and?")])
        )
        await log.wait_for("taskComplete", conv.id, count=3)
        request = json.dumps(model_server.requests[-1].body["input"], ensure_ascii=False)
        encoded = json.dumps(text, ensure_ascii=False)[1:-1]
        assert request.count(encoded) == 2  # the model still gets the history, whole
    finally:
        await other.shutdown_all()
