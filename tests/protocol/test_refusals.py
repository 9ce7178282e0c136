"""A real server refuses what names nothing real or goes over a limit: -32602 with a message that
says what was wrong, at once, and it keeps serving (docs/protocol.md "Errors" and "Limits")."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from pygls.exceptions import JsonRpcException

from codex_lsp.testing import FakeModelServer, Reply, Text
from tests.lsp.conftest import Session, open_session

pytestmark = pytest.mark.slow


async def refused(session: Session, method: str, params: dict[str, Any]) -> str:
    started = time.perf_counter()
    with pytest.raises(JsonRpcException) as info:
        await session.request(method, params)
    assert info.value.code == -32602, (method, info.value)
    message = str(info.value)
    assert "Traceback" not in message and "Error(" not in message, message
    assert time.perf_counter() - started < 5, f"{method} took long to refuse"
    return message


async def test_requests_naming_what_does_not_exist_are_refused(
    codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    model_server.default_reply = Reply((Text("ok"),))
    async with open_session(codex_home, workspace, "neovim", custom_approvals=True) as lsp:
        conv = await lsp.new_conversation()
        scoped = {"conversationId": conv}
        text = [{"type": "text", "text": "hi"}]
        missing = str(workspace / "no-such-folder")

        message = await refused(lsp, "codex/userTurn", {**scoped, "items": text, "cwd": missing})
        assert f"cwd {missing} is not a directory" in message
        message = await refused(lsp, "codex/overrideTurnContext", {**scoped, "cwd": missing})
        assert f"cwd {missing} is not a directory" in message
        new = await refused(lsp, "codex/newConversation", {"cwd": missing})
        assert new == message  # refused the same way as a new conversation

        message = await refused(lsp, "codex/undoTurn", {**scoped, "turnId": "turn-nope"})
        assert "'turn-nope' is not a turn of conversation" in message
        message = await refused(
            lsp, "codex/review", {**scoped, "reviewRequest": {"target": {"type": "commit"}}}
        )
        assert "a commit review needs sha" in message
        message = await refused(lsp, "codex/renameConversation", {**scoped, "title": "   "})
        assert "title" in message and "blank" in message
        image = {"type": "image", "imageUrl": "file:///etc/passwd"}
        message = await refused(lsp, "codex/userInput", {**scoped, "items": [image]})
        assert "https: or data:image/" in message and "localImage" in message

        # none of these reached the conversation: it is idle, and its next turn runs as usual
        assert lsp.log.types(conv).count("taskStarted") == 0
        await lsp.say(conv, "still there?")
        done = await lsp.log.wait_for("taskComplete", conv)
        assert done["lastAgentMessage"] == "ok"
        turn = done["turnId"]
        undo = await lsp.request("codex/undoTurn", {**scoped, "turnId": turn})
        assert undo["submissionId"]
        undone = await lsp.log.wait_for("undoCompleted", conv)
        assert f"turn {turn} changed no files" in undone["message"]


async def test_over_limit_requests_are_refused_without_stalling_the_server(
    codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    async with open_session(codex_home, workspace, "visual-studio-code", True) as lsp:
        conv = await lsp.new_conversation()
        message = await refused(lsp, "codex/fuzzyFileSearch", {"query": "a" * 10_000_000})
        assert "query" in message and "at most 1024" in message
        big = [{"type": "text", "text": "x" * (10 << 20)}]
        message = await refused(lsp, "codex/userInput", {"conversationId": conv, "items": big})
        assert "at most 1048576" in message
        message = await refused(lsp, "codex/newConversation", {"model": "m" * 100_000})
        assert "model" in message and "at most 256" in message
        await refused(lsp, "codex/newConversation", {"cwd": "/" + "d" * 5000})
        await refused(
            lsp, "codex/renameConversation", {"conversationId": conv, "title": "t" * 5000}
        )
        (workspace / "models.py").write_text("")
        found = await lsp.request("codex/fuzzyFileSearch", {"query": "modpy"})
        assert [f["path"] for f in found["files"]] == ["models.py"]
