"""Standard LSP, no plugin: the agent's code actions (cheap list, resolve, run as a command
whose edit lands in the open buffer), approve/deny commands, and the editor's log."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any, Union

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from codex_lsp.lsp.code_actions import resolves_commands
from codex_lsp.testing import FakeModelServer, Reply, Text, ToolCall
from tests.helpers import plain
from tests.lsp.conftest import HOLD, Session

BUGGY = (
    "def area(r):\n    return 3.14 * r * r\n\n\ndef total(xs):\n    return sum(xs) + undefined\n"
)
PATCH = (
    "*** Begin Patch\n*** Update File: geometry.py\n@@\n def total(xs):\n"
    "-    return sum(xs) + undefined\n+    return sum(xs)\n*** End Patch\n"
)


def diagnostic() -> types.Diagnostic:
    return types.Diagnostic(
        range=types.Range(start=types.Position(5, 21), end=types.Position(5, 30)),
        message='"undefined" is not defined',
        source="Pyright",
        code="reportUndefinedVariable",
    )


def _command_or_action(obj: Any, _: type) -> types.Command | types.CodeAction:
    """lsprotocol's client hook reads any item with a ``command`` key as a Command; a
    CodeAction carrying its command (a JSON object, not a string) is a CodeAction."""
    converter = _command_or_action.converter  # type: ignore[attr-defined]
    if isinstance(obj.get("command"), str):
        return converter.structure(obj, types.Command)  # type: ignore[no-any-return]
    return converter.structure(obj, types.CodeAction)  # type: ignore[no-any-return]


async def actions(
    lsp: Session, path: Path, rng: types.Range, diags: list[types.Diagnostic], only: Any = None
) -> list[types.CodeAction]:
    converter = lsp.client.protocol._converter  # see _command_or_action
    _command_or_action.converter = converter  # type: ignore[attr-defined]
    converter.register_structure_hook(
        Union[types.Command, types.CodeAction],  # noqa: UP007 - the key lsprotocol uses
        _command_or_action,
    )
    params = types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=path.as_uri()),
        range=rng,
        context=types.CodeActionContext(diagnostics=diags, only=only),
    )
    result = await lsp.client.text_document_code_action_async(params)
    return [a for a in result or [] if isinstance(a, types.CodeAction)]


async def command(lsp: Session, name: str, *arguments: Any) -> Any:
    params = types.ExecuteCommandParams(command=name, arguments=list(arguments))
    return plain(await lsp.client.workspace_execute_command_async(params))


async def test_fix_with_codex_lsp_on_a_diagnostic(
    lsp: Session, model_server: FakeModelServer, workspace: Path
) -> None:
    path = workspace / "geometry.py"
    path.write_text(BUGGY)
    lsp.open_document(path, BUGGY)
    assert lsp.initialized is not None
    provider = lsp.initialized.capabilities.code_action_provider
    assert isinstance(provider, types.CodeActionOptions) and provider.resolve_provider
    diag = diagnostic()
    cursor = types.Range(start=diag.range.start, end=diag.range.start)
    [fix] = await actions(lsp, path, cursor, [diag])
    assert fix.title == 'Fix with codex-lsp: "undefined" is not defined'
    assert fix.kind == types.CodeActionKind.QuickFix and list(fix.diagnostics or []) == [diag]
    lazy = resolves_commands(lsp.client.capabilities)
    assert (fix.command is None) == lazy  # cheap list only for clients that resolve
    if lazy:
        fix = await lsp.client.code_action_resolve_async(fix)
    assert fix.command is not None and fix.command.command == "codex-lsp.runCodeAction"

    model_server.enqueue(
        Reply((ToolCall("apply_patch", {"input": PATCH}),)), Reply((Text("fixed"),))
    )
    started = await command(lsp, fix.command.command, *(fix.command.arguments or []))
    done = await lsp.log.wait_for("taskComplete", started["conversationId"])
    assert done["lastAgentMessage"] == "fixed"
    prompt = json.dumps(model_server.requests[0].body["input"])
    assert "Fix this problem" in prompt and "reportUndefinedVariable" in prompt
    assert "6> " in prompt and "return sum(xs) + undefined" in prompt
    assert lsp.buffers[path.as_uri()][0] == BUGGY.replace(" + undefined", "")


async def test_selection_actions_and_the_only_filter(lsp: Session, workspace: Path) -> None:
    path = workspace / "geometry.py"
    path.write_text(BUGGY)
    lsp.open_document(path, BUGGY)
    selection = types.Range(start=types.Position(0, 0), end=types.Position(1, 10))
    titles = [a.title for a in await actions(lsp, path, selection, [])]
    assert titles == [
        "Explain with codex-lsp",
        "Refactor with codex-lsp…",
        "Write tests for this with codex-lsp",
        "Ask codex-lsp about the selection",
    ]
    cursor = types.Range(start=types.Position(0, 0), end=types.Position(0, 0))
    assert await actions(lsp, path, cursor, []) == []
    only = await actions(lsp, path, selection, [diagnostic()], only=[types.CodeActionKind.QuickFix])
    assert [a.kind for a in only] == [types.CodeActionKind.QuickFix]


async def test_a_pending_approval_is_answered_by_a_command(
    lsp: Session, model_server: FakeModelServer, workspace: Path
) -> None:
    with pytest.raises(JsonRpcException, match="no approval request is pending"):
        await command(lsp, "codex-lsp.approve")
    model_server.enqueue(
        Reply((ToolCall("shell", {"command": ["touch", "approved.txt"]}),)),
        Reply((Text("ran it"),)),
    )
    lsp.approvals = [HOLD]
    conv = await lsp.new_conversation(approvalPolicy="untrusted")
    await lsp.say(conv, "make the file")
    await lsp.log.wait_for("execApprovalRequest", conv)
    async with asyncio.timeout(10):
        while True:
            try:
                answered = await command(lsp, "codex-lsp.approve", "approvedForSession")
                break
            except JsonRpcException:  # the request reaches the approver just after the event
                await asyncio.sleep(0.05)
    assert answered == {"decision": "approvedForSession"}
    done = await lsp.log.wait_for("taskComplete", conv)
    assert done["lastAgentMessage"] == "ran it" and (workspace / "approved.txt").exists()


async def test_warnings_reach_the_editors_log(lsp: Session, model_server: FakeModelServer) -> None:
    model_server.enqueue(
        Reply((ToolCall("shell", {"command": ["touch", "x.txt"]}),)), Reply((Text("ok"),))
    )
    lsp.approvals = ["perhaps"]  # not a decision: the server warns and treats it as denied
    conv = await lsp.new_conversation(approvalPolicy="untrusted")
    await lsp.say(conv, "touch it")
    await lsp.log.wait_for("taskComplete", conv)
    warnings = [m.message for m in lsp.client.log_messages if m.type == types.MessageType.Warning]
    assert any("answered codex/execApproval with" in m and "denied" in m for m in warnings)


async def test_a_plain_client_sees_answers_and_can_open_changed_files(
    plain_lsp: Session, model_server: FakeModelServer, workspace: Path
) -> None:
    path = workspace / "geometry.py"
    path.write_text(BUGGY)
    model_server.enqueue(
        Reply((ToolCall("apply_patch", {"input": PATCH}),)), Reply((Text("Removed it."),))
    )
    conv = await plain_lsp.new_conversation(approvalPolicy="never")
    await plain_lsp.say(conv, "fix total")
    await plain_lsp.log.wait_for("taskComplete", conv)
    async with asyncio.timeout(5):  # sent right after the taskComplete event
        while "Removed it." not in [m.message for m in plain_lsp.client.messages]:
            await asyncio.sleep(0.02)
    window = getattr(plain_lsp.client.capabilities, "window", None)
    if getattr(window, "show_document", None):
        opened = await command(plain_lsp, "codex-lsp.openChangedFiles")
        assert opened["opened"] == [str(path)]
        assert [d.uri for d in plain_lsp.client.shown_documents] == [path.as_uri()]
    else:
        with pytest.raises(JsonRpcException, match="does not support window/showDocument"):
            await command(plain_lsp, "codex-lsp.openChangedFiles")
