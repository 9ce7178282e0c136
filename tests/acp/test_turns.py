"""Prompt turns over ACP against a real agent process: streaming, commands, permissions,
cancellation, steering, errors and stop reasons."""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path

import pytest
from acp import RequestError

from codex_lsp.testing import ErrorReply, FakeModelServer, Reasoning, Reply, Text, ToolCall
from tests.acp.conftest import HOLD, Agent, configure

pytestmark = pytest.mark.slow


def outputs(server: FakeModelServer) -> list[str]:
    """The tool outputs the model was sent in the last request."""
    return [
        i["output"]
        for i in server.requests[-1].body["input"]
        if i.get("type") == "function_call_output"
    ]


def escalated(command: str, call_id: str) -> ToolCall:
    """A shell call that asks to leave the sandbox (so auto mode asks the user)."""
    return ToolCall(
        "shell",
        {"command": command, "with_escalated_permissions": True, "justification": "needs it"},
        call_id=call_id,
    )


async def test_a_text_turn_streams_thoughts_message_and_usage(
    agent: Agent, model_server: FakeModelServer, acp_home: Path
) -> None:
    configure(acp_home, top="model_context_window = 272000")
    model_server.enqueue(
        Reply(
            (Reasoning(summary=("weighing it",)), Text("Hello there, friend", chunks=3)),
            input_tokens=1200,
            output_tokens=34,
        )
    )
    sid = await agent.new()
    result = await agent.say(sid, "hi")
    assert result.stop_reason == "end_turn"
    client = agent.client
    kinds = client.kinds(sid)
    assert kinds[0] == "available_commands_update"
    commands = client.of(sid)[0]["availableCommands"]
    names = [c["name"] for c in commands]
    assert names[:3] == ["review", "compact", "undo"] and "speckit.plan" in names[3:]
    assert kinds.count("agent_message_chunk") == 3
    chunks = [u for u in client.of(sid) if u["sessionUpdate"] == "agent_message_chunk"]
    assert len({c["messageId"] for c in chunks}) == 1
    assert client.text(sid) == "Hello there, friend"
    assert client.text(sid, "agent_thought_chunk").startswith("weighing it")
    usage = next(u for u in client.of(sid) if u["sessionUpdate"] == "usage_update")
    assert usage["used"] == 1234 and usage["size"] == 272000
    title = next(u for u in client.of(sid) if u["sessionUpdate"] == "session_info_update")
    assert title["title"] == "hi"
    # available_commands_update came after the session/new response
    frames = client.frames
    new_answer = next(
        i for i, (d, f) in enumerate(frames) if d == "in" and f.get("result", {}).get("sessionId")
    )
    first_update = next(
        i for i, (d, f) in enumerate(frames) if d == "in" and f.get("method") == "session/update"
    )
    assert new_answer < first_update


async def test_a_shell_call_asks_permission_runs_and_streams_its_output(
    agent: Agent, model_server: FakeModelServer
) -> None:
    model_server.enqueue(
        Reply((escalated("printf 'line one\\n'; printf 'line two\\n'", "c1"),)),
        Reply((Text("ran it"),)),
    )
    agent.client.answers = ["allow_once"]
    sid = await agent.new()
    assert (await agent.say(sid, "run it")).stop_reason == "end_turn"
    [asked] = agent.client.asked
    assert (
        asked.tool_call_id == "c1" and asked.title == "printf 'line one\\n'; printf 'line two\\n'"
    )
    assert asked.kind == "execute"
    calls = agent.client.calls(sid)
    assert calls[0]["sessionUpdate"] == "tool_call" and calls[0]["status"] == "pending"
    assert calls[0]["title"] == asked.title and calls[0]["kind"] == "execute"
    statuses = [c.get("status") for c in calls]
    assert statuses.index("in_progress") < statuses.index("completed")
    final = calls[-1]
    assert final["status"] == "completed" and final["rawOutput"]["exit_code"] == 0
    assert "line one\nline two" in final["content"][0]["content"]["text"]
    assert json.loads(outputs(model_server)[0])["output"] == "line one\nline two\n"


