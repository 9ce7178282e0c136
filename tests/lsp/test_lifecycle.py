"""The LSP lifecycle over a real server process (issue 15 item 14, connection level) and how
the server ends when its client goes away (issue 24, issue 15 item 4): every request is answered
in every state, and after ``exit``, the end of stdin (alone or racing with ``shutdown``) or
SIGTERM / SIGINT the turn is aborted and stored, the command stopped, and the process gone
within the deadline."""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import IO, Any

import pytest

from codex_lsp.testing import FakeModelServer, Reply, Text, ToolCall
from tests.helpers import subprocess_env, write_config
from tests.lsp.wire_client import (
    WireClient,
    children_of,
    frame,
    notification,
    probe_params,
    request,
    resumed_replay,
    running,
    stored_owner,
    stored_turns,
)

pytestmark = pytest.mark.slow

GONE_WITHIN_S = 3.0  # EXIT_DEADLINE_S (2 s, lsp/server.py) plus scheduling jitter on a busy CI
MARKER_DELAY_S = 3


@pytest.fixture
async def wire(
    codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> AsyncIterator[WireClient]:
    """A server spoken to in raw bytes, not initialized yet."""
    client = await WireClient.start(codex_home, workspace)
    try:
        yield client
    finally:
        await client.stop()


def assert_clean(error: dict[str, Any]) -> None:
    """An error a user may read: no traceback, no Python exception names."""
    assert "data" not in error or "traceback" not in str(error["data"]).lower(), error
    assert "Traceback" not in error["message"] and "Exception" not in error["message"], error


async def test_requests_before_initialize_get_server_not_initialized(
    wire: WireClient, workspace: Path
) -> None:
    for method, params in [
        ("codex/newConversation", {}),
        ("textDocument/codeAction", probe_params()),
        ("shutdown", None),
    ]:
        answer = await wire.call(method, params)
        assert answer["error"]["code"] == -32002, answer
        assert "send initialize" in answer["error"]["message"]
    await wire.send(notification("initialized", {}))  # ignored before initialize
    await wire.initialize(workspace)
    await wire.probe()


async def test_a_second_initialize_is_refused(wire: WireClient, workspace: Path) -> None:
    await wire.initialize(workspace)
    answer = await wire.call("initialize", {"processId": None, "capabilities": {}})
    assert answer["error"]["code"] == -32600
    assert "once per connection" in answer["error"]["message"]
    await wire.probe()


async def test_requests_after_shutdown_are_answered_invalid_request(
    wire: WireClient, workspace: Path
) -> None:
    await wire.initialize(workspace)
    assert (await wire.call("shutdown"))["result"] is None
    for method, params in [
        ("codex/newConversation", {}),
        ("textDocument/codeAction", probe_params()),
        ("shutdown", None),
    ]:
        answer = await wire.call(method, params)
        assert answer["error"]["code"] == -32600, answer
        assert "shutting down" in answer["error"]["message"]
        assert_clean(answer["error"])
    await wire.send(notification("exit"))
    assert await wire.wait_exit(GONE_WITHIN_S) == 0


async def test_exit_without_shutdown_exits_with_1(wire: WireClient, workspace: Path) -> None:
    await wire.initialize(workspace)
    await wire.send(notification("exit"))
    assert await wire.wait_exit(GONE_WITHIN_S) == 1


async def test_a_request_naming_a_missing_file_is_an_error_without_internals(
    wire: WireClient, workspace: Path
) -> None:
    await wire.initialize(workspace)
    data = {"kind": "fix", "uri": (workspace / "gone.py").as_uri(), "range": [0, 0, 1, 0]}
    answer = await wire.call(
        "workspace/executeCommand", {"command": "codex-lsp.runCodeAction", "arguments": [data]}
    )
    error = answer["error"]
    assert error["code"] == -32602 and "gone.py" in error["message"], error
    assert_clean(error)
    assert "FileNotFoundError" not in error["message"] and "Errno" not in error["message"]


async def start_long_command(
    wire: WireClient, workspace: Path, model_server: FakeModelServer
) -> str:
    """Initialize, then run a turn whose command writes a marker after MARKER_DELAY_S; returns
    the conversation id once the command runs."""
    model_server.enqueue(
        Reply((Text("first answer"),)),
        Reply(
            (ToolCall("shell", {"command": ["sh", "-c", f"sleep {MARKER_DELAY_S}; touch marker"]}),)
        ),
        Reply((Text("after the command"),)),
    )
    await wire.initialize(workspace)
    created = await wire.call("codex/newConversation", {"approvalPolicy": "never"})
    conv = str(created["result"]["conversationId"])
    for text, until in [("hello", "taskComplete"), ("run it", "execCommandBegin")]:
        await wire.call(
            "codex/userInput",
            {"conversationId": conv, "items": [{"type": "text", "text": text}]},
        )
        await wire.event(until)
    return conv


async def assert_stopped_and_stored(
    wire: WireClient, home: Path, workspace: Path, conv: str, started: float
) -> None:
    """The command did not finish, the aborted turn is in the store (written by the server,
    not by crash recovery), the conversation was released, and a new server resumes it."""
    assert time.monotonic() - started < GONE_WITHIN_S
    await asyncio.sleep(MARKER_DELAY_S + 0.5 - (time.monotonic() - started))
    assert not (workspace / "marker").exists(), "the command outlived the server"
    assert [s for _, s in stored_turns(home, conv)] == ["completed", "aborted"]
    assert stored_owner(home, conv) is None
    replay = await resumed_replay(home, workspace, conv)
    assert [m["message"] for m in replay if m["type"] == "userMessage"] == ["hello", "run it"]
    assert replay[-1]["type"] == "turnAborted"


async def test_shutdown_and_end_of_input_at_once_mid_turn(
    wire: WireClient, codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    conv = await start_long_command(wire, workspace, model_server)
    started = time.monotonic()
    await wire.send(request("bye", "shutdown"))
    await wire.close_stdin()
    assert await wire.wait_exit(GONE_WITHIN_S) == 0
    await assert_stopped_and_stored(wire, codex_home, workspace, conv, started)


async def test_shutdown_and_end_of_input_at_once_after_a_turn(
    wire: WireClient, codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    model_server.enqueue(Reply((Text("done"),)))
    await wire.initialize(workspace)
    conv = str((await wire.call("codex/newConversation", {}))["result"]["conversationId"])
    await wire.call(
        "codex/userInput", {"conversationId": conv, "items": [{"type": "text", "text": "hi"}]}
    )
    await wire.event("taskComplete")
    await wire.send(request("bye", "shutdown"))
    await wire.close_stdin()
    assert await wire.wait_exit(GONE_WITHIN_S) == 0
    assert stored_turns(codex_home, conv)[0][1] == "completed"
    replay = await resumed_replay(codex_home, workspace, conv)
    assert [m.get("lastAgentMessage") for m in replay if m["type"] == "taskComplete"] == ["done"]


async def test_end_of_input_alone_mid_turn(
    wire: WireClient, codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    conv = await start_long_command(wire, workspace, model_server)
    started = time.monotonic()
    await wire.close_stdin()
    assert await wire.wait_exit(GONE_WITHIN_S) == 0
    await assert_stopped_and_stored(wire, codex_home, workspace, conv, started)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
async def test_a_signal_shuts_down_like_exit(
    wire: WireClient,
    codex_home: Path,
    workspace: Path,
    model_server: FakeModelServer,
    signum: signal.Signals,
) -> None:
    conv = await start_long_command(wire, workspace, model_server)
    started = time.monotonic()
    wire.process.send_signal(signum)
    assert await wire.wait_exit(GONE_WITHIN_S) == 128 + signum
    assert f"{signum.name} received: shutting down" in wire.stderr_text
    await assert_stopped_and_stored(wire, codex_home, workspace, conv, started)


def test_an_editor_that_closed_stdout_and_stderr_still_gets_a_shutdown(
    codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    """Neovim quitting closes the server's stdout and stderr (and sends SIGTERM): nothing the
    server then writes may stop its shutdown (a report on the closed stderr once did)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "codex_lsp"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=subprocess_env(codex_home),
        cwd=workspace,
    )
    assert process.stdin is not None and process.stdout is not None
    assert process.stderr is not None
    try:
        params = {"processId": None, "rootUri": workspace.as_uri(), "capabilities": {}}
        process.stdin.write(frame(request(1, "initialize", params)))
        process.stdin.write(frame(notification("initialized", {})))
        process.stdin.write(frame(request(2, "codex/newConversation", {})))
        process.stdin.flush()
        read_answer(process.stdout, 2)  # the store is open: its thread must be stopped too
        process.stdout.close()
        process.stderr.close()
        process.stdin.write(frame(request(3, "textDocument/codeAction", probe_params())))
        process.stdin.flush()
        assert process.wait(GONE_WITHIN_S) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdin.close()


def read_answer(stdout: IO[bytes], msg_id: int) -> dict[str, Any]:
    """Read frames until the answer to ``msg_id`` (blocking; the server answers at once)."""
    while True:
        length = 0
        while (line := stdout.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        assert line, "the server closed stdout"
        message: dict[str, Any] = json.loads(stdout.read(length))
        if message.get("id") == msg_id and "method" not in message:
            return message


async def test_a_hung_mcp_server_is_killed_and_the_server_exits(
    wire: WireClient, codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    stuck = "trap '' TERM HUP INT; exec 0<&-; sleep 60"  # never answers, ignores SIGTERM
    write_config(
        codex_home,
        model_server.base_url,
        extra=f'[mcp_servers.stuck]\ncommand = "sh"\nargs = ["-c", "{stuck}"]\n'
        "startup_timeout_sec = 60\n",
    )
    await wire.initialize(workspace)
    async with asyncio.timeout(10):
        while not (started := children_of(wire.pid)):
            await asyncio.sleep(0.05)
    await wire.close_stdin()
    assert await wire.wait_exit(GONE_WITHIN_S) == 0
    await asyncio.sleep(0.2)
    assert not [pid for pid in started if running(pid)], "the MCP server outlived codex-lsp"
    assert "killed" in wire.stderr_text and "left running" in wire.stderr_text


async def test_a_locked_store_cannot_hold_the_exit(
    wire: WireClient, codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    """Another process holds the database (its busy timeout is longer than the deadline):
    the process still ends at the deadline, and says so."""
    await wire.initialize(workspace)
    await wire.call("codex/newConversation", {})
    other = sqlite3.connect(codex_home / "state.db", isolation_level=None)
    try:
        other.execute("BEGIN EXCLUSIVE")
        await wire.call("codex/newConversation", {})  # queues writes the lock blocks
        await wire.close_stdin()
        assert await wire.wait_exit(GONE_WITHIN_S) == 0
    finally:
        other.close()
    assert "did not finish within 2 s; exiting anyway" in wire.stderr_text
