"""A dev server started with ``exec_command`` through a real language server: it keeps serving
across turns, is polled, answers a later command, is listed and killed by the client, and is
gone when the server shuts down after an interrupt, and when the server is killed with -9."""

from __future__ import annotations

import asyncio
import socket
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from codex_lsp.testing import FakeModelServer, Reply, Text, ToolCall
from tests.exec.test_lifetime import is_alive, processes_with
from tests.helpers import write_config
from tests.lsp.conftest import Session, open_session

pytestmark = pytest.mark.slow
FIRST = 1000  # a conversation's first terminal


@pytest.fixture
def codex_home(clean_env: Path, model_server: FakeModelServer) -> Path:
    """The fake provider, with the terminals offered and commands run unsandboxed and unasked
    (the sandbox and approvals of terminals have their own tests)."""
    path = write_config(clean_env, model_server.base_url, extra="[tools]\nunified_exec = true\n")
    top = 'approval_policy = "never"\nsandbox_mode = "danger-full-access"\n'
    path.write_text(top + path.read_text())
    return clean_env


def free_port() -> int:
    """A TCP port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def fetch(port: int) -> int | None:
    """The HTTP status of ``/`` on ``port``, None when nothing answers."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
            return int(response.status)
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None


async def serving(port: int) -> int | None:
    """:func:`fetch` off the event loop."""
    return await asyncio.to_thread(fetch, port)


def outputs(server: FakeModelServer) -> list[str]:
    """The tool outputs of the last model request."""
    return [
        i["output"]
        for i in server.requests[-1].body["input"]
        if i["type"] == "function_call_output"
    ]


def serve(port: int, tty: bool = False) -> ToolCall:
    """The model starts a dev server."""
    cmd = f"{sys.executable} -u -m http.server {port} --bind 127.0.0.1"
    return ToolCall("exec_command", {"cmd": cmd, "yield_time_ms": 1500, "tty": tty})


async def turn(session: Session, conv: str, count: int) -> None:
    """One user turn, to its end."""
    await session.say(conv, "go")
    await session.log.wait_for("taskComplete", conv, count=count, timeout=30)


async def gone(pids: list[int], port: int) -> bool:
    """Every process of the dev server has ended and the port answers no more."""
    for _ in range(50):
        if not [p for p in pids if is_alive(p)] and await serving(port) is None:
            return True
        await asyncio.sleep(0.1)
    return False


async def test_a_dev_server_serves_across_turns_and_is_gone_after_interrupt_and_shutdown(
    codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    port = free_port()
    fetch_cmd = f"{sys.executable} -c \"import urllib.request as u; print(u.urlopen('http://127.0.0.1:{port}/').status)\""
    model_server.enqueue(
        Reply((serve(port),)),
        Reply((Text("the server runs"),)),
        Reply((ToolCall("exec_command", {"cmd": fetch_cmd}),)),
        Reply((ToolCall("write_stdin", {"session_id": FIRST, "yield_time_ms": 500}),)),
        Reply((Text("it answered"),)),
        Reply((ToolCall("write_stdin", {"session_id": FIRST, "yield_time_ms": 30000}),)),
    )
    async with open_session(codex_home, workspace, "visual-studio-code", True) as session:
        conv = await session.new_conversation()
        await turn(session, conv, 1)
        (started,) = outputs(model_server)
        assert f"Process running with session ID {FIRST}" in started
        assert await serving(port) == 200  # between turns, the user's browser gets the page
        pids = processes_with(f"http.server {port}")
        assert pids

        await turn(session, conv, 2)
        fetched, polled = outputs(model_server)[-2:]
        assert "Process exited with code 0" in fetched and "200" in fetched
        assert "Process running with session ID 1000" in polled
        assert '"GET / HTTP/1.1" 200' in polled  # the server's log of the later command's request

        listed = await session.request("codex/listTerminals", {"conversationId": conv})
        (terminal,) = listed["terminals"]
        assert terminal["terminalId"] == FIRST and terminal["running"] is True
        assert "Serving HTTP" in terminal["output"]
        deltas = session.log.msgs(conv, "execCommandOutputDelta")
        assert any(d.get("terminalId") == FIRST and "GET /" in d["chunk"] for d in deltas)

        requests_before = len(model_server.requests)
        await session.say(conv, "keep watching it")
        for _ in range(100):
            if len(model_server.requests) > requests_before:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)  # the model's long poll is under way
        await session.request("codex/interrupt", {"conversationId": conv})
        aborted = await session.log.wait_for("turnAborted", conv)
        assert aborted["reason"] == "interrupted"
        assert await serving(port) == 200  # an interrupt stops the turn, not the terminal
    assert await gone(pids, port)


async def test_the_client_lists_and_kills_a_terminal(
    codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    port = free_port()
    model_server.enqueue(
        Reply((serve(port),)),
        Reply((Text("running"),)),
        Reply((ToolCall("write_stdin", {"session_id": FIRST}),)),
        Reply((Text("it ended"),)),
    )
    async with open_session(codex_home, workspace, "neovim", True) as session:
        conv = await session.new_conversation()
        await turn(session, conv, 1)
        pids = processes_with(f"http.server {port}")
        killed = await session.request(
            "codex/killTerminal", {"conversationId": conv, "terminalId": FIRST}
        )
        assert killed["running"] is False and killed["exitCode"] != 0
        assert await gone(pids, port)
        end = await session.log.wait_for("execCommandEnd", conv)
        assert end["terminalId"] == FIRST
        assert (await session.request("codex/listTerminals", {}))["terminals"] == []
        await turn(session, conv, 2)
        (polled,) = outputs(model_server)[-1:]
        assert "Process exited with code" in polled  # the model learns of the end

        again: Any = None
        try:
            await session.request(
                "codex/killTerminal", {"conversationId": conv, "terminalId": FIRST}
            )
        except Exception as exc:  # the JSON-RPC error the client gets
            again = exc
        assert again is not None and "no running terminal 1000" in str(again)


@pytest.mark.parametrize("sandbox", ["danger-full-access", "workspace-write"])
@pytest.mark.parametrize("tty", [False, True], ids=["pipes", "pty"])
async def test_a_dev_server_is_gone_after_kill_9_of_the_server(
    codex_home: Path, workspace: Path, model_server: FakeModelServer, tty: bool, sandbox: str
) -> None:
    port = free_port()
    model_server.enqueue(Reply((serve(port, tty),)), Reply((Text("running"),)))
    async with open_session(codex_home, workspace, "neovim", True) as session:
        network = {"sandbox_workspace_write.network_access": True}  # a server must listen
        conv = await session.new_conversation(sandbox=sandbox, config=network)
        await turn(session, conv, 1)
        assert await serving(port) == 200
        pids = processes_with(f"http.server {port}")
        assert pids
        await session.kill()
        assert await gone(pids, port)
