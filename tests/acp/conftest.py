"""A real ``codex-lsp acp`` subprocess driven by the ACP Python SDK's client.

Every test checks the protocol's invariants on the raw frames: stdout carries JSON-RPC messages
only; no ``session/update`` of a session precedes that session's response (``session/load``
excepted: its replay precedes it by design); no update of a turn follows the prompt's answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from acp import PROTOCOL_VERSION, RequestError, spawn_agent_process, text_block
from acp.client.connection import ClientSideConnection
from acp.connection import StreamDirection, StreamEvent
from acp.schema import (
    AllowedOutcome,
    ClientCapabilities,
    DeniedOutcome,
    FileSystemCapabilities,
    Implementation,
    ReadTextFileResponse,
    RequestPermissionResponse,
    SessionNotification,
    WriteTextFileResponse,
)

from codex_lsp.testing import FakeModelServer
from tests.helpers import subprocess_env, write_config

HOLD = "hold"
"""A permission answer: keep the request open until the test releases it."""
NO_RETRIES = "request_max_retries = 0\nstream_max_retries = 0\n"


@dataclass
class Client:
    """The client's side: what it was sent and how it answers the agent's requests."""

    workspace: Path
    updates: list[tuple[str, Any]] = field(default_factory=list)
    frames: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)
    """Permission answers in order: an optionId, ``cancelled`` or :data:`HOLD`."""
    asked: list[Any] = field(default_factory=list)
    writes: list[tuple[str, str]] = field(default_factory=list)
    reads: list[str] = field(default_factory=list)
    buffers: dict[str, str] = field(default_factory=dict)
    """Unsaved editor buffers by path: ``fs/read_text_file`` returns these."""
    held: list[asyncio.Future[str]] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    async def session_update(self, session_id: str, update: Any, **_: Any) -> None:
        self.updates.append((session_id, update))
        self.changed.set()

    async def request_permission(
        self, session_id: str, tool_call: Any, options: list[Any], **_: Any
    ) -> RequestPermissionResponse:
        self.asked.append(tool_call)
        self.changed.set()
        answer = self.answers.pop(0) if self.answers else "reject_once"
        if answer == HOLD:
            future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
            self.held.append(future)
            answer = await future
        if answer == "cancelled":
            return RequestPermissionResponse(outcome=DeniedOutcome(outcome="cancelled"))
        assert answer in {o.option_id for o in options}, (answer, options)
        return RequestPermissionResponse(
            outcome=AllowedOutcome(outcome="selected", option_id=answer)
        )

    async def write_text_file(
        self, session_id: str, path: str, content: str, **_: Any
    ) -> WriteTextFileResponse:
        self.writes.append((path, content))
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(content, encoding="utf-8")
        self.buffers.pop(path, None)
        return WriteTextFileResponse()

    async def read_text_file(self, session_id: str, path: str, **_: Any) -> ReadTextFileResponse:
        self.reads.append(path)
        text = self.buffers.get(path)
        return ReadTextFileResponse(content=text if text is not None else Path(path).read_text())

    def observe(self, event: StreamEvent) -> None:
        direction = "in" if event.direction is StreamDirection.INCOMING else "out"
        self.frames.append((direction, event.message))

    # ---------------------------------------------------------------- queries
    def of(self, session_id: str) -> list[dict[str, Any]]:
        """The session's updates as sent, in wire order (the SDK's handlers run as concurrent
        tasks, so the order they were handled in can differ)."""
        return [
            f["params"]["update"]
            for d, f in self.frames
            if d == "in"
            and f.get("method") == "session/update"
            and f["params"]["sessionId"] == session_id
        ]

    def kinds(self, session_id: str) -> list[str]:
        return [u["sessionUpdate"] for u in self.of(session_id)]

    def calls(self, session_id: str) -> list[dict[str, Any]]:
        """Tool call starts and updates."""
        return [u for u in self.of(session_id) if u["sessionUpdate"].startswith("tool_call")]

    def text(self, session_id: str, kind: str = "agent_message_chunk") -> str:
        return "".join(
            u["content"]["text"] for u in self.of(session_id) if u["sessionUpdate"] == kind
        )

    async def wait(self, check: Callable[[], Any], timeout: float = 10.0) -> Any:
        """Until ``check()`` is truthy."""

        async def poll() -> Any:
            while not (found := check()):
                self.changed.clear()
                with contextlib.suppress(TimeoutError):  # files change without a message
                    await asyncio.wait_for(self.changed.wait(), 0.05)
            return found

        return await asyncio.wait_for(poll(), timeout)


@dataclass
class Agent:
    """The connection to the agent process."""

    conn: ClientSideConnection
    process: asyncio.subprocess.Process
    client: Client

    async def request(self, method: str, params: dict[str, Any]) -> Any:
        """A raw request (for methods the SDK client has no call for, or bad params)."""
        return await self.conn._conn.send_request(method, params)

    async def new(self, **params: Any) -> str:
        response = await self.conn.new_session(
            cwd=str(params.pop("cwd", self.client.workspace)),
            mcp_servers=params.pop("mcp", []),
            **params,
        )
        return response.session_id

    async def say(self, session_id: str, *blocks: Any) -> Any:
        prompt = [text_block(b) if isinstance(b, str) else b for b in blocks]
        return await self.conn.prompt(session_id=session_id, prompt=prompt)


def check_invariants(client: Client) -> None:
    """The protocol's ordering rules, on the raw frames."""
    requests: dict[Any, dict[str, Any]] = {}
    answered_sessions: set[str] = set()
    open_prompts: dict[str, int] = {}
    for direction, frame in client.frames:
        if direction == "out" and "method" in frame and "id" in frame:
            requests[frame["id"]] = frame
            if frame["method"] == "session/prompt":
                sid = frame["params"]["sessionId"]
                open_prompts[sid] = open_prompts.get(sid, 0) + 1
            if frame["method"] == "session/load":
                answered_sessions.add(frame["params"]["sessionId"])
        elif direction == "in" and "id" in frame and "method" not in frame:
            request = requests.get(frame["id"], {})
            method = request.get("method")
            result = frame.get("result") or {}
            if method == "session/new" and "sessionId" in result:
                answered_sessions.add(result["sessionId"])
            if method in ("session/resume", "session/load"):
                answered_sessions.add(request["params"]["sessionId"])
            if method == "session/prompt":
                open_prompts[request["params"]["sessionId"]] -= 1
        elif direction == "in" and frame.get("method") == "session/update":
            SessionNotification.model_validate(frame["params"])
            sid = frame["params"]["sessionId"]
            assert sid in answered_sessions, f"update before the session's response: {frame}"
            update = frame["params"]["update"]["sessionUpdate"]
            turn_update = update not in (
                "available_commands_update",
                "session_info_update",
                "config_option_update",
                "current_mode_update",
                "usage_update",
            )
            if turn_update and open_prompts.get(sid, 0) <= 0 and sid in open_prompts:
                pytest.fail(f"update after the prompt's answer: {frame}")


