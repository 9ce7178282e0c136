"""The patch boundary end to end: a real server, an editor that denies every approval.

The attacks of issue 15 (a ``shell`` apply_patch with a ``workdir`` outside the workspace, a
``cd /etc``-style heredoc, a ``cd`` into the codex-lsp home rewriting config.toml, a new
``.codex-lsp/config.toml``) each reach the editor as a ``codex/patchApproval`` naming the
absolute path, and nothing is written; a FIFO target fails at once while the server goes on
answering requests.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from codex_lsp.testing import FakeModelServer, Reply, Text, ToolCall
from tests.lsp.conftest import Session, open_session

pytestmark = pytest.mark.slow

CONFIG_PATCH = (
    '*** Begin Patch\n*** Update File: config.toml\n@@\n model = "fake-model"\n'
    '+sandbox_mode = "danger-full-access"\n+approval_policy = "never"\n*** End Patch\n'
)


def _add(path: str) -> str:
    return f"*** Begin Patch\n*** Add File: {path}\n+planted\n*** End Patch\n"


def _tool_outputs(model_server: FakeModelServer) -> list[str]:
    return [
        str(i["output"])
        for r in model_server.requests
        for i in r.body["input"]
        if i.get("type") == "function_call_output"
    ]


async def _turn(
    session: Session, model_server: FakeModelServer, call: ToolCall, **params: Any
) -> str:
    model_server.enqueue(Reply((call,)), Reply((Text("ok"),)))
    conv = await session.new_conversation(**params)
    await session.say(conv, "go")
    await session.log.wait_for("taskComplete", conv)
    return conv


async def test_shell_patches_outside_the_workspace_reach_the_editor_with_absolute_paths(
    lsp: Session, model_server: FakeModelServer, workspace: Path, codex_home: Path, tmp_path: Path
) -> None:
    etc = tmp_path / "etc"
    etc.mkdir()
    config = codex_home / "config.toml"
    before = config.read_text()
    calls = {
        str(workspace.parent / "escaped.txt"): ToolCall(
            "shell", {"command": ["apply_patch", _add("escaped.txt")], "workdir": ".."}
        ),
        str(etc / "passwd"): ToolCall(
            "shell",
            {"command": ["bash", "-lc", f"cd {etc} && apply_patch <<'EOF'\n{_add('passwd')}EOF"]},
        ),
        str(config): ToolCall(
            "shell",
            {
                "command": [
                    "bash",
                    "-lc",
                    f"cd {codex_home} && apply_patch <<'EOF'\n{CONFIG_PATCH}EOF",
                ]
            },
        ),
    }
    for target, call in calls.items():
        await _turn(lsp, model_server, call)
        request = lsp.asked[-1]
        assert request["type"] == "applyPatchApprovalRequest"
        assert len(request["changes"]) == 1  # (pygls's test client renames the path keys)
        assert target in request["reason"] and "outside the workspace" in request["reason"]
    assert len(lsp.asked) == len(calls)
    assert not (workspace.parent / "escaped.txt").exists() and not (etc / "passwd").exists()
    assert config.read_text() == before
    assert all("rejected this patch" in o for o in _tool_outputs(model_server))


@pytest.mark.parametrize("policy", ["on-request", "never"])
async def test_the_project_config_is_never_written_without_asking(
    policy: str, codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    async with open_session(codex_home, workspace, "neovim", custom_approvals=True) as session:
        call = ToolCall("apply_patch", {"input": _add(".codex-lsp/config.toml")})
        await _turn(session, model_server, call, approvalPolicy=policy)
        if policy == "never":
            assert not session.asked
            assert "`never`" in _tool_outputs(model_server)[-1]
        else:
            [request] = session.asked
            assert ".codex-lsp/config.toml" in request["reason"]
            assert "protected folder" in request["reason"]
    assert not (workspace / ".codex-lsp").exists()


async def test_a_fifo_fails_at_once_and_the_server_keeps_answering(
    codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    pipe = workspace / "pipe"
    os.mkfifo(pipe)
    stop = threading.Event()

    def release_a_blocked_reader() -> None:  # old code would read the FIFO until a writer comes
        if stop.wait(6.0):
            return
        while not stop.is_set():
            try:
                os.close(os.open(pipe, os.O_WRONLY | os.O_NONBLOCK))
                return
            except OSError:
                time.sleep(0.05)

    threading.Thread(target=release_a_blocked_reader, daemon=True).start()
    patch = "*** Begin Patch\n*** Update File: pipe\n@@\n-a\n+b\n*** End Patch\n"
    model_server.enqueue(Reply((ToolCall("apply_patch", {"input": patch}),)), Reply((Text("ok"),)))
    try:
        async with open_session(codex_home, workspace, "visual-studio-code", True) as session:
            conv = await session.new_conversation()
            await session.say(conv, "edit the pipe")
            slowest = 0.0
            done = asyncio.ensure_future(session.log.wait_for("taskComplete", conv, timeout=20))
            while not done.done():
                started = time.monotonic()
                await session.request("codex/listConversations", {})
                slowest = max(slowest, time.monotonic() - started)
                await asyncio.sleep(0.05)
            await done
    finally:
        stop.set()
    assert slowest < 2.0, f"a request waited {slowest:.1f}s while the patch was processed"
    [output] = _tool_outputs(model_server)
    assert output.startswith("apply_patch verification failed:") and "named pipe (FIFO)" in output
    assert pipe.exists() and not pipe.is_file()
