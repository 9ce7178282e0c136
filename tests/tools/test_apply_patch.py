"""apply_patch as the model calls it: freeform, function, through shell; approvals; events."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codex_lsp.core import ConversationManager
from codex_lsp.protocol.events import ApplyPatchApprovalRequestEvent
from codex_lsp.protocol.items import TextInput, UpdateFile
from codex_lsp.protocol.ops import UserInputOp
from codex_lsp.protocol.policies import AskForApproval, ReviewDecision
from codex_lsp.protocol.requests import ApprovalResult, NewConversationParams
from codex_lsp.testing import FakeModelServer, Reply, Text, ToolCall
from codex_lsp.tools.apply_patch import patch_from_shell
from tests.helpers import EventLog, ScriptedApprover, write_config
from tests.patch.test_review import ORIGINAL, REVIEWED_PATCH

PATCH = """*** Begin Patch
*** Update File: app.py
@@
-x = 1
+x = 2
*** Add File: notes/new.md
+# New
*** End Patch
"""


async def _turn(manager: ConversationManager, log: EventLog, **params: object) -> str:
    conv = await manager.new_conversation(NewConversationParams.model_validate(params))
    conv.submit(UserInputOp(items=[TextInput(text="edit")]))
    await log.wait_for("taskComplete", conv.id)
    return conv.id


def _last_tool_output(server: FakeModelServer) -> str:
    body = server.requests[-1].body
    items = body.get("input") or body.get("messages")
    outputs = [
        i
        for i in items
        if i.get("type") in ("function_call_output", "custom_tool_call_output")
        or i.get("role") == "tool"
    ]
    last = outputs[-1]
    return str(last.get("output") or last.get("content"))


async def test_freeform_patch_on_the_responses_api(
    manager: ConversationManager, model_server: FakeModelServer, log: EventLog, workspace: Path
) -> None:
    (workspace / "app.py").write_text("x = 1\n")
    model_server.enqueue(
        Reply((ToolCall("apply_patch", freeform_input=PATCH, call_id="p1"),)),
        Reply((Text("done"),)),
    )
    conv_id = await _turn(manager, log, model="gpt-5-codex")
    tools = {t["name"]: t for t in model_server.requests[0].body["tools"]}
    assert (
        tools["apply_patch"]["type"] == "custom"
        and tools["apply_patch"]["format"]["syntax"] == "lark"
    )
    assert (workspace / "app.py").read_text() == "x = 2\n"
    assert (workspace / "notes" / "new.md").read_text() == "# New\n"
    begin = log.msgs(conv_id, "patchApplyBegin")[0]
    assert begin["autoApproved"] is True
    assert begin["changes"]["notes/new.md"] == {"type": "add", "content": "# New\n"}
    assert "-x = 1\n+x = 2" in begin["changes"]["app.py"]["unifiedDiff"]
    end = log.msgs(conv_id, "patchApplyEnd")[0]
    assert (
        end["success"] is True
        and end["stdout"] == "Success. Updated the following files:\nA notes/new.md\nM app.py\n"
    )
    completed = [
        m["item"] for m in log.msgs(conv_id, "itemCompleted") if m["item"]["type"] == "fileChange"
    ]
    assert completed[0]["status"] == "completed"
    diff = log.msgs(conv_id, "turnDiff")[-1]["unifiedDiff"]
    assert "--- a/app.py" in diff and "+++ b/notes/new.md" in diff
    output = next(
        i for i in model_server.requests[1].body["input"] if i["type"] == "custom_tool_call_output"
    )
    assert output["call_id"] == "p1" and output["output"].startswith("Success.")


async def test_function_form_over_chat_completions(
    manager: ConversationManager,
    model_server: FakeModelServer,
    log: EventLog,
    workspace: Path,
    codex_home: Path,
) -> None:
    write_config(codex_home, model_server.base_url, "chat")
    (workspace / "app.py").write_text("x = 1\n")
    model_server.enqueue(
        Reply((ToolCall("apply_patch", {"input": PATCH}),)), Reply((Text("done"),))
    )
    await _turn(manager, log)
    tools = {t["function"]["name"]: t for t in model_server.requests[0].body["tools"]}
    assert tools["apply_patch"]["function"]["parameters"]["required"] == ["input"]
    assert (workspace / "app.py").read_text() == "x = 2\n"


@pytest.mark.parametrize(
    "command",
    [
        [
            "apply_patch",
            PATCH.replace("app.py", "sub/app.py").replace("notes/new.md", "sub/new.md"),
        ],
        ["bash", "-lc", f"cd sub && apply_patch <<'EOF'\n{PATCH}EOF"],
    ],
    ids=["argv", "heredoc"],
)
async def test_apply_patch_through_shell_is_intercepted(
    command: list[str],
    manager: ConversationManager,
    model_server: FakeModelServer,
    log: EventLog,
    workspace: Path,
) -> None:
    (workspace / "sub").mkdir()
    (workspace / "sub" / "app.py").write_text("x = 1\n")
    model_server.enqueue(Reply((ToolCall("shell", {"command": command}),)), Reply((Text("done"),)))
    conv_id = await _turn(manager, log)
    assert (workspace / "sub" / "app.py").read_text() == "x = 2\n"
    assert "execCommandBegin" not in log.types(conv_id)
    assert log.msgs(conv_id, "patchApplyEnd")[0]["success"] is True


def test_heredoc_detection_is_narrow() -> None:
    assert patch_from_shell(["bash", "-lc", "apply_patch <<'EOF'\nX\nEOF\n"]) == ("X", None)
    assert patch_from_shell(["bash", "-lc", 'cd "my dir" && apply_patch <<EOF\nX\nEOF']) == (
        "X",
        "my dir",
    )
    assert patch_from_shell(["bash", "-lc", "echo hi; apply_patch <<'EOF'\nX\nEOF"]) is None
    assert patch_from_shell(["bash", "-lc", "apply_patch <<'EOF'\nX\nEOF\nrm -rf /"]) is None


async def test_untrusted_asks_and_a_rejection_writes_nothing(
    manager: ConversationManager,
    model_server: FakeModelServer,
    log: EventLog,
    approver: ScriptedApprover,
    workspace: Path,
) -> None:
    (workspace / "app.py").write_text("x = 1\n")
    model_server.enqueue(Reply((ToolCall("apply_patch", {"input": PATCH}),)), Reply((Text("ok"),)))
    approver.answers = [ReviewDecision.DENIED]
    conv_id = await _turn(manager, log, approvalPolicy="untrusted")
    request = log.msgs(conv_id, "applyPatchApprovalRequest")[0]
    assert set(request["changes"]) == {"app.py", "notes/new.md"}
    assert (workspace / "app.py").read_text() == "x = 1\n" and not (workspace / "notes").exists()
    assert "rejected" in _last_tool_output(model_server)


@pytest.mark.parametrize(
    ("policy", "asked"), [(AskForApproval.ON_REQUEST, True), (AskForApproval.NEVER, False)]
)
async def test_writing_outside_the_workspace_needs_approval(
    policy: AskForApproval,
    asked: bool,
    manager: ConversationManager,
    model_server: FakeModelServer,
    log: EventLog,
    approver: ScriptedApprover,
    workspace: Path,
) -> None:
    patch = "*** Begin Patch\n*** Add File: ../escaped.txt\n+out\n*** End Patch\n"
    model_server.enqueue(Reply((ToolCall("apply_patch", {"input": patch}),)), Reply((Text("ok"),)))
    approver.answers = [ReviewDecision.APPROVED]
    await _turn(manager, log, approvalPolicy=policy.value)
    assert bool(approver.asked) is asked
    escaped = workspace.parent / "escaped.txt"
    assert escaped.exists() is asked
    if asked:
        assert "outside the workspace" in (approver.asked[0].reason or "")
    else:
        assert "approval policy is `never`" in _last_tool_output(model_server)


async def test_patches_into_dot_git_need_approval(
    manager: ConversationManager,
    model_server: FakeModelServer,
    log: EventLog,
    approver: ScriptedApprover,
    workspace: Path,
) -> None:
    (workspace / ".git").mkdir()
    patch = "*** Begin Patch\n*** Add File: .git/hooks/pre-commit\n+evil\n*** End Patch\n"
    model_server.enqueue(Reply((ToolCall("apply_patch", {"input": patch}),)), Reply((Text("ok"),)))
    approver.answers = [ReviewDecision.DENIED]
    await _turn(manager, log)
    assert len(approver.asked) == 1 and not (workspace / ".git" / "hooks").exists()


async def test_a_failing_patch_writes_nothing_and_tells_the_model(
    manager: ConversationManager, model_server: FakeModelServer, log: EventLog, workspace: Path
) -> None:
    (workspace / "app.py").write_text("x = 1\n")
    patch = PATCH.replace("-x = 1", "-x = 999")
    model_server.enqueue(Reply((ToolCall("apply_patch", {"input": patch}),)), Reply((Text("ok"),)))
    conv_id = await _turn(manager, log)
    output = _last_tool_output(model_server)
    assert output.startswith("apply_patch verification failed: Failed to find expected lines")
    assert "x = 999" in output
    assert not (workspace / "notes").exists() and "patchApplyBegin" not in log.types(conv_id)


async def test_a_raw_patch_passed_to_shell_gets_a_hint(
    manager: ConversationManager, model_server: FakeModelServer, log: EventLog
) -> None:
    model_server.enqueue(Reply((ToolCall("shell", {"command": PATCH}),)), Reply((Text("ok"),)))
    await _turn(manager, log)
    output = json.loads(json.dumps(_last_tool_output(model_server)))
    assert "without an explicit call to apply_patch" in output


async def test_a_symlink_out_of_the_workspace_needs_approval(
    manager: ConversationManager,
    model_server: FakeModelServer,
    log: EventLog,
    approver: ScriptedApprover,
    workspace: Path,
    tmp_path: Path,
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (workspace / "link").symlink_to(outside)
    patch = "*** Begin Patch\n*** Add File: link/planted.txt\n+x\n*** End Patch\n"
    model_server.enqueue(Reply((ToolCall("apply_patch", {"input": patch}),)), Reply((Text("ok"),)))
    approver.answers = [ReviewDecision.DENIED]
    await _turn(manager, log)
    planted = str(outside.resolve() / "planted.txt")
    assert len(approver.asked) == 1 and planted in (approver.asked[0].reason or "")
    assert not (outside / "planted.txt").exists()


async def test_binary_files_are_refused(
    manager: ConversationManager, model_server: FakeModelServer, log: EventLog, workspace: Path
) -> None:
    (workspace / "image.bin").write_bytes(b"\x89PNG\x00\x01")
    patch = "*** Begin Patch\n*** Update File: image.bin\n@@\n-x\n+y\n*** End Patch\n"
    model_server.enqueue(Reply((ToolCall("apply_patch", {"input": patch}),)), Reply((Text("ok"),)))
    await _turn(manager, log)
    assert "binary file" in _last_tool_output(model_server)
    assert (workspace / "image.bin").read_bytes() == b"\x89PNG\x00\x01"


async def _reviewed_turn(
    manager: ConversationManager,
    model_server: FakeModelServer,
    log: EventLog,
    approver: ScriptedApprover,
    workspace: Path,
    rejected_hunks: dict[str, list[int]],
    **params: object,
) -> None:
    """A turn whose patch the user reviews with ``review_patches``, rejecting these hunks."""
    (workspace / "long.txt").write_text(ORIGINAL)
    model_server.enqueue(
        Reply((ToolCall("apply_patch", {"input": REVIEWED_PATCH}),)), Reply((Text("ok"),))
    )
    approver.answers = [
        ApprovalResult(decision=ReviewDecision.APPROVED, rejected_hunks=rejected_hunks)
    ]
    await _turn(manager, log, config={"review_patches": True}, **params)


async def test_review_patches_asks_even_on_request_and_applies_what_was_accepted(
    manager: ConversationManager,
    model_server: FakeModelServer,
    log: EventLog,
    approver: ScriptedApprover,
    workspace: Path,
) -> None:
    rejected = {"long.txt": [0]}
    await _reviewed_turn(
        manager, model_server, log, approver, workspace, rejected, approvalPolicy="on-request"
    )
    [request] = approver.asked
    assert isinstance(request, ApplyPatchApprovalRequestEvent)
    diff = request.changes["long.txt"]
    assert isinstance(diff, UpdateFile) and len(diff.unified_diff.split("\n@@")) == 3
    text = (workspace / "long.txt").read_text()
    assert "line 2\n" in text and "LINE TWENTY-EIGHT" in text and "LINE TWO" not in text
    assert (workspace / "extra.txt").read_text() == "new file\n"
    output = _last_tool_output(model_server)
    assert "Success." in output and "NOT applied" in output and "+LINE TWO" in output


async def test_rejecting_everything_writes_nothing_and_says_so(
    manager: ConversationManager,
    model_server: FakeModelServer,
    log: EventLog,
    approver: ScriptedApprover,
    workspace: Path,
) -> None:
    rejected = {"long.txt": [0, 1], "extra.txt": [0]}
    await _reviewed_turn(manager, model_server, log, approver, workspace, rejected)
    assert (workspace / "long.txt").read_text() == ORIGINAL
    assert not (workspace / "extra.txt").exists()
    assert "the whole new file" in _last_tool_output(model_server)
