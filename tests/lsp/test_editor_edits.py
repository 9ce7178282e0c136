"""apply_patch edits delivered through the editor (``workspace/applyEdit``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types

from codex_lsp.testing import FakeModelServer, Reply, Text, ToolCall
from tests.lsp.conftest import Session

pytestmark = pytest.mark.slow

PATCH = (
    "*** Begin Patch\n*** Update File: app.py\n@@\n a = 1\n-b = 2\n+b = 20\n c = 3\n*** End Patch\n"
)


async def _patch_turn(lsp: Session, model_server: FakeModelServer, patch: str = PATCH) -> str:
    model_server.enqueue(
        Reply((ToolCall("apply_patch", {"input": patch}),)), Reply((Text("done"),))
    )
    conv = await lsp.new_conversation()
    await lsp.say(conv, "edit app.py")
    await lsp.log.wait_for("taskComplete", conv)
    return conv


def _tool_output(model_server: FakeModelServer) -> str:
    items = model_server.requests[-1].body["input"]
    return str(next(i for i in items if i["type"] == "function_call_output")["output"])


def _edits_for(edit: types.WorkspaceEdit, uri: str) -> list[types.TextEdit]:
    if edit.document_changes:
        for change in edit.document_changes:
            if isinstance(change, types.TextDocumentEdit) and change.text_document.uri == uri:
                return list(change.edits)  # type: ignore[arg-type]
    return list((edit.changes or {}).get(uri, []))


async def test_open_unsaved_buffer_gets_a_minimal_edit_and_the_disk_is_left_alone(
    lsp: Session, model_server: FakeModelServer, workspace: Path
) -> None:
    path = workspace / "app.py"
    path.write_text("a = 1\nb = 2\nc = 3\n")
    buffer = "# unsaved comment\na = 1\nb = 2\nc = 3\n"
    lsp.open_document(path, buffer, version=7)
    conv = await _patch_turn(lsp, model_server)
    assert lsp.log.msgs(conv, "patchApplyEnd")[0]["success"] is True
    edit = lsp.applied_edits[0].edit
    edits = _edits_for(edit, path.as_uri())
    assert [(e.range.start.line, e.range.end.line, e.new_text) for e in edits] == [
        (2, 3, "b = 20\n")
    ]
    if edit.document_changes:
        change = edit.document_changes[0]
        assert isinstance(change, types.TextDocumentEdit) and change.text_document.version == 7
    assert path.read_text() == "a = 1\nb = 2\nc = 3\n"
    assert "unsaved changes in the editor" in _tool_output(model_server)


async def test_open_clean_buffer_is_edited_and_saved_to_disk(
    lsp: Session, model_server: FakeModelServer, workspace: Path
) -> None:
    path = workspace / "app.py"
    path.write_text("a = 1\nb = 2\nc = 3\n")
    lsp.open_document(path, "a = 1\nb = 2\nc = 3\n")
    await _patch_turn(lsp, model_server)
    assert len(lsp.applied_edits) == 1
    assert path.read_text() == "a = 1\nb = 20\nc = 3\n"
    assert "unsaved" not in _tool_output(model_server)


async def test_files_not_open_are_written_to_disk(
    lsp: Session, model_server: FakeModelServer, workspace: Path
) -> None:
    path = workspace / "app.py"
    path.write_text("a = 1\nb = 2\nc = 3\n")
    await _patch_turn(lsp, model_server)
    assert lsp.applied_edits == []
    assert path.read_text() == "a = 1\nb = 20\nc = 3\n"


async def test_a_rejected_edit_fails_the_patch_and_writes_nothing(
    lsp: Session, model_server: FakeModelServer, workspace: Path
) -> None:
    path = workspace / "app.py"
    path.write_text("a = 1\nb = 2\nc = 3\n")
    lsp.open_document(path, "a = 1\nb = 2\nc = 3\n")
    lsp.edit_answer = types.ApplyWorkspaceEditResult(
        applied=False, failure_reason="document is read-only"
    )
    conv = await _patch_turn(lsp, model_server)
    end = lsp.log.msgs(conv, "patchApplyEnd")[0]
    assert end["success"] is False and "document is read-only" in end["stderr"]
    assert "the editor rejected the edit: document is read-only" in _tool_output(model_server)
    assert path.read_text() == "a = 1\nb = 2\nc = 3\n"


async def test_undo_goes_through_the_editor_too(
    lsp: Session, model_server: FakeModelServer, workspace: Path
) -> None:
    path = workspace / "app.py"
    original = "a = 1\nb = 2\nc = 3\n"
    path.write_text(original)
    lsp.open_document(path, original)
    conv = await _patch_turn(lsp, model_server)
    assert path.read_text() == "a = 1\nb = 20\nc = 3\n"
    await lsp.request("codex/undoTurn", {"conversationId": conv})
    done = await lsp.log.wait_for("undoCompleted", conv)
    assert done["restoredFiles"] == ["app.py"]
    undo_edit = lsp.applied_edits[-1]
    assert undo_edit.label == "codex-lsp: undo 1 turn(s)"
    edits = _edits_for(undo_edit.edit, path.as_uri())
    assert [(e.range.start.line, e.new_text) for e in edits] == [(1, "b = 2\n")]
    assert path.read_text() == original


async def test_a_reviewed_patch_lands_in_the_buffer_without_the_rejected_hunk(
    lsp: Session, model_server: FakeModelServer, workspace: Path
) -> None:
    path = workspace / "long.py"
    text = "".join(f"v{n} = {n}\n" for n in range(1, 21))
    path.write_text(text)
    lsp.open_document(path, text)
    patch = (
        "*** Begin Patch\n*** Update File: long.py\n@@\n-v2 = 2\n+v2 = 200\n"
        "@@\n-v19 = 19\n+v19 = 1900\n*** End Patch\n"
    )
    model_server.enqueue(
        Reply((ToolCall("apply_patch", {"input": patch}),)), Reply((Text("done"),))
    )
    lsp.patch_answers = [{"decision": "approved", "rejectedHunks": {"long.py": [0]}}]
    conv = await lsp.new_conversation(config={"review_patches": True})
    await lsp.say(conv, "edit long.py")
    await lsp.log.wait_for("taskComplete", conv)
    [asked] = lsp.asked
    [change] = asked["changes"].values()  # (pygls's test client renames the path keys)
    assert change["unifiedDiff"].count("@@ -") == 2
    edits = _edits_for(lsp.applied_edits[0].edit, path.as_uri())
    assert [(e.range.start.line, e.new_text) for e in edits] == [(18, "v19 = 1900\n")]
    assert "v2 = 2\n" in path.read_text() and "v19 = 1900" in path.read_text()
    assert "+v2 = 200" in _tool_output(model_server)
