"""Conversations outlive the manager that ran them: resume, fork from the store, compaction
epochs, automatic compaction, token accounting, and durability before ``taskComplete``."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from codex_lsp.core import ConfigSources, ConversationManager, FrontEnd
from codex_lsp.core.context import SUMMARY_PREFIX
from codex_lsp.protocol.events import EventEnvelope
from codex_lsp.protocol.items import TextInput
from codex_lsp.protocol.ops import CompactOp, UserInputOp
from codex_lsp.protocol.requests import NewConversationParams
from codex_lsp.testing import ErrorReply, FakeModelServer, Reply, Text
from tests.helpers import EventLog


def say(text: str) -> UserInputOp:
    return UserInputOp(items=[TextInput(text=text)])


def request_text(server: FakeModelServer, index: int) -> str:
    return json.dumps(server.requests[index].body["input"])


@pytest.fixture
async def second_manager(
    codex_home: Path, log: EventLog, workspace: Path
) -> AsyncIterator[ConversationManager]:
    """Another manager on the same home: a restarted server."""

    mgr = ConversationManager(
        FrontEnd(log.sink), ConfigSources(home=codex_home, default_cwd=workspace)
    )
    yield mgr
    await mgr.shutdown_all()


async def test_a_conversation_resumes_after_its_server_stopped(
    manager: ConversationManager,
    second_manager: ConversationManager,
    model_server: FakeModelServer,
    log: EventLog,
) -> None:
    model_server.enqueue(
        Reply((Text("the capital is Paris"),), input_tokens=300, output_tokens=7),
        Reply((Text("about two million"),)),
    )
    conv = await manager.new_conversation(NewConversationParams())
    conv.submit(say("capital of France?"))
    await log.wait_for("taskComplete", conv.id)
    await manager.shutdown_all()

    resumed = await second_manager.resume(conv.id)
    replay = resumed.initial_messages
    kinds = [m["type"] for m in replay]
    assert "sessionConfigured" not in kinds and "agentMessageDelta" not in kinds
    assert [m["message"] for m in replay if m["type"] == "userMessage"] == ["capital of France?"]
    assert [m["message"] for m in replay if m["type"] == "agentMessage"] == ["the capital is Paris"]
    assert kinds[-1] == "taskComplete"

    second_manager.get(conv.id).submit(say("and its population?"))
    await log.wait_for("taskComplete", conv.id, count=2)
    sent = request_text(model_server, -1)
    assert sent.count("capital of France?") == 1 and "the capital is Paris" in sent
    totals = log.msgs(conv.id, "tokenCount")[-1]["info"]["totalTokenUsage"]
    assert totals["inputTokens"] == 300 + 100  # the first turn's usage survived the restart


async def test_fork_of_a_stored_conversation_before_a_compaction(
    manager: ConversationManager,
    second_manager: ConversationManager,
    model_server: FakeModelServer,
    log: EventLog,
) -> None:
    model_server.enqueue(
        Reply((Text("answer one"),)),
        Reply((Text("SUMMARY: they asked one question"),)),
        Reply((Text("after compaction"),)),
        Reply((Text("from the fork"),)),
    )
    conv = await manager.new_conversation(NewConversationParams())
    conv.submit(say("question one"))
    first = await log.wait_for("taskComplete", conv.id)
    conv.submit(CompactOp())
    compacted = await log.wait_for("contextCompacted", conv.id)
    assert compacted["item"]["summary"] == "SUMMARY: they asked one question"
    assert compacted["automatic"] is False
    await log.wait_for("taskComplete", conv.id, count=2)
    await manager.shutdown_all()

    await second_manager.resume(conv.id)
    second_manager.get(conv.id).submit(say("question two"))
    await log.wait_for("taskComplete", conv.id, count=3)
    after = request_text(model_server, 2)
    assert SUMMARY_PREFIX in after and "answer one" not in after

    fork = await second_manager.fork(conv.id, first["turnId"])
    fork.submit(say("question three"))
    await log.wait_for("taskComplete", fork.id)
    forked = request_text(model_server, 3)
    assert "answer one" in forked and SUMMARY_PREFIX not in forked
    assert "question two" not in forked


async def test_the_context_is_compacted_automatically_at_the_limit(
    manager: ConversationManager, model_server: FakeModelServer, log: EventLog
) -> None:
    model_server.enqueue(
        Reply((Text("long answer"),), input_tokens=900, output_tokens=100),
        Reply((Text("SUMMARY: handoff"),)),
        Reply((Text("short answer"),)),
    )
    conv = await manager.new_conversation(
        NewConversationParams(
            config={"model_auto_compact_token_limit": 1000, "model_context_window": 4000}
        )
    )
    conv.submit(say("first"))
    await log.wait_for("taskComplete", conv.id)
    meter = log.msgs(conv.id, "tokenCount")[-1]["info"]
    assert meter["contextTokens"] == 1000 and meter["modelContextWindow"] == 4000
    assert meter["contextLeftPercent"] == 75
    assert meter["autoCompactTokenLimit"] == 1000  # a context meter warns before it is reached
    conv.submit(say("second"))
    await log.wait_for("taskComplete", conv.id, count=2)
    compacted = log.msgs(conv.id, "contextCompacted")
    assert len(compacted) == 1 and compacted[0]["automatic"] is True
    assert compacted[0]["item"]["summary"] == "SUMMARY: handoff"
    final = request_text(model_server, 2)
    assert SUMMARY_PREFIX in final and "long answer" not in final and "second" in final


async def test_a_context_overflow_compacts_and_retries_once(
    manager: ConversationManager, model_server: FakeModelServer, log: EventLog
) -> None:
    model_server.enqueue(
        Reply((Text("one"),)),
        ErrorReply(400, "Your input exceeds the context window", code="context_length_exceeded"),
        Reply((Text("SUMMARY: short"),)),
        Reply((Text("fits now"),)),
    )
    conv = await manager.new_conversation(NewConversationParams())
    conv.submit(say("first"))
    await log.wait_for("taskComplete", conv.id)
    conv.submit(say("second"))
    done = await log.wait_for("taskComplete", conv.id, count=2)
    assert done["lastAgentMessage"] == "fits now"
    assert "error" not in log.types(conv.id)
    assert log.msgs(conv.id, "contextCompacted")[0]["automatic"] is True


async def test_items_are_on_disk_before_the_client_hears_task_complete(
    codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    seen: dict[str, Any] = {}
    log = EventLog()

    def sink(event: EventEnvelope) -> None:
        wire = event.to_wire()
        if wire["msg"]["type"] == "taskComplete":
            db = sqlite3.connect(codex_home / "state.db")
            try:
                seen["items"] = [
                    json.loads(r[0])
                    for r in db.execute("SELECT body FROM items ORDER BY epoch, seq")
                ]
                seen["turns"] = db.execute("SELECT status, usage FROM turns").fetchall()
            finally:
                db.close()
        log.add(wire)

    model_server.enqueue(Reply((Text("durable answer"),)))
    manager = ConversationManager(
        FrontEnd(sink), ConfigSources(home=codex_home, default_cwd=workspace)
    )
    try:
        conv = await manager.new_conversation(NewConversationParams())
        conv.submit(say("is it saved?"))
        await log.wait_for("taskComplete", conv.id)
    finally:
        await manager.shutdown_all()
    assert {"type": "assistantMessage", "text": "durable answer"} in seen["items"]
    [(status, usage)] = seen["turns"]
    assert status == "completed"
    assert json.loads(usage)["inputTokens"] == 100  # the turn's own token usage
