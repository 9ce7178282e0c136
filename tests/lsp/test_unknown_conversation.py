"""A conversation id the server does not have is its own JSON-RPC error code (-32004), for every
request and command that names one, so clients test the code instead of the message text."""

from __future__ import annotations

import json
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from codex_lsp.protocol.method_names import UNKNOWN_CONVERSATION_CODE
from codex_lsp.protocol.methods import METHODS, Direction
from codex_lsp.protocol.requests import ConversationScoped
from tests.lsp.conftest import Session
from tests.protocol.test_docs import _sections

pytestmark = pytest.mark.slow

GONE = "no-such-conversation"
SCOPED = [
    m.name
    for m in METHODS
    if m.direction is Direction.CLIENT_REQUEST and issubclass(m.params, ConversationScoped)
]
# (command, its arguments naming GONE)
COMMANDS: list[tuple[str, list[Any]]] = [
    ("codex-lsp.sendPrompt", ["hello", GONE]),
    ("codex-lsp.interrupt", [GONE]),
    ("codex-lsp.compact", [GONE]),
    ("codex-lsp.undoTurn", [GONE]),
    ("codex-lsp.openChangedFiles", [GONE]),
]


def documented_params(method: str) -> dict[str, Any]:
    """The method's params example from docs/protocol.md, naming GONE."""
    params: dict[str, Any] = json.loads(_sections()[method][0])
    return {**params, "conversationId": GONE}


def assert_unknown(error: JsonRpcException) -> None:
    assert error.code == UNKNOWN_CONVERSATION_CODE == -32004, error
    assert f"unknown conversation id {GONE!r}" in str(error)


async def test_every_request_naming_an_unknown_conversation_gets_its_code(lsp: Session) -> None:
    assert len(SCOPED) >= 10, SCOPED
    for method in SCOPED:
        with pytest.raises(JsonRpcException) as info:
            await lsp.request(method, documented_params(method))
        assert_unknown(info.value)
    bad = await lsp.request("codex/listConversations", {})  # the server still serves
    assert bad["items"] == []


async def test_every_command_naming_an_unknown_conversation_gets_its_code(lsp: Session) -> None:
    for name, arguments in COMMANDS:
        params = types.ExecuteCommandParams(command=name, arguments=arguments)
        with pytest.raises(JsonRpcException) as info:
            await lsp.client.workspace_execute_command_async(params)
        assert_unknown(info.value)


async def test_other_bad_params_keep_invalid_params(lsp: Session) -> None:
    conv = await lsp.new_conversation()
    with pytest.raises(JsonRpcException) as info:
        await lsp.request("codex/userInput", {"conversationId": conv, "items": []})
    assert info.value.code == -32602 and "items" in str(info.value)


async def test_a_command_argument_over_a_limit_is_invalid_params(lsp: Session) -> None:
    """A command builds its params from its arguments: a value they refuse is the client's
    mistake (-32602 naming the field), not an internal error (the fuzz found -32603 here)."""
    for name, arguments in COMMANDS:
        too_long = [a if a != GONE else "x" * 300 for a in arguments]
        params = types.ExecuteCommandParams(command=name, arguments=too_long)
        with pytest.raises(JsonRpcException) as info:
            await lsp.client.workspace_execute_command_async(params)
        assert info.value.code in (-32602, -32004), (name, info.value)
    params = types.ExecuteCommandParams(command="codex-lsp.sendPrompt", arguments=["hi", "x" * 300])
    with pytest.raises(JsonRpcException) as info:
        await lsp.client.workspace_execute_command_async(params)
    assert info.value.code == -32602 and "conversationId" in str(info.value), info.value