async def test_allow_always_holds_for_the_session_only(
    agent: Agent, model_server: FakeModelServer
) -> None:
    model_server.enqueue(
        Reply((escalated("true", "a1"),)),
        Reply((escalated("true", "a2"),)),
        Reply((Text("twice"),)),
        Reply((escalated("true", "a3"),)),
        Reply((Text("new session"),)),
    )
    agent.client.answers = ["allow_always", "reject_once"]
    first = await agent.new()
    await agent.say(first, "run true twice")
    assert [a.tool_call_id for a in agent.client.asked] == ["a1"]
    second = await agent.new()
    await agent.say(second, "again")
    assert [a.tool_call_id for a in agent.client.asked] == ["a1", "a3"]
    assert agent.client.calls(second)[-1]["status"] == "failed"


async def test_reject_always_adds_a_deny_rule(
    agent: Agent, model_server: FakeModelServer, acp_home: Path, workspace: Path
) -> None:
    model_server.enqueue(
        Reply((escalated("touch denied.txt", "r1"),)),
        Reply((Text("it was rejected"),)),
        Reply((escalated("touch denied.txt", "r2"),)),
        Reply((Text("still rejected"),)),
    )
    agent.client.answers = ["reject_always"]
    sid = await agent.new()
    await agent.say(sid, "touch it")
    assert "denied" in outputs(model_server)[0]
    assert agent.client.calls(sid)[-1]["status"] == "failed"
    other = await agent.new()
    await agent.say(other, "touch it again")
    assert len(agent.client.asked) == 1
    assert "denied by a command rule" in outputs(model_server)[0]
    assert not (workspace / "denied.txt").exists()
    assert '"touch denied.txt"' in (acp_home / "rules.toml").read_text()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").exists() and "Z" not in _state(pid)


