"""The approval presets as one switch over LSP: ``codex/listModes``, the current preset on
``sessionConfigured``, and ``codex/setMode`` changing what the next turn may do, against a real
server process with the real sandbox."""

from __future__ import annotations

from pathlib import Path

import pytest
from pygls.exceptions import JsonRpcException

from codex_lsp.exec import sandbox
from codex_lsp.testing import FakeModelServer, Reply, Text, ToolCall
from tests.lsp.conftest import Session, open_session

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sandbox.landlock_abi() < 1, reason="this kernel has no Landlock support"),
]


def touch(path: Path) -> Reply:
    return Reply((ToolCall("shell", {"command": ["touch", str(path)]}),))


async def turn(lsp: Session, conv: str, count: int) -> None:
    await lsp.say(conv, "touch it")
    await lsp.log.wait_for("taskComplete", conv, count=count)


async def test_the_mode_switch_changes_what_the_next_turn_may_do(
    codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    outside = workspace.parent / "outside.txt"
    model_server.enqueue(
        touch(workspace / "auto.txt"),
        Reply((Text("made"),)),
        touch(workspace / "read-only.txt"),
        Reply((Text("could not"),)),
        touch(outside),
        Reply((Text("made"),)),
    )
    async with open_session(codex_home, workspace, "visual-studio-code", True) as lsp:
        listed = await lsp.request("codex/listModes", {})
        assert [m["id"] for m in listed["modes"]] == ["read-only", "auto", "full-access"]
        assert "current" not in listed  # no conversation named
        conv = await lsp.new_conversation()
        assert lsp.log.msgs(conv, "sessionConfigured")[0]["mode"] == "auto"
        current = await lsp.request("codex/listModes", {"conversationId": conv})
        assert current["current"] == "auto"

        await turn(lsp, conv, 1)  # auto: a write in the workspace, unasked
        assert (workspace / "auto.txt").exists() and lsp.asked == []

        switched = await lsp.request("codex/setMode", {"conversationId": conv, "mode": "read-only"})
        assert switched["mode"]["sandboxMode"] == "read-only" and switched.get("warning") is None
        await turn(lsp, conv, 2)  # read-only: the sandbox refuses the write; asking is denied
        assert not (workspace / "read-only.txt").exists()
        current = await lsp.request("codex/listModes", {"conversationId": conv})
        assert current["current"] == "read-only"

        switched = await lsp.request(
            "codex/setMode", {"conversationId": conv, "mode": "full-access"}
        )
        assert "without a sandbox" in switched["warning"]
        warned = await lsp.log.wait_for("warning", conv)
        assert warned["message"] == switched["warning"]
        asked_before = len(lsp.asked)
        await turn(lsp, conv, 3)  # full access: outside the workspace, never asked
        assert outside.exists() and len(lsp.asked) == asked_before

        with pytest.raises(JsonRpcException, match=r"mode: Input should be 'read-only'"):
            await lsp.request("codex/setMode", {"conversationId": conv, "mode": "yolo"})
