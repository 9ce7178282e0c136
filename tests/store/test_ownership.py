"""A conversation is written by one process at a time: another process may neither resume nor
delete it while the holder lives (it would go on answering and store nothing), with the same
message; once the holder closed it, or died, both work."""

from __future__ import annotations

import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pygls.exceptions import JsonRpcException

from codex_lsp.errors import ProtocolError
from codex_lsp.store import ConversationStore
from codex_lsp.testing import FakeModelServer, Reply, Text
from tests.lsp.conftest import open_session
from tests.store.test_conversations import add


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[ConversationStore]:
    """A fresh store file."""
    opened = await ConversationStore.open(tmp_path / "state.db")
    yield opened
    await opened.close()


async def test_delete_is_refused_while_a_live_process_holds_the_conversation(
    store: ConversationStore,
) -> None:
    holder = subprocess.Popen(["sleep", "30"])
    try:
        add(store, "held", 1, "/w", owner=holder.pid)
        with pytest.raises(ProtocolError) as deleting:
            await store.delete("held")
        with pytest.raises(ProtocolError) as resuming:
            await store.claim("held")
        assert deleting.value.message == resuming.value.message
        assert f"open in another codex-lsp process (pid {holder.pid})" in deleting.value.message
        assert (await store.get("held")).owner_pid == holder.pid
    finally:
        holder.kill()
        holder.wait()
    await store.delete("held")  # its holder died: nothing is lost by deleting it
    assert await store.count() == 0


@pytest.mark.slow
async def test_a_second_server_cannot_delete_what_the_first_has_open(
    codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    model_server.default_reply = Reply((Text("ok"),))
    async with (
        open_session(codex_home, workspace, "neovim", custom_approvals=True) as a,
        open_session(codex_home, workspace, "visual-studio-code", custom_approvals=True) as b,
    ):
        conv = await a.new_conversation()
        await a.say(conv, "one")
        await a.log.wait_for("taskComplete", conv)
        scoped = {"conversationId": conv}
        with pytest.raises(JsonRpcException) as deleting:
            await b.request("codex/deleteConversation", scoped)
        with pytest.raises(JsonRpcException) as resuming:
            await b.request("codex/resumeConversation", scoped)
        assert deleting.value.code == resuming.value.code == -32602
        assert str(deleting.value) == str(resuming.value)
        assert "open in another codex-lsp process" in str(deleting.value)

        await a.say(conv, "two")  # the holder goes on, and what it answers is kept
        await a.log.wait_for("taskComplete", conv, count=2)
        listed = await b.request("codex/listConversations", {})
        assert [(i["conversationId"], i["turnCount"]) for i in listed["items"]] == [(conv, 2)]

        await a.request("codex/shutdown", scoped)  # closed there: now it may go
        await a.log.wait_for("shutdownComplete", conv)
        assert await b.request("codex/deleteConversation", scoped) == {}
        listed = await b.request("codex/listConversations", {})
        assert listed["items"] == []
