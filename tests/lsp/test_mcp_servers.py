"""Real third-party MCP servers from the npm registry (``@modelcontextprotocol/server-filesystem``
and ``server-memory``) started by the language server from config, called by a scripted model
over LSP, with an approval for the tool that writes."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest

from codex_lsp.testing import FakeModelServer, Reply, Text, ToolCall
from tests.helpers import write_config
from tests.lsp.conftest import Session, open_session

NPM_DIR = os.environ.get("MCP_NPM_DIR")
BIN = Path(NPM_DIR or "/nonexistent") / "node_modules" / ".bin"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (BIN / "mcp-server-filesystem").exists(),
        reason="the npm MCP servers are not installed (set MCP_NPM_DIR to a folder where "
        "`npm install @modelcontextprotocol/server-filesystem @modelcontextprotocol/server-memory`"
        " ran; .ci/run does this)",
    ),
]


async def ready(session: Session, names: set[str]) -> dict[str, dict[str, object]]:
    """Poll ``codex/listMcpServers`` until every server in ``names`` left ``starting``."""
    async with asyncio.timeout(30):
        while True:
            listed = await session.request("codex/listMcpServers", {})
            servers = {s["name"]: s for s in listed["servers"]}
            if names <= servers.keys() and all(servers[n]["state"] != "starting" for n in names):
                return servers
            await asyncio.sleep(0.1)


async def test_filesystem_and_memory_servers_over_lsp(
    clean_env: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    (workspace / "notes.txt").write_text("the build is green\n")
    tables = (
        f'\n[mcp_servers.fs]\ncommand = "{BIN / "mcp-server-filesystem"}"\n'
        f'args = ["{workspace}"]\n'
        f'\n[mcp_servers.memory]\ncommand = "{BIN / "mcp-server-memory"}"\n'
        f'env = {{ MEMORY_FILE_PATH = "{clean_env / "memory.json"}" }}\n'
    )
    write_config(clean_env, model_server.base_url, extra=tables)
    entity = {"name": "build", "entityType": "status", "observations": ["green"]}
    model_server.enqueue(
        Reply((ToolCall("fs__read_text_file", {"path": str(workspace / "notes.txt")}),)),
        Reply((ToolCall("memory__create_entities", {"entities": [entity]}),)),
        Reply((ToolCall("memory__read_graph", {}),)),
        Reply((Text("remembered"),)),
    )
    async with open_session(clean_env, workspace, "neovim", custom_approvals=True) as lsp:
        servers = await ready(lsp, {"fs", "memory"})
        assert servers["fs"]["state"] == "ready" and "fs__read_text_file" in servers["fs"]["tools"]
        assert servers["memory"]["state"] == "ready"
        assert {s["name"] for s in lsp.mcp_statuses if s["state"] == "ready"} == {"fs", "memory"}
        lsp.approvals = ["approved"]  # create_entities writes; read tools need no approval
        conv = await lsp.new_conversation(approvalPolicy="on-request")
        await lsp.say(conv, "remember the build status")
        done = await lsp.log.wait_for("taskComplete", conv, timeout=30)
        assert done["lastAgentMessage"] == "remembered"
        assert [a["command"][0] for a in lsp.asked] == ["memory__create_entities"]
        ends = lsp.log.msgs(conv, "mcpToolCallEnd")
        assert [(e["invocation"]["server"], e["invocation"]["tool"]) for e in ends] == [
            ("fs", "read_text_file"),
            ("memory", "create_entities"),
            ("memory", "read_graph"),
        ]
        assert all("error" not in e for e in ends)
    sent = model_server.requests[-1].body["input"]
    results = [i["output"] for i in sent if i.get("type") == "function_call_output"]
    assert "the build is green" in results[0]
    assert json.loads(results[2])["entities"][0]["name"] == "build"
    assert json.loads((clean_env / "memory.json").read_text().splitlines()[0])["name"] == "build"
