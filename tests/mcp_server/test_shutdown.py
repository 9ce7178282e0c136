"""``codex-lsp mcp-server`` ends like the language server when its client goes away: on the end
of stdin or SIGTERM / SIGINT mid-turn the turn is aborted and stored, its command stopped, and
the process gone within the deadline (issue 24, issue 15 item 4)."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from codex_lsp.testing import FakeModelServer, Reply, Text, ToolCall
from tests.helpers import subprocess_env
from tests.lsp.wire_client import stored_conversations, stored_turns

pytestmark = pytest.mark.slow

GONE_WITHIN_S = 3.0  # EXIT_DEADLINE_S (2 s, codex_lsp/lifecycle.py) plus scheduling jitter
MARKER_DELAY_S = 3
HOW = {"end-of-input": None, "SIGTERM": signal.SIGTERM, "SIGINT": signal.SIGINT}


async def next_message(stdout: asyncio.StreamReader) -> dict[str, Any]:
    line = await asyncio.wait_for(stdout.readline(), 20)
    assert line, "the MCP server closed stdout"
    message: dict[str, Any] = json.loads(line)
    return message


@pytest.mark.parametrize("how", list(HOW))
async def test_the_mcp_server_shuts_down_mid_turn(
    how: str, codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    model_server.enqueue(
        Reply(
            (ToolCall("shell", {"command": ["sh", "-c", f"sleep {MARKER_DELAY_S}; touch marker"]}),)
        ),
        Reply((Text("done"),)),
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "codex_lsp",
        "mcp-server",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=subprocess_env(codex_home),
        cwd=workspace,
    )
    assert process.stdin is not None and process.stdout is not None
    assert process.stderr is not None

    async def send(message: dict[str, Any]) -> None:
        assert process.stdin is not None
        process.stdin.write(json.dumps(message).encode() + b"\n")
        await process.stdin.drain()

    try:
        client = {"name": "test", "version": "1"}
        init = {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": client}
        await send({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": init})
        assert "result" in await next_message(process.stdout)
        await send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        arguments = {"prompt": "run it", "cwd": str(workspace), "approval-policy": "never"}
        call = {"name": "codex", "arguments": arguments, "_meta": {"progressToken": "p"}}
        await send({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": call})
        while True:
            message = await next_message(process.stdout)
            text = message.get("params", {}).get("message") or "{}"
            if json.loads(text).get("type") == "execCommandBegin":
                break
        started = time.monotonic()
        signum = HOW[how]
        if signum is None:
            process.stdin.close()
        else:
            process.send_signal(signum)
        code = await asyncio.wait_for(process.wait(), GONE_WITHIN_S)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    stderr = (await process.stderr.read()).decode()
    assert code == (0 if signum is None else 128 + signum), stderr
    if signum is not None:
        assert f"{signum.name} received: shutting down" in stderr
    assert "Traceback" not in stderr
    await asyncio.sleep(MARKER_DELAY_S + 0.5 - (time.monotonic() - started))
    assert not (workspace / "marker").exists(), "the command outlived the server"
    [conversation] = stored_conversations(codex_home)
    assert [status for _, status in stored_turns(codex_home, conversation)] == ["aborted"]
