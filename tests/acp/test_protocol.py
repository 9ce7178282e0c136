"""The wire: the handshake, what the agent says it can do, bad requests answered with the right
JSON-RPC code while the agent keeps serving, methods it does not serve, stdout kept for the
protocol alone, modes and config options."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from acp import RequestError
from acp.schema import InitializeResponse

from codex_lsp.testing import FakeModelServer, Reply, Text, ToolCall
from tests.acp.conftest import Agent, configure
from tests.helpers import subprocess_env

pytestmark = pytest.mark.slow


class Raw:
    """``codex-lsp acp`` driven line by line, no SDK in between."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    def send(self, message: Any) -> None:
        text = message if isinstance(message, str) else json.dumps(message)
        assert self.process.stdin is not None
        self.process.stdin.write(text.encode() + b"\n")

    async def read(self, timeout: float = 20) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = await asyncio.wait_for(self.process.stdout.readline(), timeout)
        assert line, "the agent closed stdout"
        message = json.loads(line)
        assert isinstance(message, dict)
        return message

    async def call(self, request_id: int, method: str, params: Any = None) -> dict[str, Any]:
        self.send({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params})
        while True:
            message = await self.read()
            if message.get("id") == request_id:
                return message


@pytest.fixture
async def raw(acp_home: Path, workspace: Path) -> Any:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "codex_lsp",
        "acp",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=subprocess_env(acp_home),
        cwd=str(workspace),
    )
    yield Raw(process)
    if process.returncode is None:
        assert process.stdin is not None
        process.stdin.close()
        await asyncio.wait_for(process.wait(), 20)
    assert process.stderr is not None
    stderr = (await process.stderr.read()).decode()
    assert "Traceback" not in stderr, stderr


async def test_initialize_speaks_version_1_and_says_what_it_does(raw: Raw) -> None:
    answer = await raw.call(0, "initialize", {"protocolVersion": 99, "clientCapabilities": {}})
    result = InitializeResponse.model_validate(answer["result"])
    assert result.protocol_version == 1
    caps = answer["result"]["agentCapabilities"]
    assert caps["loadSession"] is True
    assert caps["promptCapabilities"] == {"image": True, "audio": False, "embeddedContext": True}
    assert caps["mcpCapabilities"] == {"http": True, "sse": False}
    assert set(caps["sessionCapabilities"]) == {
        "list",
        "resume",
        "close",
        "delete",
        "additionalDirectories",
    }
    assert answer["result"]["agentInfo"]["name"] == "codex-lsp"


async def test_bad_requests_get_their_error_codes_and_the_agent_keeps_serving(
    raw: Raw, workspace: Path
) -> None:
    early = await raw.call(1, "session/new", {"cwd": str(workspace), "mcpServers": []})
    assert early["error"]["code"] == -32600 and "initialize first" in early["error"]["message"]
    await raw.call(2, "initialize", {"protocolVersion": 1, "clientCapabilities": {}})

    raw.send("this is not json")
    assert (await raw.read())["error"]["code"] == -32700
    raw.send("[1, 2]")
    batch = await raw.read()
    assert batch["error"]["code"] == -32600 and batch["id"] is None
    raw.send("42")
    assert (await raw.read())["error"]["code"] == -32600
    raw.send({"jsonrpc": "2.0", "method": "_codex/unknown_notification", "params": {}})
    raw.send({"jsonrpc": "2.0", "method": "$/cancel_request", "params": {"requestId": 1}})

    for request_id, method in enumerate(
        ["_codex/foo", "authenticate", "session/fork", "logout", "session/set_model"], start=10
    ):
        answer = await raw.call(request_id, method, {"sessionId": "x", "methodId": "y"})
        assert answer["error"]["code"] == -32601, (method, answer)

    missing = await raw.call(20, "session/prompt", {"sessionId": "x"})
    assert missing["error"]["code"] == -32602
    relative = await raw.call(21, "session/new", {"cwd": "relative/dir", "mcpServers": []})
    assert relative["error"]["code"] == -32602
    assert "absolute" in relative["error"]["message"]
    unknown = await raw.call(22, "session/prompt", {"sessionId": "nope", "prompt": []})
    assert unknown["error"]["code"] == -32002
    sse = await raw.call(
        23,
        "session/new",
        {
            "cwd": str(workspace),
            "mcpServers": [{"type": "sse", "name": "s", "url": "http://x", "headers": []}],
        },
    )
    assert sse["error"]["code"] == -32602 and "SSE" in sse["error"]["message"]

    works = await raw.call(30, "session/new", {"cwd": str(workspace), "mcpServers": []})
    assert works["result"]["sessionId"]
    audio = await raw.call(
        31,
        "session/prompt",
        {
            "sessionId": works["result"]["sessionId"],
            "prompt": [{"type": "audio", "data": "AAAA", "mimeType": "audio/wav"}],
        },
    )
    assert audio["error"]["code"] == -32602 and "audio" in audio["error"]["message"]


