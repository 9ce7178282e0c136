"""Sessions are stored conversations: list, load (replayed before the answer), resume (no
replay), close and delete over ACP, across agent restarts, and shared with the LSP front end on
one store at the same time."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from acp import RequestError

from codex_lsp.testing import FakeModelServer, Reply, Text, ToolCall
from tests.acp.conftest import Agent, start_agent
from tests.lsp.conftest import open_session

pytestmark = pytest.mark.slow


async def _stored_turn(acp_home: Path, workspace: Path, model_server: FakeModelServer) -> str:
    """A session with one turn (a command, then an answer), in an agent process now gone."""
    model_server.enqueue(
        Reply((ToolCall("shell", {"command": ["echo", "from the past"]}, call_id="old"),)),
        Reply((Text("it printed from the past"),)),
    )
    async with start_agent(acp_home, workspace) as agent:
        sid = await agent.new()
        await agent.say(sid, "echo something")
    return sid


async def test_load_replays_the_history_in_order_before_answering(
    acp_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    sid = await _stored_turn(acp_home, workspace, model_server)
    model_server.enqueue(Reply((Text("I remember"),)))
    async with start_agent(acp_home, workspace) as agent:
        response = await agent.conn.load_session(cwd=str(workspace), session_id=sid, mcp_servers=[])
        assert response.modes is not None and response.modes.current_mode_id == "auto"
        frames = agent.client.frames
        answer = next(
            i for i, (d, f) in enumerate(frames) if d == "in" and f.get("id") == 1 and "result" in f
        )
        replayed = [
            f["params"]["update"]
            for d, f in frames[:answer]
            if d == "in" and f.get("method") == "session/update"
        ]
        kinds = [u["sessionUpdate"] for u in replayed]
        assert kinds.index("user_message_chunk") < kinds.index("tool_call")
        assert kinds.index("tool_call") < kinds.index("agent_message_chunk")
        assert replayed[kinds.index("user_message_chunk")]["content"]["text"] == "echo something"
        call = [u for u in replayed if u.get("toolCallId") == "old"]
        assert call[0]["title"] == "echo 'from the past'" and call[-1]["status"] == "completed"
        assert replayed[kinds.index("agent_message_chunk")]["content"]["text"] == (
            "it printed from the past"
        )
        await agent.say(sid, "what did it print?")
        assert "echo something" in json.dumps(model_server.requests[-1].body["input"])


async def test_list_resume_close_and_delete(
    acp_home: Path, workspace: Path, model_server: FakeModelServer, tmp_path: Path
) -> None:
    sid = await _stored_turn(acp_home, workspace, model_server)
    other = tmp_path / "other"
    other.mkdir()
    async with start_agent(acp_home, workspace) as agent:
        listed = await agent.conn.list_sessions(cwd=str(workspace))
        [entry] = listed.sessions
        assert entry.session_id == sid and entry.title == "echo something"
        assert entry.cwd == str(workspace) and entry.updated_at and entry.updated_at.endswith("Z")
        assert (await agent.conn.list_sessions(cwd=str(other))).sessions == []

        count = len(agent.client.frames)
        await agent.conn.resume_session(cwd=str(workspace), session_id=sid, mcp_servers=[])
        await asyncio.sleep(0.2)
        resumed = [
            f["params"]["update"]["sessionUpdate"]
            for d, f in agent.client.frames[count:]
            if f.get("method") == "session/update"
        ]
        assert resumed == ["available_commands_update"]  # nothing replayed
        model_server.enqueue(Reply((Text("continued"),)))
        assert (await agent.say(sid, "go on")).stop_reason == "end_turn"
        assert "from the past" in json.dumps(model_server.requests[-1].body["input"])

        assert await agent.conn.close_session(session_id=sid) is not None
        with pytest.raises(RequestError) as closed:
            await agent.say(sid, "still there?")
        assert closed.value.code == -32002

        assert await agent.request("session/delete", {"sessionId": sid}) == {}
        assert (await agent.conn.list_sessions()).sessions == []
        with pytest.raises(RequestError) as gone:
            await agent.conn.load_session(cwd=str(workspace), session_id=sid, mcp_servers=[])
        assert gone.value.code == -32002
        assert await agent.request("session/delete", {"sessionId": "no-such-session"}) == {}


async def test_list_pages_with_a_cursor(agent: Agent, workspace: Path) -> None:
    ids = {await agent.new() for _ in range(27)}
    first = await agent.conn.list_sessions(cwd=str(workspace))
    assert len(first.sessions) == 25 and first.next_cursor
    second = await agent.conn.list_sessions(cwd=str(workspace), cursor=first.next_cursor)
    assert len(second.sessions) == 2 and second.next_cursor is None
    assert {s.session_id for s in first.sessions + second.sessions} == ids
    with pytest.raises(RequestError) as bad:
        await agent.conn.list_sessions(cursor="not-a-cursor")
    assert bad.value.code == -32602


async def test_close_cancels_a_running_turn(agent: Agent, model_server: FakeModelServer) -> None:
    model_server.enqueue(Reply((ToolCall("shell", {"command": "sleep 30"}, call_id="long"),)))
    sid = await agent.new()
    turn = asyncio.create_task(agent.say(sid, "wait"))
    await agent.client.wait(
        lambda: any(c.get("status") == "in_progress" for c in agent.client.calls(sid))
    )
    await agent.conn.close_session(session_id=sid)
    assert (await asyncio.wait_for(turn, 5)).stop_reason == "cancelled"


async def test_lsp_and_acp_share_one_store_at_once(
    acp_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    """A conversation started in the language server continues over ACP (both running), and
    one started over ACP is resumed by the language server."""
    model_server.enqueue(Reply((Text("hello from LSP"),)))
    async with open_session(acp_home, workspace, "neovim", custom_approvals=True) as lsp:
        conv = await lsp.new_conversation()
        await lsp.say(conv, "started in the editor")
        await lsp.log.wait_for("taskComplete", conv, timeout=15)
        await lsp.request("codex/shutdown", {"conversationId": conv})
        await lsp.log.wait_for("shutdownComplete", conv, timeout=15)

        async with start_agent(acp_home, workspace) as agent:
            listed = await agent.conn.list_sessions(cwd=str(workspace))
            assert conv in {s.session_id for s in listed.sessions}
            await agent.conn.load_session(cwd=str(workspace), session_id=conv, mcp_servers=[])
            assert "started in the editor" in agent.client.text(conv, "user_message_chunk")
            assert agent.client.text(conv) == "hello from LSP"
            model_server.enqueue(Reply((Text("hello from ACP"),)))
            assert (await agent.say(conv, "continued in the agent client")).stop_reason == (
                "end_turn"
            )
            assert "started in the editor" in json.dumps(model_server.requests[-1].body["input"])

            model_server.enqueue(Reply((Text("acp first"),)))
            started = await agent.new()
            await agent.say(started, "begun over ACP")
            await agent.conn.close_session(session_id=started)

        resumed = await lsp.request("codex/resumeConversation", {"conversationId": started})
        said = [m["message"] for m in resumed["initialMessages"] if m["type"] == "userMessage"]
        assert said == ["begun over ACP"]
        model_server.enqueue(Reply((Text("lsp again"),)))
        await lsp.say(started, "and back in the editor")
        await lsp.log.wait_for("taskComplete", started, timeout=15)
        assert "begun over ACP" in json.dumps(model_server.requests[-1].body["input"])
