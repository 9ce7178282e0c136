"""A streamable HTTP MCP server (the SDK's, behind a bearer-token check) configured by ``url`` and
``bearer_token_env_var``: its tools work, and a wrong token is a clear startup failure."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from codex_lsp.core import ConfigSources, ConversationManager, FrontEnd
from codex_lsp.protocol.items import TextInput
from codex_lsp.protocol.ops import UserInputOp
from codex_lsp.protocol.policies import AskForApproval
from codex_lsp.protocol.requests import NewConversationParams
from codex_lsp.testing import FakeModelServer, Reply, Text, ToolCall
from tests.helpers import EventLog, write_config
from tests.mcp.conftest import FAULT_SERVER

pytestmark = pytest.mark.slow
TOKEN = "s3cret-token"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def http_server() -> Iterator[int]:
    """The fault server on streamable HTTP; yields its port once it accepts connections."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, str(FAULT_SERVER), "--http", str(port)],
        env={**os.environ, "FAULTS_TOKEN": TOKEN},
    )
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError("the HTTP MCP server exited at start") from None
                subprocess.run(["sleep", "0.05"], check=True)
        yield port
    finally:
        proc.terminate()
        proc.wait(10)


def http_table(port: int, token_var: str) -> str:
    return (
        f'\n[mcp_servers.web]\nurl = "http://127.0.0.1:{port}/mcp"\n'
        f'bearer_token_env_var = "{token_var}"\nstartup_timeout_sec = 15\n'
    )


async def test_tools_of_an_http_server_with_a_bearer_token(
    clean_env: Path,
    workspace: Path,
    model_server: FakeModelServer,
    http_server: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WEB_TOKEN", TOKEN)
    monkeypatch.setenv("WRONG_TOKEN", "nope")
    tables = http_table(http_server, "WEB_TOKEN") + http_table(http_server, "WRONG_TOKEN").replace(
        "[mcp_servers.web]", "[mcp_servers.wrong]"
    )
    write_config(clean_env, model_server.base_url, extra=tables)
    log = EventLog()
    manager = ConversationManager(
        FrontEnd(log.sink), ConfigSources(home=clean_env, default_cwd=workspace)
    )
    try:
        manager.start_mcp()
        await manager.mcp.wait_started(30)
        states = {s.name: s for s in manager.mcp.statuses()}
        assert states["web"].state == "ready" and "web__add" in states["web"].tools
        wrong = states["wrong"]
        assert wrong.state == "failed"
        assert "answers HTTP 401: check the token (bearer_token_env_var: $WRONG_TOKEN)" in str(
            wrong.reason
        )
        model_server.enqueue(
            Reply((ToolCall("web__add", {"a": 40, "b": 2}),)), Reply((Text("42"),))
        )
        conv = await manager.new_conversation(
            NewConversationParams(approval_policy=AskForApproval.NEVER)
        )
        conv.submit(UserInputOp(items=[TextInput(text="add")]))
        await log.wait_for("taskComplete", conv.id, timeout=30)
    finally:
        await asyncio.wait_for(manager.shutdown_all(), 30)
    outputs = [
        i["output"]
        for i in model_server.requests[-1].body["input"]
        if i.get("type") == "function_call_output"
    ]
    assert outputs == ["42"]
