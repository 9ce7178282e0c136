"""The agent's file edits, delivered through the editor.

- Files the editor has open: one ``workspace/applyEdit`` per patch with versioned
  TextDocumentEdits (minimal line edits computed against the buffer, so unsaved edits are
  respected and the editor's undo works) and RenameFile / DeleteFile for moves and deletes. If
  the buffer had no unsaved changes, the new text is also written to disk so commands the agent
  runs next see it; if it had, the disk is left alone and the model is told.
- Files that are not open: written to disk atomically (editors pick the change up from disk).
- A client that declares ``workspace/applyEdit`` without ``documentChanges`` gets plain
  ``changes`` for in-place updates of open files; moves and deletes go to disk. A client without
  ``workspace/applyEdit``: everything goes to disk.
- A client that rejects the edit: the patch fails with the client's reason; nothing is written.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from codex_lsp.lsp.text_edits import line_edits, to_text_edits
from codex_lsp.patch.files import FilePlan, Summary, read_disk, write_atomic, write_plan
from codex_lsp.patch.model import PatchError

ANNOTATION_ID = "codex-lsp"


class EditorSink:
    """A :class:`codex_lsp.tools.files.FileSink` over the LSP client."""

    def __init__(self, server: LanguageServer) -> None:
        self._server = server

    def _document(self, path: Path | None) -> Any:
        if path is None:
            return None
        return self._server.workspace.text_documents.get(path.resolve().as_uri())

    def read(self, path: Path) -> str | None:
        """The open buffer's text (unsaved edits included), else the disk's."""
        document = self._document(path)
        return str(document.source) if document is not None else read_disk(path)

    async def load(self, path: Path) -> str | None:
        """:meth:`read`, the disk read in a worker thread (the buffers are looked up here, on
        the event loop that updates them)."""
        document = self._document(path)
        if document is not None:
            return str(document.source)
        return await asyncio.to_thread(read_disk, path)

    def _edit_mode(self) -> tuple[str | None, bool]:
        """How the client takes workspace edits: ``"documentChanges"`` (versioned edits and file
        operations), ``"changes"`` (plain edits only), or ``None``; and change annotations."""
        workspace = getattr(self._server.client_capabilities, "workspace", None)
        edit_caps = getattr(workspace, "workspace_edit", None)
        if not getattr(workspace, "apply_edit", False):
            return None, False
        if getattr(edit_caps, "document_changes", False):
            return "documentChanges", bool(getattr(edit_caps, "change_annotation_support", None))
        return "changes", False

    def _through_editor(self, plan: FilePlan, mode: str | None) -> bool:
        if mode is None or self._document(plan.target) is None:
            return False
        return mode == "documentChanges" or (plan.kind == "update" and plan.move_target is None)

    async def write(self, plans: list[FilePlan], label: str) -> list[str]:
        """Send the open files' part to the editor, then write the rest to disk."""
        mode, annotate = self._edit_mode()
        in_editor = [p for p in plans if self._through_editor(p, mode)]
        if in_editor:
            edit = self._workspace_edit(in_editor, label, mode == "documentChanges", annotate)
            params = types.ApplyWorkspaceEditParams(edit=edit, label=label)
            result = await self._server.workspace_apply_edit_async(params)
            if not result.applied:
                raise PatchError(
                    f"the editor rejected the edit: {result.failure_reason or 'no reason given'}"
                )
        notes = []
        summary = Summary([], [], [])
        for plan in plans:
            if plan not in in_editor:
                write_plan(plan, summary)
            elif await asyncio.to_thread(_clean, plan):
                _sync_disk(plan)
            else:
                notes.append(
                    f"{plan.path} has unsaved changes in the editor: the edit was applied to the "
                    "editor buffer only; the file on disk is unchanged until the user saves"
                )
        return notes

    @staticmethod
    def _edits(plan: FilePlan, buffer: str, encoding: str) -> list[types.TextEdit]:
        """The patch's own minimal edits when it was computed against this buffer, else a diff."""
        if plan.edits is not None and plan.old == buffer:
            return to_text_edits(buffer, plan.edits, encoding)
        return line_edits(buffer, plan.new or "", encoding)

    def _workspace_edit(
        self, plans: list[FilePlan], label: str, versioned: bool, annotate: bool
    ) -> types.WorkspaceEdit:
        encoding = str(self._server.workspace.position_encoding or types.PositionEncodingKind.Utf16)
        annotation = ANNOTATION_ID if annotate else None
        if not versioned:
            plain = {
                p.target.resolve().as_uri(): self._edits(
                    p, str(self._document(p.target).source), encoding
                )
                for p in plans
            }
            return types.WorkspaceEdit(changes=plain)
        changes: list[Any] = []
        for plan in plans:
            document = self._document(plan.target)
            uri = plan.target.resolve().as_uri()
            if plan.kind == "delete":
                changes.append(types.DeleteFile(uri=uri, annotation_id=annotation))
                continue
            edits: list[Any] = self._edits(plan, str(document.source), encoding)
            if annotation:
                edits = [
                    types.AnnotatedTextEdit(
                        range=e.range, new_text=e.new_text, annotation_id=annotation
                    )
                    for e in edits
                ]
            identifier = types.OptionalVersionedTextDocumentIdentifier(
                uri=uri, version=document.version
            )
            changes.append(types.TextDocumentEdit(text_document=identifier, edits=edits))
            if plan.move_target is not None:
                changes.append(
                    types.RenameFile(
                        old_uri=uri,
                        new_uri=plan.move_target.resolve().as_uri(),
                        options=types.RenameFileOptions(overwrite=True),
                        annotation_id=annotation,
                    )
                )
        annotations = {ANNOTATION_ID: types.ChangeAnnotation(label=label, needs_confirmation=False)}
        return types.WorkspaceEdit(
            document_changes=changes, change_annotations=annotations if annotate else None
        )


def _clean(plan: FilePlan) -> bool:
    """The buffer showed what is on disk (no unsaved changes) when the patch was computed."""
    try:
        return read_disk(plan.target) == plan.old
    except PatchError:
        return False


def _sync_disk(plan: FilePlan) -> None:
    """Make the disk match what the editor now shows, whatever the editor already did."""
    if plan.kind == "delete":
        with contextlib.suppress(FileNotFoundError):
            plan.target.unlink()
        return
    write_atomic(plan.move_target or plan.target, plan.new or "", mode_from=plan.target)
    if plan.move_target is not None and plan.move_target.resolve() != plan.target.resolve():
        with contextlib.suppress(FileNotFoundError):
            plan.target.unlink()
