"""The events a client sees, the approval requests and the outputs the model sees for a tool
call's whole life, pinned byte for byte (ids, durations and temp paths normalised): a shell
command asked and approved for the session then run again unasked, refusals, an approved patch,
an MCP call asked and approved. ``golden/tool_events.json`` is the reference; on a mismatch the
actual sequence is written to the test's temp folder for review."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from codex_lsp.core import ConversationManager
from codex_lsp.exec import sandbox
from codex_lsp.protocol.items import TextInput
from codex_lsp.protocol.ops import UserInputOp
from codex_lsp.protocol.policies import AskForApproval, ReviewDecision
from codex_lsp.protocol.requests import ApprovalResult, NewConversationParams
from codex_lsp.testing import FakeModelServer, Reply, Text, ToolCall
from tests.helpers import EventLog, ScriptedApprover, write_config
from tests.mcp.conftest import mcp_manager

__all__ = ["mcp_manager"]

GOLDEN = Path(__file__).parent / "golden" / "tool_events.json"
_ID = re.compile(r"(?:item|turn)-[0-9a-f]{12}")
_DURATION = re.compile(r'"duration_seconds": [0-9.]+')
_VOLATILE = {"durationMs"}


def _normalised(value: Any, workspace: Path, ids: dict[str, str]) -> Any:
    """``value`` with item and turn ids numbered in order of appearance, the workspace path as
    ``<workspace>`` (its temp folder as ``<tmp>``) and durations zeroed, so two runs of the same
    scenario compare equal."""
    if isinstance(value, dict):
        return {
            k: 0 if k in _VOLATILE else _normalised(v, workspace, ids) for k, v in value.items()
        }
    if isinstance(value, list):
        return [_normalised(v, workspace, ids) for v in value]
    if isinstance(value, str):
        text = value.replace(str(workspace), "<workspace>").replace(str(workspace.parent), "<tmp>")
        text = _DURATION.sub('"duration_seconds": 0', text)
        return _ID.sub(lambda m: ids.setdefault(m.group(), f"<id-{len(ids) + 1}>"), text)
    return value


def _coalesced(msgs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``msgs`` with consecutive output deltas of one stream joined: how a command's output is
    cut into chunks depends on the pipe, not on the code under test."""
    joined: list[dict[str, Any]] = []
    for msg in msgs:
        last = joined[-1] if joined else {}
        if msg["type"] == last.get("type") == "execCommandOutputDelta" and all(
            msg[k] == last[k] for k in ("itemId", "stream")
        ):
            joined[-1] = {**last, "chunk": last["chunk"] + msg["chunk"]}
        else:
            joined.append(msg)
    return joined


def _model_outputs(server: FakeModelServer) -> list[Any]:
    """The tool outputs of the last request, as sent."""
    return [
        item
        for item in server.requests[-1].body["input"]
        if item.get("type") in ("function_call_output", "custom_tool_call_output")
    ]


async def _scenario(
    manager: ConversationManager,
    log: EventLog,
    server: FakeModelServer,
    workspace: Path,
    policy: AskForApproval,
    *calls: ToolCall,
    sandbox_mode: str = "workspace-write",
) -> dict[str, Any]:
    """One turn in which the model makes ``calls`` (one per step), as the client and the model
    saw it."""
    server.enqueue(*(Reply((c,)) for c in calls), Reply((Text("done"),)))
    params = NewConversationParams(approval_policy=policy, sandbox=sandbox_mode)
    conv = await manager.new_conversation(params)
    conv.submit(UserInputOp(items=[TextInput(text="go")]))
    await log.wait_for("taskComplete", conv.id, timeout=30)
    msgs = log.msgs(conv.id)
    turn = _coalesced(msgs[[m["type"] for m in msgs].index("taskStarted") :])
    ids: dict[str, str] = {}
    return _normalised({"events": turn, "modelSaw": _model_outputs(server)}, workspace, ids)


def _check(name: str, actual: dict[str, Any], tmp_path: Path) -> None:
    expected = json.loads(GOLDEN.read_text("utf-8")).get(name)
    if actual != expected:
        dump = tmp_path / f"{name}.json"
        dump.write_text(json.dumps(actual, indent=2, sort_keys=True) + "\n", "utf-8")
        pytest.fail(f"{name}: the events differ from {GOLDEN.name}; actual in {dump}")


SHELL = ToolCall("shell", {"command": ["bash", "-lc", "echo hello; touch made.txt"]}, "c1")


