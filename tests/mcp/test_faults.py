"""MCP servers that refuse a call or are slow to start: a JSON-RPC error answer is the tool's
failure (the model sees it, the server stays up), and ``startup_timeout_sec`` is kept to."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from codex_lsp.core import ConfigSources, ConversationManager, FrontEnd
from codex_lsp.testing import FakeModelServer, Reply, ToolCall
from tests.helpers import EventLog, write_config
from tests.mcp.conftest import server_table
from tests.mcp.test_client import outputs, turn

pytestmark = pytest.mark.slow


@pytest.fixture
def faults(mcp_manager: ConversationManager, model_server: FakeModelServer) -> ConversationManager:
    """The fault server's manager, with the model server :func:`turn` scripts."""
    mcp_manager.test_model_server = model_server  # type: ignore[attr-defined]
    return mcp_manager


@pytest.mark.parametrize("code", [-32000, -32603, -32602, -1, 42])
async def test_a_json_rpc_error_answer_is_a_tool_error_and_the_server_stays_up(
    code: int, faults: ConversationManager, model_server: FakeModelServer, log: EventLog
) -> None:
    conv = await turn(
        faults,
        log,
        Reply((ToolCall("faults__rpc_error", {"code": code}),)),
        Reply((ToolCall("faults__add", {"a": 2, "b": 2}),)),
    )
    first = json.dumps(model_server.requests[1].body["input"])
    assert "the upstream database is down" in first and f"error {code}" in first
    assert "restarted" not in first and "unavailable" not in first and "MCPError" not in first
    assert outputs(model_server)[-1] == "4"  # the next call, at once: no restart, no backoff
    [status] = faults.mcp.statuses()
    assert status.state == "ready"
    ends = log.msgs(conv, "mcpToolCallEnd")
    assert "the upstream database is down" in ends[0]["error"] and "error" not in ends[1]


async def test_a_server_whose_process_died_is_still_reported_broken(
    faults: ConversationManager, model_server: FakeModelServer, log: EventLog
) -> None:
    await turn(faults, log, Reply((ToolCall("faults__crash", {}),)))
    [output] = outputs(model_server)
    assert "restarted on next use" in output and "MCPError" not in output
    assert faults.mcp.statuses()[0].state == "failed"


async def test_startup_timeout_fails_the_server_when_it_says(
    clean_env: Path, model_server: FakeModelServer, workspace: Path, log: EventLog
) -> None:
    write_config(
        clean_env,
        model_server.base_url,
        extra=server_table("slow", "--slow-start", "30", extra="startup_timeout_sec = 3"),
    )
    failed_at: list[float] = []
    front_end = FrontEnd(
        log.sink,
        on_mcp_status=lambda s: failed_at.append(time.monotonic()) if s.state == "failed" else None,
    )
    manager = ConversationManager(front_end, ConfigSources(home=clean_env, default_cwd=workspace))
    started = time.monotonic()
    try:
        manager.start_mcp()
        await manager.mcp.wait_started(20)
        settled = time.monotonic() - started
        [status] = manager.mcp.statuses()
        assert status.state == "failed" and "did not start within 3 s" in str(status.reason)
        assert failed_at and 2.9 <= failed_at[0] - started <= 4.0, failed_at[0] - started
        assert settled <= 4.0, settled
    finally:
        await manager.shutdown_all()
