"""Ops that name what does not exist are refused before they are queued (ProtocolError, which a
front end answers with -32602): a cwd that is no folder, a turn the conversation never had."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from codex_lsp.core import ConfigSources, ConversationManager, FrontEnd
from codex_lsp.errors import ProtocolError
from codex_lsp.protocol.items import TextInput
from codex_lsp.protocol.ops import OverrideTurnContextOp, UndoTurnOp, UserInputOp, UserTurnOp
from codex_lsp.protocol.requests import NewConversationParams
from codex_lsp.testing import FakeModelServer, Reply, Text
from tests.helpers import EventLog

HI = [TextInput(text="hi")]


async def test_a_turn_cannot_move_to_a_folder_that_does_not_exist(
    manager: ConversationManager, workspace: Path, log: EventLog
) -> None:
    conv = await manager.new_conversation(NewConversationParams())
    (workspace / "file.txt").write_text("")
    for cwd in (workspace / "gone", workspace / "file.txt", Path("gone/too")):
        with pytest.raises(ProtocolError, match="is not a directory; pass an existing folder"):
            conv.submit(UserTurnOp(items=HI, cwd=cwd))
        with pytest.raises(ProtocolError, match="is not a directory; pass an existing folder"):
            conv.submit(OverrideTurnContextOp(cwd=cwd))
    assert conv.ctx.cwd == workspace and "taskStarted" not in log.types(conv.id)


async def test_a_relative_cwd_is_read_from_the_conversations_folder(
    manager: ConversationManager, workspace: Path, log: EventLog, model_server: FakeModelServer
) -> None:
    model_server.default_reply = Reply((Text("ok"),))
    (workspace / "sub").mkdir()
    conv = await manager.new_conversation(NewConversationParams())
    conv.submit(UserTurnOp(items=HI, cwd=Path("sub")))
    await log.wait_for("taskComplete", conv.id)
    assert conv.ctx.cwd == workspace / "sub"
    assert f"<cwd>{workspace / 'sub'}</cwd>" in json.dumps(model_server.requests[0].body["input"])


async def test_a_model_name_over_the_limit_is_refused_however_it_is_set(
    manager: ConversationManager,
) -> None:
    with pytest.raises(ProtocolError, match="model name has 100000 characters; at most 256"):
        await manager.new_conversation(NewConversationParams(config={"model": "m" * 100_000}))
    assert manager.live() == []


async def test_a_folder_whose_name_is_not_utf8_is_refused(
    codex_home: Path, workspace: Path, log: EventLog
) -> None:
    folder = os.fsencode(workspace) + b"/caf\xe9"  # Latin-1, as an editor's root may be
    os.mkdir(folder)
    sources = ConfigSources(home=codex_home, default_cwd=Path(os.fsdecode(folder)))
    manager = ConversationManager(FrontEnd(log.sink), sources)
    try:
        with pytest.raises(ProtocolError, match="is not valid UTF-8"):
            await manager.new_conversation(NewConversationParams())
    finally:
        await manager.shutdown_all()


async def test_undo_of_a_turn_the_conversation_never_had_is_refused(
    manager: ConversationManager,
    codex_home: Path,
    workspace: Path,
    log: EventLog,
    model_server: FakeModelServer,
) -> None:
    model_server.default_reply = Reply((Text("ok"),))
    conv = await manager.new_conversation(NewConversationParams())
    with pytest.raises(ProtocolError, match="'turn-x' is not a turn of conversation"):
        conv.submit(UndoTurnOp(turn_id="turn-x"))
    conv.submit(UserInputOp(items=HI))
    turn = (await log.wait_for("taskComplete", conv.id))["turnId"]
    conv.submit(UndoTurnOp(turn_id=turn))
    assert "changed no files" in (await log.wait_for("undoCompleted", conv.id))["message"]

    await manager.shutdown_all()  # another server resumes it: the stored turns are its turns
    other = ConversationManager(
        FrontEnd(log.sink), ConfigSources(home=codex_home, default_cwd=workspace)
    )
    try:
        await other.resume(conv.id)
        resumed = other.get(conv.id)
        resumed.submit(UndoTurnOp(turn_id=turn))
        await log.wait_for("undoCompleted", conv.id, count=2)
        with pytest.raises(ProtocolError, match="is not a turn of conversation"):
            resumed.submit(UndoTurnOp(turn_id="turn-x"))
        fork = await other.fork(conv.id, turn)
        fork.submit(UndoTurnOp(turn_id=turn))  # the fork shows the turns it copied
        await log.wait_for("undoCompleted", fork.id)
    finally:
        await other.shutdown_all()
