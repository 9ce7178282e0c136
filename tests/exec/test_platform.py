"""Off Linux (simulated: ``sys.platform`` patched, nothing real runs) the sandbox says it is
unavailable and why, makes no Linux system call, and refuses sandboxed commands; the server
still starts and says so, and so does ``doctor``."""

from __future__ import annotations

import ctypes
import json
import sys
from pathlib import Path

import pytest

from codex_lsp.cli import doctor_cmd
from codex_lsp.core import ConversationManager
from codex_lsp.errors import SandboxError
from codex_lsp.exec import landlock, sandbox, seccomp
from codex_lsp.exec.hardening import harden_process
from codex_lsp.protocol.items import TextInput
from codex_lsp.protocol.ops import UserInputOp
from codex_lsp.protocol.policies import DangerFullAccess, ReadOnly, WorkspaceWrite
from codex_lsp.protocol.requests import NewConversationParams
from codex_lsp.testing import FakeModelServer, Reply, Text, ToolCall
from tests.core.conftest import manager
from tests.helpers import EventLog

__all__ = ["manager"]
SYSTEMS = {"darwin": "macOS", "win32": "Windows"}


@pytest.fixture(params=list(SYSTEMS))
def system(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """This process pretends to run on another system; any libc call fails the test."""

    class NoLibc:
        def __getattr__(self, name: str) -> object:
            raise AssertionError(f"a Linux system call ({name}) was made on {request.param}")

    monkeypatch.setattr(sys, "platform", request.param)
    monkeypatch.setattr(ctypes, "CDLL", lambda *a, **k: NoLibc())
    monkeypatch.setattr("codex_lsp.exec.linux.libc", NoLibc)
    return SYSTEMS[str(request.param)]


def test_the_probe_makes_no_syscall_and_finds_no_sandbox(system: str, tmp_path: Path) -> None:
    assert landlock.abi_version() == 0 and sandbox.landlock_abi() == 0
    assert not seccomp.supported()
    reason = sandbox.unavailable_reason()
    assert reason == f"the sandbox is not available on {system}: it needs Linux (Landlock)"
    for policy in (WorkspaceWrite(), ReadOnly()):
        with pytest.raises(SandboxError, match=f"not available on {system}.*was not run"):
            sandbox.sandboxed_argv(["true"], policy, tmp_path)
    assert sandbox.sandboxed_argv(["true"], DangerFullAccess(), tmp_path) == ["true"]
    harden_process()  # nothing to do there, and no error


async def test_the_server_starts_says_so_and_refuses_commands(
    system: str, manager: ConversationManager, model_server: FakeModelServer, log: EventLog
) -> None:
    model_server.enqueue(
        Reply((ToolCall("shell", {"command": ["touch", "made"]}, call_id="c1"),)),
        Reply((Text("ok"),)),
    )
    conv = await manager.new_conversation(NewConversationParams(sandbox="workspace-write"))
    warning = await log.wait_for("warning", conv.id)
    assert f"the sandbox is not available on {system}" in warning["message"]
    assert "commands will be refused" in warning["message"]
    conv.submit(UserInputOp(items=[TextInput(text="make a file")]))
    await log.wait_for("taskComplete", conv.id)
    end = log.msgs(conv.id, "execCommandEnd")[0]
    assert end["exitCode"] != 0 and f"not available on {system}" in end["aggregatedOutput"]
    output = next(
        i for i in model_server.requests[1].body["input"] if i["type"] == "function_call_output"
    )
    assert f"not available on {system}" in json.loads(output["output"])["output"]


def test_doctor_says_so(
    system: str, codex_home: Path, workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert doctor_cmd.run_doctor({}, workspace) == 1
    lines = capsys.readouterr().out.splitlines()
    assert (
        f"FAIL  sandbox   the sandbox is not available on {system}: it needs Linux (Landlock): "
        "sandboxed commands will be refused"
    ) in lines
    assert any(line.startswith("ok    config") for line in lines)  # the rest still ran
