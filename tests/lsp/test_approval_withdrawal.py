"""Approval requests the turn stops waiting for are withdrawn, and an error answer denies
(issue 15, item 12): through ``codex/execApproval`` and through ``window/showMessageRequest``,
against a real server process."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from codex_lsp.testing import FakeModelServer, Reply, Text, ToolCall
from tests.lsp.conftest import FAIL, HOLD, Session, open_session

pytestmark = pytest.mark.slow

WITHDRAWN_WITHIN_S = 5.0
# (the client declares codex approvals, the request it is asked with)
CLIENTS = {
    "custom": (True, "codex/execApproval"),
    "plain": (False, types.WINDOW_SHOW_MESSAGE_REQUEST),
}


def touch_then_answer(model_server: FakeModelServer) -> None:
    model_server.enqueue(
        Reply((ToolCall("shell", {"command": ["touch", "asked.txt"]}),)),
        Reply((Text("carried on"),)),
    )


async def withdrawn(session: Session, method: str) -> None:
    async with asyncio.timeout(WITHDRAWN_WITHIN_S):
        while method not in session.withdrawn:
            await asyncio.sleep(0.02)


async def approval_asked(session: Session, custom: bool) -> None:
    async with asyncio.timeout(10):
        while not (session.asked if custom else session.message_requests):
            await asyncio.sleep(0.02)


@pytest.mark.parametrize("client", list(CLIENTS))
async def test_an_interrupt_withdraws_the_open_approval_dialog(
    client: str, codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    custom, method = CLIENTS[client]
    touch_then_answer(model_server)
    async with open_session(codex_home, workspace, "neovim", custom_approvals=custom) as lsp:
        lsp.approvals = [HOLD]
        conv = await lsp.new_conversation(approvalPolicy="untrusted")
        await lsp.say(conv, "make the file")
        await approval_asked(lsp, custom)
        await lsp.request("codex/interrupt", {"conversationId": conv})
        await lsp.log.wait_for("turnAborted", conv)
        await withdrawn(lsp, method)
    assert not (workspace / "asked.txt").exists()


async def test_an_answer_by_command_withdraws_the_dialog(
    codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    touch_then_answer(model_server)
    async with open_session(codex_home, workspace, "neovim", custom_approvals=True) as lsp:
        lsp.approvals = [HOLD]
        conv = await lsp.new_conversation(approvalPolicy="untrusted")
        await lsp.say(conv, "make the file")
        await approval_asked(lsp, True)
        async with asyncio.timeout(10):
            while True:
                try:
                    await lsp.client.workspace_execute_command_async(
                        types.ExecuteCommandParams(command="codex-lsp.approve", arguments=[])
                    )
                    break
                except JsonRpcException:  # the approver registers just after the request
                    await asyncio.sleep(0.05)
        await withdrawn(lsp, "codex/execApproval")
        done = await lsp.log.wait_for("taskComplete", conv)
    assert done["lastAgentMessage"] == "carried on" and (workspace / "asked.txt").exists()


@pytest.mark.parametrize("client", list(CLIENTS))
async def test_an_error_answer_denies_and_the_turn_goes_on(
    client: str, codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    custom, _ = CLIENTS[client]
    touch_then_answer(model_server)
    async with open_session(codex_home, workspace, "neovim", custom_approvals=custom) as lsp:
        lsp.approvals = [FAIL]
        conv = await lsp.new_conversation(approvalPolicy="untrusted")
        await lsp.say(conv, "make the file")
        done = await lsp.log.wait_for("taskComplete", conv)
        errors = lsp.log.msgs(conv, "error")
    assert done["lastAgentMessage"] == "carried on"
    assert errors == [], errors
    assert not (workspace / "asked.txt").exists()
    assert "denied" in str(model_server.requests[1].body["input"]).lower()