@asynccontextmanager
async def start_agent(
    home: Path,
    workspace: Path,
    *,
    fs: bool = True,
    terminal: bool = False,
    meta: dict[str, Any] | None = None,
    extra_env: dict[str, str] | None = None,
    client: Client | None = None,
) -> AsyncIterator[Agent]:
    """Spawn ``python -m codex_lsp acp`` and initialize it with the given capabilities."""
    client = client or Client(workspace)
    async with spawn_agent_process(
        client,
        sys.executable,
        "-m",
        "codex_lsp",
        "acp",
        env=subprocess_env(home, extra_env),
        cwd=str(workspace),
        observers=[client.observe],
        use_unstable_protocol=True,
    ) as (conn, process):
        capabilities = ClientCapabilities(
            fs=FileSystemCapabilities(read_text_file=fs, write_text_file=fs),
            terminal=terminal,
            field_meta=meta,
        )
        await asyncio.wait_for(
            conn.initialize(
                protocol_version=PROTOCOL_VERSION,
                client_capabilities=capabilities,
                client_info=Implementation(name="pytest", version="0"),
            ),
            30,
        )
        agent = Agent(conn, process, client)
        try:
            yield agent
        finally:
            check_invariants(client)


@pytest.fixture(autouse=True)
def _stdout_is_protocol_only(caplog: pytest.LogCaptureFixture) -> Any:
    """The client SDK logs each stdout line it cannot parse: there must be none."""
    with caplog.at_level(logging.ERROR):
        yield
    bad = [r for r in caplog.records if "Error parsing JSON-RPC message" in r.getMessage()]
    assert not bad, "the agent wrote something other than JSON-RPC on stdout"


def configure(home: Path, top: str = "", tables: str = "") -> None:
    """Add top-level keys and tables to the home's config.toml."""
    config = home / "config.toml"
    config.write_text(f"{top}\n{config.read_text()}\n{tables}\n")


@pytest.fixture
def acp_home(codex_home: Path, model_server: FakeModelServer) -> Path:
    """CODEX_LSP_HOME for the agent: the fake model, no provider retries (errors are quick)."""
    write_config(codex_home, model_server.base_url, extra="")
    config = (codex_home / "config.toml").read_text()
    config = config.replace("request_max_retries = 3\nstream_max_retries = 3\n", NO_RETRIES)
    (codex_home / "config.toml").write_text(config)
    return codex_home


@pytest.fixture
async def agent(acp_home: Path, workspace: Path) -> AsyncIterator[Agent]:
    """An agent whose client offers fs read and write (no terminal)."""
    async with start_agent(acp_home, workspace) as running:
        yield running


__all__ = ["HOLD", "Agent", "Client", "RequestError", "configure", "start_agent"]
