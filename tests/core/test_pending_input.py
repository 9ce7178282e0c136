"""Input sent while a turn runs: after the turn fails it runs next, as after success; an
interrupt hands it back to the client in ``turnAborted`` instead of sending it (Codex's TUI puts
queued messages back in the composer on an interrupt and sends them after an error)."""

from __future__ import annotations

import asyncio
import json

from codex_lsp.core import ConversationManager
from codex_lsp.protocol.items import TextInput
from codex_lsp.protocol.ops import InterruptOp, UserInputOp
from codex_lsp.protocol.requests import NewConversationParams
from codex_lsp.testing import Drop, ErrorReply, FakeModelServer, Reply, Stall, Text
from tests.helpers import EventLog


def say(text: str) -> UserInputOp:
    return UserInputOp(items=[TextInput(text=text)])


def sent(model_server: FakeModelServer, n: int) -> str:
    return json.dumps(model_server.requests[n].body["input"])


async def test_input_queued_during_a_failed_turn_runs_next(
    manager: ConversationManager, model_server: FakeModelServer, log: EventLog
) -> None:
    model_server.enqueue(
        Reply((Text("working on it", chunks=1), Stall(0.8), Drop())),
        ErrorReply(400, "this request was refused"),
        Reply((Text("second answer"),), match="and then this"),
    )
    conv = await manager.new_conversation(NewConversationParams())
    conv.submit(say("first"))
    await log.wait_for("agentMessageDelta", conv.id)
    conv.submit(say("and then this"))
    error = await log.wait_for("error", conv.id)
    assert "this request was refused" in error["message"]
    done = await log.wait_for("taskComplete", conv.id, count=2, timeout=15)
    assert done["lastAgentMessage"] == "second answer"
    assert [m["message"] for m in log.msgs(conv.id, "userMessage")] == ["first", "and then this"]
    failed, second = log.msgs(conv.id, "taskStarted")
    assert failed["turnId"] == error["turnId"] != second["turnId"]
    assert "and then this" in sent(model_server, 2) and "first" in sent(model_server, 2)


async def test_input_queued_before_an_interrupt_is_handed_back_not_sent(
    manager: ConversationManager, model_server: FakeModelServer, log: EventLog
) -> None:
    model_server.enqueue(
        Reply((Text("working on it", chunks=1), Stall(5))),
        Reply((Text("only the next one"),)),
    )
    conv = await manager.new_conversation(NewConversationParams())
    conv.submit(say("first"))
    await log.wait_for("agentMessageDelta", conv.id)
    conv.submit(say("zebra crossing"))
    conv.submit(InterruptOp())
    aborted = await log.wait_for("turnAborted", conv.id)
    assert aborted["returnedInput"] == [[{"type": "text", "text": "zebra crossing"}]]
    await asyncio.sleep(0.3)
    assert len(log.msgs(conv.id, "taskStarted")) == 1 and not conv.running
    conv.submit(say("next"))
    done = await log.wait_for("taskComplete", conv.id)
    assert done["lastAgentMessage"] == "only the next one"
    assert [m["message"] for m in log.msgs(conv.id, "userMessage")] == ["first", "next"]
    assert len(model_server.requests) == 2
    assert "zebra crossing" not in sent(model_server, 1) and "next" in sent(model_server, 1)
