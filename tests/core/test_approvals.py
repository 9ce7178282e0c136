"""Approval policies for the shell tool, with the user's decisions scripted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codex_lsp.core import ConfigSources, ConversationManager, FrontEnd
from codex_lsp.protocol.items import TextInput
from codex_lsp.protocol.ops import UserInputOp
from codex_lsp.protocol.policies import AskForApproval, ReviewDecision
from codex_lsp.protocol.requests import NewConversationParams
from codex_lsp.testing import FakeModelServer, Reply, Text, ToolCall
from tests.helpers import EventLog, ScriptedApprover, run_turn, tool_outputs, write_config


async def test_untrusted_asks_for_unsafe_commands_and_reports_denial(
    manager: ConversationManager,
    model_server: FakeModelServer,
    log: EventLog,
    approver: ScriptedApprover,
    workspace: Path,
) -> None:
    model_server.enqueue(
        Reply(
            (
                ToolCall("shell", {"command": ["ls"]}),
                ToolCall("shell", {"command": ["touch", "made.txt"]}),
            )
        ),
        Reply((Text("ok"),)),
    )
    approver.answers = [ReviewDecision.DENIED]
    conv_id = await run_turn(manager, log, AskForApproval.UNTRUSTED)
    assert [r.command for r in approver.asked] == [["touch", "made.txt"]]
    assert log.msgs(conv_id, "execApprovalRequest")[0]["command"] == ["touch", "made.txt"]
    assert not (workspace / "made.txt").exists()
    outputs = tool_outputs(model_server)
    assert json.loads(outputs[0])["metadata"]["exit_code"] == 0
    assert "denied" in outputs[1]


async def test_approved_for_session_is_not_asked_again(
    manager: ConversationManager,
    model_server: FakeModelServer,
    log: EventLog,
    approver: ScriptedApprover,
    workspace: Path,
) -> None:
    call = ToolCall("shell", {"command": ["touch", "a.txt"]})
    model_server.enqueue(Reply((call,)), Reply((call,)), Reply((Text("done"),)))
    approver.answers = [ReviewDecision.APPROVED_FOR_SESSION]
    await run_turn(manager, log, AskForApproval.UNTRUSTED)
    assert len(approver.asked) == 1
    assert (workspace / "a.txt").exists()


async def test_abort_stops_the_turn(
    manager: ConversationManager,
    model_server: FakeModelServer,
    log: EventLog,
    approver: ScriptedApprover,
) -> None:
    model_server.enqueue(Reply((ToolCall("shell", {"command": ["touch", "x"]}),)))
    approver.answers = [ReviewDecision.ABORT]
    conv = await manager.new_conversation(
        NewConversationParams(approval_policy=AskForApproval.UNTRUSTED)
    )
    conv.submit(UserInputOp(items=[TextInput(text="go")]))
    aborted = await log.wait_for("turnAborted", conv.id)
    assert aborted["reason"] == "interrupted"
    assert "taskComplete" not in log.types(conv.id)


@pytest.mark.parametrize(
    ("policy", "asked"),
    [(AskForApproval.ON_REQUEST, True), (AskForApproval.NEVER, False)],
)
async def test_escalation_needs_approval_on_request_and_is_refused_under_never(
    policy: AskForApproval,
    asked: bool,
    manager: ConversationManager,
    model_server: FakeModelServer,
    log: EventLog,
    approver: ScriptedApprover,
) -> None:
    args = {
        "command": ["true"],
        "with_escalated_permissions": True,
        "justification": "needs network",
    }
    model_server.enqueue(Reply((ToolCall("shell", args),)), Reply((Text("ok"),)))
    approver.answers = [ReviewDecision.APPROVED]
    await run_turn(manager, log, policy)
    assert bool(approver.asked) is asked
    if asked:
        assert approver.asked[0].reason == "needs network"
        assert json.loads(tool_outputs(model_server)[0])["metadata"]["exit_code"] == 0
    else:
        assert "approval policy is `never`" in tool_outputs(model_server)[0]


async def test_on_request_runs_plain_commands_without_asking(
    manager: ConversationManager,
    model_server: FakeModelServer,
    log: EventLog,
    approver: ScriptedApprover,
    workspace: Path,
) -> None:
    model_server.enqueue(
        Reply((ToolCall("shell", {"command": ["touch", "b.txt"]}),)), Reply((Text("ok"),))
    )
    await run_turn(manager, log, AskForApproval.ON_REQUEST)
    assert approver.asked == [] and (workspace / "b.txt").exists()


async def test_command_rules_deny_wins_and_allow_skips_the_prompt(
    manager: ConversationManager,
    model_server: FakeModelServer,
    log: EventLog,
    approver: ScriptedApprover,
    workspace: Path,
    codex_home: Path,
) -> None:
    extra = '[command_rules]\nallow = [["touch"]]\ndeny = [["touch", "forbidden.txt"]]\n'
    write_config(codex_home, model_server.base_url, extra=extra)
    model_server.enqueue(
        Reply(
            (
                ToolCall("shell", {"command": ["touch", "fine.txt"]}),
                ToolCall("shell", {"command": ["touch", "forbidden.txt"]}),
            )
        ),
        Reply((Text("ok"),)),
    )
    await run_turn(manager, log, AskForApproval.UNTRUSTED)
    assert approver.asked == []
    assert (workspace / "fine.txt").exists() and not (workspace / "forbidden.txt").exists()
    assert "denied by a command rule" in tool_outputs(model_server)[1]


async def test_always_allow_is_saved_for_later_conversations(
    manager: ConversationManager,
    model_server: FakeModelServer,
    log: EventLog,
    approver: ScriptedApprover,
    codex_home: Path,
) -> None:
    call = ToolCall("shell", {"command": ["touch", "a.txt"]})
    model_server.enqueue(
        Reply((call,)), Reply((Text("one"),)), Reply((call,)), Reply((Text("two"),))
    )
    approver.answers = [ReviewDecision.APPROVED_ALWAYS]
    await run_turn(manager, log, AskForApproval.UNTRUSTED)
    await run_turn(manager, log, AskForApproval.UNTRUSTED)
    assert len(approver.asked) == 1
    assert '["touch", "a.txt"]' in (codex_home / "rules.toml").read_text()


async def test_always_reject_adds_a_deny_rule_for_later_conversations(
    manager: ConversationManager,
    model_server: FakeModelServer,
    log: EventLog,
    approver: ScriptedApprover,
    codex_home: Path,
    workspace: Path,
) -> None:
    call = ToolCall("shell", {"command": "touch b.txt"})
    model_server.enqueue(
        Reply((call,)), Reply((Text("one"),)), Reply((call,)), Reply((Text("two"),))
    )
    approver.answers = [ReviewDecision.DENIED_ALWAYS]
    await run_turn(manager, log, AskForApproval.UNTRUSTED)
    assert "denied" in tool_outputs(model_server)[0]
    await run_turn(manager, log, AskForApproval.UNTRUSTED)
    assert len(approver.asked) == 1
    assert "denied by a command rule" in tool_outputs(model_server)[0]
    assert not (workspace / "b.txt").exists()
    saved = (codex_home / "rules.toml").read_text()
    assert '["bash", "-lc", "touch b.txt"]' in saved


PATCH = "*** Begin Patch\n*** Add File: ../outside.txt\n+no\n*** End Patch\n"


async def test_always_reject_refuses_the_same_patch_unasked(
    manager: ConversationManager,
    model_server: FakeModelServer,
    log: EventLog,
    approver: ScriptedApprover,
    workspace: Path,
) -> None:
    """A patch outside the workspace asks; rejected for good, the same patch again is refused
    without asking for the rest of the conversation, and a different one still asks."""
    other = PATCH.replace("+no", "+other")
    model_server.enqueue(
        Reply((ToolCall("apply_patch", {"input": PATCH}),)),
        Reply((ToolCall("apply_patch", {"input": PATCH}),)),
        Reply((ToolCall("apply_patch", {"input": other}),)),
        Reply((Text("gave up"),)),
    )
    approver.answers = [ReviewDecision.DENIED_ALWAYS, ReviewDecision.DENIED]
    conv = await manager.new_conversation(
        NewConversationParams(approval_policy=AskForApproval.ON_REQUEST)
    )
    conv.submit(UserInputOp(items=[TextInput(text="go")]))
    await log.wait_for("taskComplete", conv.id)
    assert len(approver.asked) == 2
    outputs = [
        i["output"]
        for i in model_server.requests[-1].body["input"]
        if i["type"] == "function_call_output"
    ]
    assert "rejected" in outputs[0]
    assert "for the rest of the conversation" in outputs[1]
    assert "rejected this patch" in outputs[2]
    assert not (workspace.parent / "outside.txt").exists()


async def test_abort_at_an_approval_drops_the_input_queued_for_the_turn(
    codex_home: Path, model_server: FakeModelServer, log: EventLog, workspace: Path
) -> None:
    """Aborting at an approval is an interrupt: what was sent into the turn is handed back, and
    the next input starts a turn of its own."""
    import asyncio

    asked = asyncio.Event()
    release = asyncio.Event()

    async def approver(conversation_id: str, request: object) -> ReviewDecision:
        asked.set()
        await release.wait()
        return ReviewDecision.ABORT

    model_server.enqueue(
        Reply((ToolCall("shell", {"command": ["touch", "x"]}),)), Reply((Text("fresh"),))
    )
    manager = ConversationManager(
        FrontEnd(log.sink, approvals=approver),
        ConfigSources(home=codex_home, default_cwd=workspace),
    )
    try:
        conv = await manager.new_conversation(
            NewConversationParams(approval_policy=AskForApproval.UNTRUSTED)
        )
        conv.submit(UserInputOp(items=[TextInput(text="go")]))
        await asyncio.wait_for(asked.wait(), 5)
        conv.submit(UserInputOp(items=[TextInput(text="queued meanwhile")]))
        await asyncio.sleep(0.05)
        release.set()
        aborted = await log.wait_for("turnAborted", conv.id)
        assert aborted["returnedInput"] == [[{"type": "text", "text": "queued meanwhile"}]]
        conv.submit(UserInputOp(items=[TextInput(text="next")]))
        await log.wait_for("taskComplete", conv.id)
        sent = json.dumps(model_server.requests[-1].body["input"])
        assert "next" in sent and "queued meanwhile" not in sent
    finally:
        await manager.shutdown_all()


@pytest.mark.parametrize(
    "policy", [AskForApproval.ON_FAILURE, AskForApproval.ON_REQUEST, AskForApproval.UNTRUSTED]
)
async def test_an_escalation_is_asked_under_every_policy_that_can_ask(
    manager: ConversationManager,
    model_server: FakeModelServer,
    log: EventLog,
    approver: ScriptedApprover,
    workspace: Path,
    policy: AskForApproval,
) -> None:
    """The model cannot leave the sandbox on its own word: ``with_escalated_permissions`` is the
    user's call under ``on-failure`` as under ``on-request`` (it used to run unasked there)."""
    outside = workspace.parent / "escaped.txt"
    model_server.enqueue(
        Reply(
            (
                ToolCall(
                    "shell",
                    {
                        "command": ["touch", str(outside)],
                        "with_escalated_permissions": True,
                        "justification": "write outside",
                    },
                ),
            )
        ),
        Reply((Text("ok"),)),
    )
    approver.answers = [ReviewDecision.DENIED]
    await run_turn(manager, log, policy)
    assert [r.command for r in approver.asked] == [["touch", str(outside)]]
    assert approver.asked[0].reason == "write outside"
    assert not outside.exists()
    assert "denied" in tool_outputs(model_server)[0]
