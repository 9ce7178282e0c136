"""``codex/restartMcpServer`` over LSP against a real MCP server (the SDK's, stdio): a crashed
server comes back at once instead of after its backoff, a restart while a call hangs leaves the
new server ready, and a name that is not configured is an InvalidParams naming the configured
ones."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from pygls.exceptions import JsonRpcException

from codex_lsp.testing import FakeModelServer, Reply, Text, ToolCall
from tests.helpers import write_config
from tests.lsp.conftest import Session, open_session
from tests.mcp.conftest import server_table

pytestmark = pytest.mark.slow


async def settled(session: Session, after: int, state: str) -> dict[str, Any]:
    """The first ``codex/mcpServerStatus`` after the ``after``-th one that is not ``starting``;
    it must be ``state``."""
    async with asyncio.timeout(30):
        while True:
            later = [s for s in session.mcp_statuses[after:] if s["state"] != "starting"]
            if later:
                assert later[0]["state"] == state, session.mcp_statuses[after:]
                return later[0]
            await asyncio.sleep(0.05)


async def restart(session: Session) -> dict[str, Any]:
    """Restart the faults server; its statuses from then on: ``starting``, then ``ready``."""
    before = len(session.mcp_statuses)
    assert await session.request("codex/restartMcpServer", {"name": "faults"}) == {}
    ready = await settled(session, before, "ready")
    assert session.mcp_statuses[before]["state"] == "starting"
    return ready


async def test_restart_brings_a_crashed_server_back_at_once(
    clean_env: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    write_config(clean_env, model_server.base_url, extra=server_table("faults"))
    model_server.enqueue(
        Reply((ToolCall("faults__crash", {}),)),
        Reply((Text("it crashed"),)),
        Reply((ToolCall("faults__add", {"a": 2, "b": 3}),)),
        Reply((Text("five"),)),
    )
    async with open_session(clean_env, workspace, "visual-studio-code", True) as lsp:
        await settled(lsp, 0, "ready")
        conv = await lsp.new_conversation(approvalPolicy="never")
        await lsp.say(conv, "crash it")
        await lsp.log.wait_for("taskComplete", conv, timeout=30)
        [failed] = (await lsp.request("codex/listMcpServers", {}))["servers"]
        assert failed["state"] == "failed" and "crash" in failed["reason"]

        ready = await restart(lsp)
        assert "faults__add" in ready["tools"]
        [listed] = (await lsp.request("codex/listMcpServers", {}))["servers"]
        assert listed["state"] == "ready" and "faults__add" in listed["tools"]
        await lsp.say(conv, "add them")
        await lsp.log.wait_for("taskComplete", conv, count=2, timeout=30)
    [end] = [e for e in lsp.log.msgs(conv, "mcpToolCallEnd") if e["invocation"]["tool"] == "add"]
    assert end["result"]["content"][0]["text"] == "5" and "error" not in end


async def test_a_restart_while_a_call_hangs_leaves_the_new_server_ready(
    clean_env: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    write_config(clean_env, model_server.base_url, extra=server_table("faults"))
    model_server.enqueue(
        Reply((ToolCall("faults__hang", {}),)),
        Reply((Text("gave up on it"),)),
        Reply((ToolCall("faults__add", {"a": 1, "b": 1}),)),
        Reply((Text("two"),)),
    )
    async with open_session(clean_env, workspace, "neovim", True) as lsp:
        await settled(lsp, 0, "ready")
        conv = await lsp.new_conversation(approvalPolicy="never")
        await lsp.say(conv, "hang")
        await lsp.log.wait_for("mcpToolCallBegin", conv, timeout=30)
        await restart(lsp)
        done = await lsp.log.wait_for("taskComplete", conv, timeout=30)
        assert done["lastAgentMessage"] == "gave up on it"
        [hung] = lsp.log.msgs(conv, "mcpToolCallEnd")
        assert "restarted meanwhile" in hung["error"]
        [listed] = (await lsp.request("codex/listMcpServers", {}))["servers"]
        assert listed["state"] == "ready", listed  # the old call's failure left it alone
        await lsp.say(conv, "add")
        await lsp.log.wait_for("taskComplete", conv, count=2, timeout=30)
    add = lsp.log.msgs(conv, "mcpToolCallEnd")[1]
    assert add["result"]["content"][0]["text"] == "2"


async def test_an_unknown_or_empty_name_is_invalid_params(
    clean_env: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    write_config(clean_env, model_server.base_url, extra=server_table("faults"))
    async with open_session(clean_env, workspace, "visual-studio-code", True) as lsp:
        await settled(lsp, 0, "ready")
        with pytest.raises(JsonRpcException) as info:
            await lsp.request("codex/restartMcpServer", {"name": "nope"})
        assert info.value.code == -32602
        assert "no MCP server named 'nope' (configured: faults)" in str(info.value)
        for params in ({"name": ""}, {}):
            with pytest.raises(JsonRpcException) as info:
                await lsp.request("codex/restartMcpServer", params)
            assert info.value.code == -32602 and "name" in str(info.value)
        [listed] = (await lsp.request("codex/listMcpServers", {}))["servers"]
        assert listed["state"] == "ready" and len(lsp.mcp_statuses) == 2  # untouched
