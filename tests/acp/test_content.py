"""What a client brings into a session: its MCP servers (stdio and HTTP) used by the model,
prompt content (links, embedded resources, images), slash commands, and its terminals."""

from __future__ import annotations

import asyncio
import base64
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from acp import image_block, resource_link_block, text_block
from acp.schema import (
    CreateTerminalResponse,
    EmbeddedResourceContentBlock,
    EnvVariable,
    HttpHeader,
    HttpMcpServer,
    McpServerStdio,
    ReleaseTerminalResponse,
    TerminalExitStatus,
    TerminalOutputResponse,
    TextResourceContents,
    WaitForTerminalExitResponse,
)

from codex_lsp.testing import Answer, FakeModelServer, Reply, Text, ToolCall
from tests.acp.conftest import Agent, Client, configure, start_agent
from tests.acp.test_turns import outputs
from tests.core.test_review_findings import answer
from tests.mcp.conftest import FAULT_SERVER
from tests.mcp.test_http import TOKEN, http_server

pytestmark = pytest.mark.slow
__all__ = ["http_server"]  # the fixture, imported for this module's tests
PNG = base64.b64encode(
    base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
    )
).decode()


async def test_the_clients_mcp_servers_are_used_by_the_model(
    agent: Agent, model_server: FakeModelServer, http_server: int
) -> None:
    stdio = McpServerStdio(
        name="client tools",
        command=sys.executable,
        args=[str(FAULT_SERVER)],
        env=[EnvVariable(name="FAULT_MARK", value="1")],
    )
    web = HttpMcpServer(
        type="http",
        name="web",
        url=f"http://127.0.0.1:{http_server}/mcp",
        headers=[HttpHeader(name="Authorization", value=f"Bearer {TOKEN}")],
    )
    model_server.enqueue(
        Reply((ToolCall("client_tools__add", {"a": 2, "b": 3}, call_id="m1"),)),
        Reply((ToolCall("web__add", {"a": 40, "b": 2}, call_id="m2"),)),
        Reply((Text("five and forty-two"),)),
    )
    sid = await agent.new(mcp=[stdio, web])
    assert (await agent.say(sid, "add")).stop_reason == "end_turn"
    offered = {t["name"] for t in model_server.requests[0].body["tools"]}
    assert {"client_tools__add", "web__add"} <= offered
    assert outputs(model_server) == ["5", "42"]
    calls = agent.client.calls(sid)
    first = next(c for c in calls if c["toolCallId"] == "m1")
    assert first["title"] == "client_tools/add" and first["rawInput"] == {"a": 2, "b": 3}
    done = [c for c in calls if c.get("status") == "completed"]
    assert [c["toolCallId"] for c in done] == ["m1", "m2"]
    assert done[0]["content"] == [{"type": "content", "content": {"type": "text", "text": "5"}}]


async def test_links_embedded_resources_and_images_reach_the_model(
    agent: Agent, model_server: FakeModelServer, workspace: Path
) -> None:
    (workspace / "notes.md").write_text("# the linked file's text\n")
    model_server.enqueue(Reply((Text("seen"),)))
    sid = await agent.new()
    embedded = EmbeddedResourceContentBlock(
        type="resource",
        resource=TextResourceContents(
            uri=(workspace / "open.py").as_uri(), text="print('unsaved buffer text')\n"
        ),
    )
    await agent.say(
        sid,
        text_block("look at these"),
        resource_link_block(name="notes.md", uri=(workspace / "notes.md").as_uri()),
        resource_link_block(name="docs", uri="https://example.com/docs"),
        embedded,
        image_block(PNG, "image/png"),
    )
    sent = json.dumps(model_server.requests[0].body["input"])
    assert "look at these" in sent
    assert "the linked file's text" in sent
    assert "[@docs](https://example.com/docs)" in sent
    assert "unsaved buffer text" in sent and 'context name=\\"open.py\\"' in sent
    assert f"data:image/png;base64,{PNG}" in sent


async def test_slash_commands_run_their_tasks(agent: Agent, model_server: FakeModelServer) -> None:
    model_server.enqueue(
        Reply((Text("first answer"),)),
        Reply((Text("SUMMARY of the conversation"),)),
        Reply((Answer(answer(correct=True)),)),
        Reply((Text("just text"),)),
    )
    sid = await agent.new()
    await agent.say(sid, "hello")
    assert (await agent.say(sid, "/compact")).stop_reason == "end_turn"
    compact = json.dumps(model_server.requests[1].body)
    assert "first answer" in compact and "summar" in compact.lower()
    assert "compacted" in agent.client.text(sid)
    assert (await agent.say(sid, "/review look at error handling")).stop_reason == "end_turn"
    assert "look at error handling" in json.dumps(model_server.requests[2].body["input"])
    assert (await agent.say(sid, "/frobnicate now")).stop_reason == "end_turn"
    assert "/frobnicate now" in json.dumps(model_server.requests[3].body["input"])


