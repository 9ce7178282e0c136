"""apply_patch over ACP: the diff in the tool call, the permission, and the edit landing
through the client's ``fs/write_text_file`` (reading unsaved buffers through
``fs/read_text_file``), or on disk for a client without fs."""

from __future__ import annotations

from pathlib import Path

import pytest

from codex_lsp.testing import FakeModelServer, Reply, Text, ToolCall
from tests.acp.conftest import Agent, start_agent
from tests.acp.test_turns import outputs

pytestmark = pytest.mark.slow

PATCH = """*** Begin Patch
*** Add File: hello.txt
+hello
*** Update File: a.py
@@
 def f():
-    return 1
+    return 2
*** End Patch
"""
BUFFER = "# unsaved edit in the editor\ndef f():\n    return 1\n"
ON_DISK = "def f():\n    return 1\n"


def patch_turn(model_server: FakeModelServer, patch: str = PATCH, call_id: str = "p1") -> None:
    model_server.enqueue(
        Reply((ToolCall("apply_patch", {"input": patch}, call_id=call_id),)),
        Reply((Text("patched"),)),
    )


async def test_a_patch_lands_through_the_client_with_its_diff(
    agent: Agent, model_server: FakeModelServer, workspace: Path
) -> None:
    (workspace / "a.py").write_text(ON_DISK)
    agent.client.buffers[str(workspace / "a.py")] = BUFFER
    patch_turn(model_server)
    agent.client.answers = ["allow_once"]
    sid = await agent.new()
    await agent.conn.set_session_mode(session_id=sid, mode_id="read-only")
    assert (await agent.say(sid, "edit")).stop_reason == "end_turn"

    [asked] = agent.client.asked
    assert asked.tool_call_id == "p1"
    first = agent.client.calls(sid)[0]
    assert first["sessionUpdate"] == "tool_call" and first["status"] == "pending"
    assert first["kind"] == "edit" and first["title"] == "Edit hello.txt, a.py"
    assert [loc["path"] for loc in first["locations"]] == [
        str(workspace / "hello.txt"),
        str(workspace / "a.py"),
    ]
    new_file, edited = [c for c in first["content"] if c["type"] == "diff"]
    assert new_file == {"type": "diff", "path": str(workspace / "hello.txt"), "newText": "hello\n"}
    assert edited["oldText"] == BUFFER
    assert edited["newText"] == BUFFER.replace("return 1", "return 2")

    assert agent.client.writes == [
        (str(workspace / "hello.txt"), "hello\n"),
        (str(workspace / "a.py"), BUFFER.replace("return 1", "return 2")),
    ]
    assert str(workspace / "a.py") in agent.client.reads
    assert (workspace / "a.py").read_text() == BUFFER.replace("return 1", "return 2")
    last = agent.client.calls(sid)[-1]
    assert last["status"] == "completed" and "content" not in last
    options = agent.client.frames
    request = next(f for d, f in options if f.get("method") == "session/request_permission")
    kinds = {o["kind"] for o in request["params"]["options"]}
    assert kinds == {"allow_once", "allow_always", "reject_once", "reject_always"}


async def test_auto_mode_applies_a_workspace_patch_without_asking(
    agent: Agent, model_server: FakeModelServer, workspace: Path
) -> None:
    (workspace / "a.py").write_text(ON_DISK)
    patch_turn(model_server)
    sid = await agent.new()
    await agent.say(sid, "edit")
    assert agent.client.asked == []
    assert [p for p, _ in agent.client.writes] == [
        str(workspace / "hello.txt"),
        str(workspace / "a.py"),
    ]
    assert agent.client.calls(sid)[0]["status"] == "in_progress"


