"""Undo survives the server: a turn's file changes are taken back after kill -9 of the server
(also of a turn that was still running), and the resumed client is told which turns can be
undone."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from codex_lsp.testing import FakeModelServer, Reply, Stall, Text, ToolCall
from tests.lsp.conftest import open_session


def _patch(body: str) -> Reply:
    return Reply((ToolCall("apply_patch", {"input": f"*** Begin Patch\n{body}*** End Patch\n"}),))


@pytest.mark.slow
async def test_undo_after_kill_9_restores_files_of_finished_and_running_turns(
    codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    app = workspace / "app.py"
    app.write_text("v = 0\n")
    (workspace / "notes.txt").write_text("mine\n")
    model_server.enqueue(
        _patch("*** Update File: app.py\n@@\n-v = 0\n+v = 1\n*** Add File: made.txt\n+made\n"),
        Reply((Text("one"),)),
        Reply((Text("talk only"),)),
        _patch(
            "*** Update File: app.py\n@@\n-v = 1\n+v = 2\n"
            "*** Update File: notes.txt\n@@\n-mine\n+theirs\n"
        ),
        Reply((Stall(60),)),
    )
    async with open_session(codex_home, workspace, "neovim", custom_approvals=True) as first:
        conv = await first.new_conversation(approvalPolicy="never")
        for n, text in enumerate(("change it", "just talk"), start=1):
            await first.say(conv, text)
            await first.log.wait_for("taskComplete", conv, count=n)
        done = first.log.msgs(conv, "taskComplete")
        assert done[0].get("undoable") is True and "undoable" not in done[1]
        await first.say(conv, "change more")
        async with asyncio.timeout(20):
            while len(model_server.requests) < 5:  # the request after the patch: stored by then
                await asyncio.sleep(0.02)
        await first.kill()
    assert app.read_text() == "v = 2\n"
    (workspace / "notes.txt").write_text("theirs, then the user's edit\n")

    async with open_session(codex_home, workspace, "neovim", custom_approvals=True) as second:
        resumed = await second.request("codex/resumeConversation", {"conversationId": conv})
        turns = [m["turnId"] for m in resumed["initialMessages"] if m["type"] == "userMessage"]
        assert resumed["undoableTurnIds"] == [turns[0], turns[2]]
        await second.request("codex/undoTurn", {"conversationId": conv, "turnId": turns[0]})
        undone = await second.log.wait_for("undoCompleted", conv)
        assert undone["undoneTurnIds"] == [turns[2], turns[0]]
        assert sorted(undone["restoredFiles"]) == ["app.py", "made.txt"]
        assert undone["skipped"] == [
            {"path": "notes.txt", "reason": "changed after the turn; your version is kept"}
        ]
        assert "notes.txt (changed after the turn" in undone["message"]
    assert app.read_text() == "v = 0\n" and not (workspace / "made.txt").exists()
    assert (workspace / "notes.txt").read_text() == "theirs, then the user's edit\n"

    async with open_session(codex_home, workspace, "neovim", custom_approvals=True) as third:
        again = await third.request("codex/resumeConversation", {"conversationId": conv})
        assert again["undoableTurnIds"] == []  # undone already: no client offers it again