async def test_commands_run_in_the_clients_terminal_when_enabled(
    acp_home: Path, model_server: FakeModelServer, workspace: Path
) -> None:
    """With ``acp.client_terminals`` and a client that offers terminals, the command runs in
    the client's terminal (still wrapped in the sandbox), shown in the tool call, released."""
    configure(acp_home, tables="[acp]\nclient_terminals = true")
    model_server.enqueue(
        Reply((ToolCall("shell", {"command": "printf 'ok\\n'; exit 3"}, call_id="t1"),)),
        Reply((Text("exit 3 noted"),)),
    )
    terminals = TerminalClient(workspace)
    async with start_agent(acp_home, workspace, terminal=True, client=terminals) as agent:
        sid = await agent.new()
        assert (await agent.say(sid, "run")).stop_reason == "end_turn"
    [created] = terminals.created
    assert created["args"][-3:] == ["bash", "-lc", "printf 'ok\\n'; exit 3"]
    assert created["cwd"] == str(workspace)
    assert terminals.released == [created["id"]]
    calls = agent.client.calls(sid)
    assert calls[0]["title"] == "printf 'ok\\n'; exit 3" and calls[0]["kind"] == "execute"
    shown = [c for c in calls if any(b.get("type") == "terminal" for b in c.get("content", []))]
    assert shown[0]["content"] == [{"type": "terminal", "terminalId": created["id"]}]
    assert calls[-1]["status"] == "failed" and calls[-1]["rawOutput"]["exit_code"] == 3
    assert json.loads(outputs(model_server)[0])["output"] == "ok\n"


@dataclass
class TerminalClient(Client):
    """A client with terminals: each really runs its command, here."""

    created: list[dict[str, Any]] = field(default_factory=list)
    released: list[str] = field(default_factory=list)
    procs: dict[str, asyncio.subprocess.Process] = field(default_factory=dict)
    output: dict[str, bytes] = field(default_factory=dict)

    async def create_terminal(
        self,
        command: str,
        session_id: str,
        args: list[str] | None = None,
        cwd: str | None = None,
        env: list[EnvVariable] | None = None,
        **_: Any,
    ) -> CreateTerminalResponse:
        terminal_id = f"term-{len(self.created)}"
        self.created.append({"id": terminal_id, "command": command, "args": args or [], "cwd": cwd})
        self.procs[terminal_id] = await asyncio.create_subprocess_exec(
            command,
            *(args or []),
            cwd=cwd,
            env={e.name: e.value for e in env or []} or None,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        return CreateTerminalResponse(terminal_id=terminal_id)

    async def wait_for_terminal_exit(
        self, session_id: str, terminal_id: str, **_: Any
    ) -> WaitForTerminalExitResponse:
        proc = self.procs[terminal_id]
        assert proc.stdout is not None
        self.output[terminal_id] = await proc.stdout.read()
        return WaitForTerminalExitResponse(exit_code=await proc.wait())

    async def terminal_output(
        self, session_id: str, terminal_id: str, **_: Any
    ) -> TerminalOutputResponse:
        return TerminalOutputResponse(
            output=self.output.get(terminal_id, b"").decode(),
            truncated=False,
            exit_status=TerminalExitStatus(exit_code=self.procs[terminal_id].returncode),
        )

    async def release_terminal(
        self, session_id: str, terminal_id: str, **_: Any
    ) -> ReleaseTerminalResponse:
        self.released.append(terminal_id)
        return ReleaseTerminalResponse()


async def test_spec_kit_commands_are_announced_and_run_like_everywhere(
    agent: Agent, model_server: FakeModelServer, workspace: Path
) -> None:
    (workspace / "docs").mkdir()
    sid = await agent.new()
    announced = await agent.client.wait(
        lambda: next(
            (
                u["availableCommands"]
                for u in agent.client.of(sid)
                if u["sessionUpdate"] == "available_commands_update"
            ),
            None,
        )
    )
    plan = next(c for c in announced if c["name"] == "speckit.plan")
    assert plan["input"]["hint"] == "<SPEC> [context]"
    assert (await agent.say(sid, "/speckit.new Add login")).stop_reason == "end_turn"
    assert "Created SPEC-KIT-001" in agent.client.text(sid)
    assert (workspace / "docs" / "SPEC-KIT-001-add-login" / "spec.md").is_file()
    assert (await agent.say(sid, "/spec-status SPEC-KIT-001")).stop_reason == "end_turn"
    assert "# SPEC Status: SPEC-KIT-001" in agent.client.text(sid)
    assert model_server.requests == []