async def test_a_client_without_fs_gets_the_files_on_disk(
    acp_home: Path, model_server: FakeModelServer, workspace: Path
) -> None:
    (workspace / "a.py").write_text(ON_DISK)
    patch_turn(model_server)
    async with start_agent(acp_home, workspace, fs=False) as agent:
        sid = await agent.new()
        await agent.say(sid, "edit")
        assert agent.client.writes == [] and agent.client.reads == []
        assert not any(f.get("method", "").startswith("fs/") for _, f in agent.client.frames)
    assert (workspace / "hello.txt").read_text() == "hello\n"
    assert (workspace / "a.py").read_text() == ON_DISK.replace("return 1", "return 2")


async def test_reject_once_writes_nothing_and_tells_the_model(
    agent: Agent, model_server: FakeModelServer, workspace: Path
) -> None:
    (workspace / "a.py").write_text(ON_DISK)
    patch_turn(model_server)
    agent.client.answers = ["reject_once"]
    sid = await agent.new()
    await agent.conn.set_session_mode(session_id=sid, mode_id="read-only")
    assert (await agent.say(sid, "edit")).stop_reason == "end_turn"
    assert agent.client.writes == []
    assert not (workspace / "hello.txt").exists()
    assert agent.client.calls(sid)[-1]["status"] == "failed"
    assert "rejected" in outputs(model_server)[0]


async def test_reject_always_refuses_the_same_patch_without_asking(
    agent: Agent, model_server: FakeModelServer, workspace: Path
) -> None:
    (workspace / "a.py").write_text(ON_DISK)
    model_server.enqueue(
        Reply((ToolCall("apply_patch", {"input": PATCH}, call_id="p1"),)),
        Reply((ToolCall("apply_patch", {"input": PATCH}, call_id="p2"),)),
        Reply((Text("gave up"),)),
    )
    agent.client.answers = ["reject_always"]
    sid = await agent.new()
    await agent.conn.set_session_mode(session_id=sid, mode_id="read-only")
    await agent.say(sid, "edit twice")
    assert [a.tool_call_id for a in agent.client.asked] == ["p1"]
    assert "for the rest of the conversation" in outputs(model_server)[-1]
    assert agent.client.writes == []


async def test_big_files_are_shown_hunk_by_hunk(
    agent: Agent, model_server: FakeModelServer, workspace: Path
) -> None:
    lines = [f"line {i}\n" for i in range(40_000)]
    (workspace / "big.txt").write_text("".join(lines))
    patch = (
        "*** Begin Patch\n*** Update File: big.txt\n@@\n line 99\n-line 100\n+LINE 100\n"
        "@@\n line 30000\n-line 30001\n+LINE 30001\n*** End Patch\n"
    )
    patch_turn(model_server, patch)
    sid = await agent.new()
    await agent.say(sid, "edit big")
    diffs = [c for c in agent.client.calls(sid)[0]["content"] if c["type"] == "diff"]
    assert len(diffs) == 2
    assert "line 100\n" in diffs[0]["oldText"] and "LINE 100\n" in diffs[0]["newText"]
    assert len(diffs[0]["oldText"]) < 1000
    assert agent.client.writes[0][1].count("\n") == 40_000


async def test_additional_directories_are_writable_roots(
    acp_home: Path, model_server: FakeModelServer, workspace: Path, tmp_path: Path
) -> None:
    extra = tmp_path / "extra"
    extra.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    add = "*** Begin Patch\n*** Add File: {}\n+x\n*** End Patch\n"
    model_server.enqueue(
        Reply((ToolCall("apply_patch", {"input": add.format(extra / "x.txt")}, call_id="in"),)),
        Reply(
            (ToolCall("apply_patch", {"input": add.format(elsewhere / "y.txt")}, call_id="out"),)
        ),
        Reply((Text("done"),)),
    )
    async with start_agent(acp_home, workspace) as agent:
        agent.client.answers = ["reject_once"]
        sid = await agent.new(additional_directories=[str(extra)])
        await agent.say(sid, "write both")
        assert [a.tool_call_id for a in agent.client.asked] == ["out"]
        assert [p for p, _ in agent.client.writes] == [str(extra / "x.txt")]