async def test_shell_asked_approved_for_session_then_run_unasked(
    manager: ConversationManager,
    model_server: FakeModelServer,
    log: EventLog,
    approver: ScriptedApprover,
    workspace: Path,
    tmp_path: Path,
) -> None:
    approver.answers = [ReviewDecision.APPROVED_FOR_SESSION]
    second = ToolCall("shell", SHELL.arguments, "c2")
    seen = await _scenario(
        manager, log, model_server, workspace, AskForApproval.UNTRUSTED, SHELL, second
    )
    assert len(approver.asked) == 1 and (workspace / "made.txt").exists()
    _check("shell_session_approval", seen, tmp_path)


async def test_shell_refusals_and_a_denial(
    manager: ConversationManager,
    model_server: FakeModelServer,
    log: EventLog,
    approver: ScriptedApprover,
    codex_home: Path,
    workspace: Path,
    tmp_path: Path,
) -> None:
    write_config(codex_home, model_server.base_url, extra='[command_rules]\ndeny = [["rm"]]\n')
    approver.answers = [ReviewDecision.DENIED]
    seen = await _scenario(
        manager,
        log,
        model_server,
        workspace,
        AskForApproval.ON_REQUEST,
        ToolCall("shell", {"command": ["rm", "-rf", "x"]}, "deny"),
        ToolCall(
            "shell",
            {"command": ["true"], "with_escalated_permissions": True, "justification": "why"},
            "esc",
        ),
    )
    assert [r.reason for r in approver.asked] == ["why"]
    _check("shell_refusals", seen, tmp_path)


@pytest.mark.skipif(sandbox.landlock_abi() < 1, reason="this kernel has no Landlock support")
async def test_shell_denied_by_the_sandbox_is_asked_again_outside(
    manager: ConversationManager,
    model_server: FakeModelServer,
    log: EventLog,
    approver: ScriptedApprover,
    workspace: Path,
    tmp_path: Path,
) -> None:
    approver.answers = [ReviewDecision.APPROVED]
    seen = await _scenario(
        manager,
        log,
        model_server,
        workspace,
        AskForApproval.ON_FAILURE,
        ToolCall("shell", {"command": ["touch", "made.txt"]}, "c1"),
        sandbox_mode="read-only",
    )
    assert (workspace / "made.txt").exists()
    _check("shell_sandbox_retry", seen, tmp_path)


async def test_refusals_under_never(
    manager: ConversationManager,
    model_server: FakeModelServer,
    log: EventLog,
    approver: ScriptedApprover,
    workspace: Path,
    tmp_path: Path,
) -> None:
    outside = "*** Begin Patch\n*** Add File: ../outside.txt\n+x\n*** End Patch\n"
    seen = await _scenario(
        manager,
        log,
        model_server,
        workspace,
        AskForApproval.NEVER,
        ToolCall("shell", {"command": ["true"], "with_escalated_permissions": True}, "esc"),
        ToolCall("apply_patch", {"input": outside}, "out"),
    )
    assert approver.asked == [] and not (tmp_path / "outside.txt").exists()
    _check("never_refusals", seen, tmp_path)


PATCH = """*** Begin Patch
*** Update File: app.py
@@
-x = 1
+x = 2
*** Add File: notes.md
+# Notes
*** End Patch
"""


async def test_an_approved_patch(
    manager: ConversationManager,
    model_server: FakeModelServer,
    log: EventLog,
    approver: ScriptedApprover,
    workspace: Path,
    tmp_path: Path,
) -> None:
    (workspace / "app.py").write_text("x = 1\n")
    approver.answers = [ApprovalResult(decision=ReviewDecision.APPROVED)]
    seen = await _scenario(
        manager,
        log,
        model_server,
        workspace,
        AskForApproval.UNTRUSTED,
        ToolCall("apply_patch", {"input": PATCH}, "p1"),
    )
    assert (workspace / "app.py").read_text() == "x = 2\n"
    _check("patch_approved", seen, tmp_path)


@pytest.mark.slow
async def test_an_mcp_call_asked_and_approved(
    mcp_manager: ConversationManager,
    model_server: FakeModelServer,
    log: EventLog,
    approver: ScriptedApprover,
    workspace: Path,
    tmp_path: Path,
) -> None:
    approver.answers = [ReviewDecision.APPROVED]
    seen = await _scenario(
        mcp_manager,
        log,
        model_server,
        workspace,
        AskForApproval.ON_REQUEST,
        ToolCall("faults__add", {"a": 2, "b": 3}, "m1"),
        ToolCall("faults__write_note", {"text": "hi"}, "m2"),
    )
    assert len(approver.asked) == 1
    _check("mcp_approved", seen, tmp_path)
