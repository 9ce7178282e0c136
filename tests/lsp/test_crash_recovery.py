"""kill -9 of the language server mid-turn, then a new server resumes the conversation; and two
servers (two editor windows) sharing one store."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from codex_lsp.testing import FakeModelServer, Reply, Stall, Text, ToolCall
from tests.lsp.conftest import open_session

PATCH = "*** Begin Patch\n*** Add File: made.txt\n+made\n*** End Patch\n"
MOMENTS: dict[str, tuple[Reply, str]] = {
    "streaming": (Reply((Text("partial ans", chunks=2), Stall(2))), "agentMessageDelta"),
    "command": (Reply((ToolCall("shell", {"command": ["sleep", "60"]}),)), "execCommandBegin"),
    "patch": (Reply((ToolCall("apply_patch", {"input": PATCH}),)), "patchApplyBegin"),
}


def integrity(db_path: Path) -> str:
    db = sqlite3.connect(db_path)
    try:
        return str(db.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        db.close()


@pytest.mark.slow
@pytest.mark.parametrize("moment", list(MOMENTS))
async def test_a_killed_server_loses_nothing_completed(
    moment: str, codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    reply, wait_for = MOMENTS[moment]
    model_server.enqueue(Reply((Text("warm-up answer"),)), reply)
    async with open_session(codex_home, workspace, "neovim", custom_approvals=True) as first:
        conv = await first.new_conversation(approvalPolicy="never")
        await first.say(conv, "warm up")
        await first.log.wait_for("taskComplete", conv)
        seen = len(first.log.msgs(conv, wait_for))
        await first.say(conv, "now the long one")
        await first.log.wait_for(wait_for, conv, count=seen + 1)
        await first.kill()
    assert integrity(codex_home / "state.db") == "ok"

    model_server.enqueue(Reply((Text("back again"),), match="are you back?"))
    async with open_session(codex_home, workspace, "neovim", custom_approvals=True) as second:
        resumed = await second.request("codex/resumeConversation", {"conversationId": conv})
        replay: list[dict[str, Any]] = resumed["initialMessages"]
        users = [m["message"] for m in replay if m["type"] == "userMessage"]
        assert users == ["warm up", "now the long one"]
        assert [m["message"] for m in replay if m["type"] == "agentMessage"] == ["warm-up answer"]
        assert replay[-1]["type"] == "turnAborted" and replay[-1]["reason"] == "interrupted"
        completed = [m["item"]["id"] for m in replay if m["type"] == "itemCompleted"]
        assert len(completed) == len(set(completed))
        await second.say(conv, "are you back?")
        done = await second.log.wait_for("taskComplete", conv)
        assert done["lastAgentMessage"] == "back again"
        listed = await second.request("codex/listConversations", {})
        assert listed["items"][0]["turnCount"] == 3
    sent = model_server.requests[-1].body["input"]
    text = json.dumps(sent)
    assert text.count("now the long one") == 1 and text.count("warm-up answer") == 1
    calls = {i["call_id"] for i in sent if i.get("type") in ("function_call", "custom_tool_call")}
    outputs = {
        i["call_id"]
        for i in sent
        if i.get("type") in ("function_call_output", "custom_tool_call_output")
    }
    assert calls == outputs  # every interrupted call got an output, so the request is valid
    assert integrity(codex_home / "state.db") == "ok"


@pytest.mark.slow
async def test_two_servers_share_one_store(
    codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    model_server.default_reply = Reply((Text("ok"),))
    async with (
        open_session(codex_home, workspace, "neovim", custom_approvals=True) as a,
        open_session(codex_home, workspace, "visual-studio-code", custom_approvals=True) as b,
    ):
        conv_a = await a.new_conversation()
        conv_b = await b.new_conversation()

        async def chat(session: Any, conv: str, tag: str) -> None:
            for n in range(1, 6):
                await session.say(conv, f"{tag} message {n}")
                await session.log.wait_for("taskComplete", conv, count=n)

        await asyncio.gather(chat(a, conv_a, "A"), chat(b, conv_b, "B"))
        for session in (a, b):
            listed = await session.request("codex/listConversations", {})
            counts = {i["conversationId"]: i["turnCount"] for i in listed["items"]}
            assert counts == {conv_a: 5, conv_b: 5}
        with pytest.raises(Exception, match="open in another codex-lsp process"):
            await b.request("codex/resumeConversation", {"conversationId": conv_a})
        fork = await b.request("codex/forkConversation", {"conversationId": conv_a})
        assert fork["forkedFromId"] == conv_a
    assert integrity(codex_home / "state.db") == "ok"
