"""Undo without git: files come back, later edits by the user are respected, the model is told."""

from __future__ import annotations

import json
from pathlib import Path

from codex_lsp.core import ConversationManager
from codex_lsp.protocol.items import TextInput
from codex_lsp.protocol.ops import UndoTurnOp, UserInputOp
from codex_lsp.protocol.requests import NewConversationParams
from codex_lsp.testing import FakeModelServer, Reply, Text, ToolCall
from tests.helpers import EventLog


def _patch(body: str) -> Reply:
    return Reply((ToolCall("apply_patch", {"input": f"*** Begin Patch\n{body}*** End Patch\n"}),))


async def _say(conv_id: str, manager: ConversationManager, log: EventLog, count: int) -> None:
    manager.get(conv_id).submit(UserInputOp(items=[TextInput(text=f"turn {count}")]))
    await log.wait_for("taskComplete", conv_id, count=count)


async def test_undo_walks_back_turn_by_turn(
    manager: ConversationManager, model_server: FakeModelServer, log: EventLog, workspace: Path
) -> None:
    app = workspace / "app.py"
    app.write_text("v = 0\n")
    (workspace / "old.txt").write_text("old\n")
    model_server.enqueue(
        _patch("*** Update File: app.py\n@@\n-v = 0\n+v = 1\n*** Add File: made.txt\n+made\n"),
        Reply((Text("one"),)),
        _patch("*** Update File: app.py\n@@\n-v = 1\n+v = 2\n*** Delete File: old.txt\n"),
        Reply((Text("two"),)),
        Reply((Text("noted"),)),
    )
    conv = await manager.new_conversation(NewConversationParams())
    await _say(conv.id, manager, log, 1)
    await _say(conv.id, manager, log, 2)
    assert app.read_text() == "v = 2\n" and not (workspace / "old.txt").exists()

    conv.submit(UndoTurnOp())
    first = await log.wait_for("undoCompleted", conv.id)
    assert first["success"] and sorted(first["restoredFiles"]) == ["app.py", "old.txt"]
    assert app.read_text() == "v = 1\n" and (workspace / "old.txt").read_text() == "old\n"

    conv.submit(UndoTurnOp())
    second = await log.wait_for("undoCompleted", conv.id, count=2)
    assert sorted(second["restoredFiles"]) == ["app.py", "made.txt"]
    assert app.read_text() == "v = 0\n" and not (workspace / "made.txt").exists()

    conv.submit(UndoTurnOp())
    third = await log.wait_for("undoCompleted", conv.id, count=3)
    assert third["success"] is False and "nothing to undo" in third["message"]

    await _say(conv.id, manager, log, 6)
    sent = json.dumps(model_server.requests[-1].body["input"])
    assert "The user undid your last 1 turn(s)" in sent


async def test_undo_leaves_files_the_user_changed_since(
    manager: ConversationManager, model_server: FakeModelServer, log: EventLog, workspace: Path
) -> None:
    (workspace / "a.txt").write_text("a\n")
    (workspace / "b.txt").write_text("b\n")
    model_server.enqueue(
        _patch("*** Update File: a.txt\n@@\n-a\n+A\n*** Update File: b.txt\n@@\n-b\n+B\n"),
        Reply((Text("ok"),)),
    )
    conv = await manager.new_conversation(NewConversationParams())
    await _say(conv.id, manager, log, 1)
    (workspace / "b.txt").write_text("B plus my own edit\n")
    conv.submit(UndoTurnOp(num_turns=5))
    done = await log.wait_for("undoCompleted", conv.id)
    assert done["restoredFiles"] == ["a.txt"] and done["skippedFiles"] == ["b.txt"]
    assert (workspace / "a.txt").read_text() == "a\n"
    assert (workspace / "b.txt").read_text() == "B plus my own edit\n"


async def test_undo_from_a_chosen_turn_takes_back_that_turn_and_every_later_one(
    manager: ConversationManager, model_server: FakeModelServer, log: EventLog, workspace: Path
) -> None:
    app = workspace / "app.py"
    app.write_text("v = 0\n")
    model_server.enqueue(
        _patch("*** Update File: app.py\n@@\n-v = 0\n+v = 1\n"),
        Reply((Text("one"),)),
        Reply((Text("just talk"),)),
        _patch("*** Update File: app.py\n@@\n-v = 1\n+v = 2\n"),
        Reply((Text("three"),)),
    )
    conv = await manager.new_conversation(NewConversationParams())
    for n in (1, 2, 3):
        await _say(conv.id, manager, log, n)
    turns = [m["turnId"] for m in log.msgs(conv.id, "userMessage")]
    conv.submit(UndoTurnOp(turn_id=turns[1]))  # the turn that changed nothing
    nothing = await log.wait_for("undoCompleted", conv.id)
    assert nothing["success"] is False and turns[1] in nothing["message"]
    conv.submit(UndoTurnOp(turn_id=turns[0]))
    done = await log.wait_for("undoCompleted", conv.id, count=2)
    assert done["undoneTurnIds"] == [turns[2], turns[0]] and app.read_text() == "v = 0\n"