def test_stdout_is_kept_for_the_protocol(tmp_path: Path) -> None:
    """After :func:`claim_stdout`, prints and child processes write to stderr; only what the
    transport writes reaches stdout."""
    script = (
        "import os, sys\n"
        "from codex_lsp.acp.stdio import claim_stdout\n"
        "fd = claim_stdout()\n"
        "print('a stray print')\n"
        "os.system('echo a child process')\n"
        'os.write(fd, b\'{"jsonrpc":"2.0"}\\n\')\n'
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=30, check=True
    )
    assert done.stdout == '{"jsonrpc":"2.0"}\n'
    assert "a stray print" in done.stderr and "a child process" in done.stderr


async def test_modes_and_config_options_stay_in_sync(
    agent: Agent, model_server: FakeModelServer, acp_home: Path
) -> None:
    configure(acp_home, tables='[acp]\nmodels = ["fake-model-2"]')
    response = await agent.conn.new_session(cwd=str(agent.client.workspace), mcp_servers=[])
    sid = response.session_id
    assert response.modes is not None
    assert [m.id for m in response.modes.available_modes] == ["read-only", "auto", "full-access"]
    options = {o.id: o for o in response.config_options or []}
    assert list(options) == ["mode", "model", "reasoning_effort"]
    assert options["mode"].category == "mode" and options["mode"].current_value == "auto"
    assert options["reasoning_effort"].category == "thought_level"
    assert [o.value for o in options["model"].options] == ["fake-model", "fake-model-2"]

    changed = await agent.conn.set_config_option(
        config_id="model", session_id=sid, value="fake-model-2"
    )
    current = {o.id: o.current_value for o in changed.config_options}
    assert current == {"mode": "auto", "model": "fake-model-2", "reasoning_effort": "medium"}
    model_server.enqueue(Reply((Text("from model 2"),)))
    await agent.say(sid, "hi")
    assert model_server.requests[-1].body["model"] == "fake-model-2"

    with pytest.raises(RequestError) as bad:
        await agent.conn.set_config_option(config_id="model", session_id=sid, value="nope")
    assert bad.value.code == -32602 and "fake-model-2" in str(bad.value)
    with pytest.raises(RequestError) as unknown:
        await agent.conn.set_config_option(config_id="colour", session_id=sid, value="red")
    assert unknown.value.code == -32602

    await agent.conn.set_session_mode(session_id=sid, mode_id="full-access")
    updates = agent.client.of(sid)
    synced = [u for u in updates if u["sessionUpdate"] == "config_option_update"][-1]
    assert {o["id"]: o["currentValue"] for o in synced["configOptions"]}["mode"] == "full-access"
    model_server.enqueue(
        Reply((ToolCall("shell", {"command": "true", "with_escalated_permissions": True}),)),
        Reply((Text("no questions"),)),
    )
    await agent.say(sid, "run it")
    assert agent.client.asked == []

    await agent.conn.set_config_option(config_id="mode", session_id=sid, value="read-only")
    modes = [u for u in agent.client.of(sid) if u["sessionUpdate"] == "current_mode_update"]
    assert modes[-1]["currentModeId"] == "read-only"
    with pytest.raises(RequestError) as bad_mode:
        await agent.conn.set_session_mode(session_id=sid, mode_id="yolo")
    assert bad_mode.value.code == -32602