def _pids_running(*markers: str) -> list[int]:
    """Host pids of the processes whose command line holds one of ``markers``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and entry.name != str(os.getpid()):
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if any(m in cmdline for m in markers) and "pytest" not in cmdline:
                found.append(int(entry.name))
    return found


def _status(pid: int) -> str:
    try:
        return " ".join(
            line
            for line in Path(f"/proc/{pid}/status").read_text().splitlines()
            if line.split(":")[0] in ("Name", "State", "PPid", "NSpgid")
        )
    except OSError:
        return "gone"


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return "Z"


async def test_cancel_mid_command_kills_its_process_group_and_answers_cancelled(
    agent: Agent, model_server: FakeModelServer, workspace: Path
) -> None:
    # the command runs in a PID namespace: its own $$ and $! mean nothing here, so its host
    # pids are found by the unique arguments of its shell and its background child
    script = "sleep 30.25 & echo started > child.txt; wait # acp-cancel-test"
    model_server.enqueue(
        Reply((ToolCall("shell", {"command": script, "timeout_ms": 60000}, call_id="s1"),)),
        Reply((Text("after the cancel"),)),
    )
    sid = await agent.new()
    turn = asyncio.create_task(agent.say(sid, "sleep"))
    await agent.client.wait((workspace / "child.txt").exists)
    pids = _pids_running("acp-cancel-test", "30.25")
    assert len(pids) >= 2 and all(_alive(p) for p in pids)
    started = time.monotonic()
    await agent.conn.cancel(session_id=sid)
    result = await asyncio.wait_for(turn, 5)
    assert result.stop_reason == "cancelled"
    assert time.monotonic() - started < 2
    try:
        await agent.client.wait(lambda: not any(_alive(p) for p in pids), timeout=10)
    except TimeoutError:
        left = {p: _status(p) for p in pids if _alive(p)}
        raise AssertionError(f"still running after the cancel: {left}") from None
    assert agent.client.calls(sid)[-1]["status"] == "failed"
    assert (await agent.say(sid, "go on")).stop_reason == "end_turn"
    assert agent.client.text(sid).endswith("after the cancel")


async def test_cancel_during_a_pending_permission(
    agent: Agent, model_server: FakeModelServer, workspace: Path
) -> None:
    patch = "*** Begin Patch\n*** Add File: ../outside.txt\n+no\n*** End Patch\n"
    model_server.enqueue(
        Reply((ToolCall("apply_patch", {"input": patch}, call_id="p1"),)),
        Reply((Text("fine"),)),
    )
    agent.client.answers = [HOLD]
    sid = await agent.new()
    turn = asyncio.create_task(agent.say(sid, "write outside"))
    await agent.client.wait(lambda: agent.client.held)
    await agent.conn.cancel(session_id=sid)
    result = await asyncio.wait_for(turn, 2)
    assert result.stop_reason == "cancelled"
    agent.client.held[0].set_result("cancelled")
    assert not (workspace.parent / "outside.txt").exists()
    assert agent.client.calls(sid)[-1]["status"] == "failed"
    assert (await agent.say(sid, "something else")).stop_reason == "end_turn"


async def test_a_second_prompt_during_a_turn_steers_it(
    agent: Agent, model_server: FakeModelServer, workspace: Path
) -> None:
    model_server.enqueue(
        Reply((ToolCall("shell", {"command": "sleep 1"}, call_id="w1"),)),
        Reply((Text("did both"),)),
    )
    sid = await agent.new()
    first = asyncio.create_task(agent.say(sid, "first task"))
    await agent.client.wait(
        lambda: any(c.get("status") == "in_progress" for c in agent.client.calls(sid))
    )
    second = await asyncio.wait_for(agent.say(sid, "and also this"), 10)
    assert second.stop_reason == "end_turn"
    assert (await first).stop_reason == "end_turn"
    assert len(model_server.requests) == 2
    assert "and also this" in json.dumps(model_server.requests[1].body["input"])


async def test_a_provider_failure_is_an_error_and_the_session_stays_usable(
    agent: Agent, model_server: FakeModelServer
) -> None:
    model_server.enqueue(ErrorReply(500, "the model is on fire"), Reply((Text("back"),)))
    sid = await agent.new()
    with pytest.raises(RequestError) as failed:
        await agent.say(sid, "hello?")
    assert failed.value.code == -32603
    assert "the model is on fire" in str(failed.value)
    assert "send the prompt again" in str(failed.value)
    assert (await agent.say(sid, "hello again")).stop_reason == "end_turn"
    assert agent.client.text(sid) == "back"


@pytest.mark.parametrize(("stop", "reason"), [("max_tokens", "max_tokens"), ("refusal", "refusal")])
async def test_early_stops_are_their_stop_reasons(
    agent: Agent, model_server: FakeModelServer, stop: str, reason: str
) -> None:
    model_server.enqueue(Reply((Text("partial"),), stop=stop))  # type: ignore[arg-type]
    sid = await agent.new()
    assert (await agent.say(sid, "go")).stop_reason == reason
    assert agent.client.text(sid) == "partial"


async def test_a_cancelled_permission_outcome_stops_the_turn_cleanly(
    agent: Agent, model_server: FakeModelServer, workspace: Path
) -> None:
    model_server.enqueue(
        Reply((escalated("touch never.txt", "x1"),)),
        Reply((Text("next turn"),)),
    )
    agent.client.answers = ["cancelled"]
    sid = await agent.new()
    assert (await agent.say(sid, "touch")).stop_reason == "cancelled"
    assert not (workspace / "never.txt").exists()
    assert agent.client.calls(sid)[-1]["status"] == "failed"
    assert (await agent.say(sid, "something else")).stop_reason == "end_turn"
    assert agent.client.text(sid) == "next turn"
