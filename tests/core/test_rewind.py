"""Rewind: a turn and every later one leave the conversation — what the model receives next, what
a resume after a restart shows and sends — and, when asked, their file changes are taken back."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from codex_lsp.core import ConfigSources, ConversationManager, FrontEnd
from codex_lsp.errors import ProtocolError
from codex_lsp.protocol.items import TextInput
from codex_lsp.protocol.ops import CompactOp, RewindConversationOp, UserInputOp
from codex_lsp.protocol.requests import NewConversationParams
from codex_lsp.testing import FakeModelServer, Reply, Text, ToolCall
from tests.helpers import EventLog


def _say(text: str) -> UserInputOp:
    return UserInputOp(items=[TextInput(text=text)])


def _sent(server: FakeModelServer, index: int = -1) -> str:
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


async def _three_turns(
    manager: ConversationManager, model_server: FakeModelServer, log: EventLog
) -> tuple[str, list[str]]:
    model_server.enqueue(
        Reply((Text("answer one"),)),
        Reply(
            (
                ToolCall(
                    "apply_patch",
                    {
                        "input": "*** Begin Patch\n*** Update File: app.py\n@@\n-v = 0\n+v = 1\n"
                        "*** End Patch\n"
                    },
                ),
            )
        ),
        Reply((Text("answer two"),)),
        Reply((Text("answer three"),)),
    )
    conv = await manager.new_conversation(NewConversationParams(approval_policy="never"))
    for n, text in enumerate(("first question", "second: patch it", "third question"), 1):
        conv.submit(_say(text))
        await log.wait_for("taskComplete", conv.id, count=n)
    turns = [m["turnId"] for m in log.msgs(conv.id, "userMessage")]
    return conv.id, turns


async def test_rewind_drops_the_turns_from_what_the_model_sees_and_survives_a_restart(
    manager: ConversationManager,
    second_manager: ConversationManager,
    model_server: FakeModelServer,
    log: EventLog,
    workspace: Path,
) -> None:
    (workspace / "app.py").write_text("v = 0\n")
    conv_id, turns = await _three_turns(manager, model_server, log)
    assert (workspace / "app.py").read_text() == "v = 1\n"
    manager.get(conv_id).submit(RewindConversationOp(turn_id=turns[1], restore_files=True))
    rewound = await log.wait_for("conversationRewound", conv_id)
    assert rewound["rewoundTurnIds"] == turns[1:]
    assert rewound["restoredFiles"] == ["app.py"]
    assert (workspace / "app.py").read_text() == "v = 0\n"

    model_server.enqueue(Reply((Text("edited answer"),)))
    manager.get(conv_id).submit(_say("second, edited"))
    await log.wait_for("taskComplete", conv_id, count=4)
    sent = _sent(model_server)
    assert "first question" in sent and "answer one" in sent and "second, edited" in sent
    for gone in ("second: patch it", "answer two", "third question", "answer three", "v = 1"):
        assert gone not in sent, gone
    await manager.shutdown_all()

    resumed = await second_manager.resume(conv_id)
    users = [m["message"] for m in resumed.initial_messages if m["type"] == "userMessage"]
    assert users == ["first question", "second, edited"]
    assert resumed.undoable_turn_ids == []
    model_server.enqueue(Reply((Text("after the restart"),)))
    conv = second_manager.get(conv_id)
    conv.submit(_say("still there?"))
    await log.wait_for("taskComplete", conv_id, count=5)
    sent = _sent(model_server)
    assert "second, edited" in sent and "third question" not in sent
    assert "second: patch it" not in sent

    # rewinding again, from the stored history, reaches the turns kept the first time
    kept = [m["turnId"] for m in resumed.initial_messages if m["type"] == "userMessage"]
    conv.submit(RewindConversationOp(turn_id=kept[1]))
    again = await log.wait_for("conversationRewound", conv_id, count=2)
    assert again["rewoundTurnIds"][0] == kept[1] and len(again["rewoundTurnIds"]) == 2
    model_server.enqueue(Reply((Text("fresh"),)))
    conv.submit(_say("only the first is left"))
    await log.wait_for("taskComplete", conv_id, count=6)
    sent = _sent(model_server)
    assert "first question" in sent and "second, edited" not in sent and "still there?" not in sent


async def test_rewind_without_restore_files_keeps_the_files(
    manager: ConversationManager, model_server: FakeModelServer, log: EventLog, workspace: Path
) -> None:
    (workspace / "app.py").write_text("v = 0\n")
    conv_id, turns = await _three_turns(manager, model_server, log)
    manager.get(conv_id).submit(RewindConversationOp(turn_id=turns[2]))
    rewound = await log.wait_for("conversationRewound", conv_id)
    assert rewound["rewoundTurnIds"] == [turns[2]] and rewound["restoredFiles"] == []
    assert (workspace / "app.py").read_text() == "v = 1\n"


async def test_a_turn_that_is_not_the_conversations_is_refused(
    manager: ConversationManager, model_server: FakeModelServer, log: EventLog
) -> None:
    model_server.enqueue(Reply((Text("hi"),)))
    conv = await manager.new_conversation(NewConversationParams())
    conv.submit(_say("hello"))
    await log.wait_for("taskComplete", conv.id)
    with pytest.raises(ProtocolError, match="is not a turn of conversation"):
        conv.submit(RewindConversationOp(turn_id="turn-nope"))


async def test_a_turn_before_a_compaction_cannot_be_rewound_and_says_what_to_do(
    manager: ConversationManager, model_server: FakeModelServer, log: EventLog
) -> None:
    model_server.enqueue(Reply((Text("hi"),)), Reply((Text("the summary"),)))
    conv = await manager.new_conversation(NewConversationParams())
    conv.submit(_say("hello"))
    await log.wait_for("taskComplete", conv.id)
    first = log.msgs(conv.id, "userMessage")[0]["turnId"]
    conv.submit(CompactOp())
    await log.wait_for("taskComplete", conv.id, count=2)
    conv.submit(RewindConversationOp(turn_id=first))
    error = await log.wait_for("error", conv.id)
    assert "fork from an earlier turn instead" in error["message"]
    assert "Traceback" not in error["message"]
