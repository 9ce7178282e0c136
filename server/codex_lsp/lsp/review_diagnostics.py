"""A review's findings as LSP diagnostics (``source: "codex-review"``): when a review ends with
findings, each one is published on its file and line range, so every LSP client shows them in
its problems list and offers "Fix this" on them (:mod:`codex_lsp.lsp.code_actions`). A new
review of the same conversation replaces its findings (another's stay); a finding on a file
outside the conversation's folder (the model is untrusted) is not published."""

from __future__ import annotations

import os
from pathlib import Path

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from codex_lsp.core import ConversationManager
from codex_lsp.errors import UnknownConversationError
from codex_lsp.lsp.code_actions import REVIEW_SOURCE
from codex_lsp.protocol.events import EventEnvelope, ExitedReviewModeEvent
from codex_lsp.protocol.items import ReviewFinding

_SEVERITY = {
    0: types.DiagnosticSeverity.Error,
    1: types.DiagnosticSeverity.Error,
    2: types.DiagnosticSeverity.Warning,
    3: types.DiagnosticSeverity.Information,
}


def finding_diagnostic(finding: ReviewFinding, conversation_id: str) -> types.Diagnostic:
    """The diagnostic of one finding: whole lines ``start`` to ``end``, its priority as code."""
    return types.Diagnostic(
        range=types.Range(
            start=types.Position(line=finding.line_range.start - 1, character=0),
            end=types.Position(line=finding.line_range.end, character=0),
        ),
        message=f"[P{finding.priority}] {finding.title}\n\n{finding.body}".rstrip(),
        severity=_SEVERITY[finding.priority],
        code=f"P{finding.priority}",
        source=REVIEW_SOURCE,
        data={"conversationId": conversation_id},
    )


class ReviewDiagnostics:
    """Publishes each conversation's latest review findings."""

    def __init__(self, server: LanguageServer, manager: ConversationManager) -> None:
        self._server = server
        self._manager = manager
        self._findings: dict[str, dict[str, list[types.Diagnostic]]] = {}
        """Conversation id → URI → the diagnostics of its last review there."""

    def observe(self, event: EventEnvelope) -> None:
        """Publish the findings of a review that just ended (others are ignored)."""
        msg = event.msg
        if not isinstance(msg, ExitedReviewModeEvent) or msg.review is None:
            return
        try:
            cwd = self._manager.get(event.conversation_id).ctx.cwd
        except UnknownConversationError:
            return
        by_uri: dict[str, list[types.Diagnostic]] = {}
        for finding in msg.review.findings:
            path = _inside(cwd, finding.file)
            if path is not None:
                diagnostic = finding_diagnostic(finding, event.conversation_id)
                by_uri.setdefault(path.as_uri(), []).append(diagnostic)
        old = self._findings.get(event.conversation_id, {})
        self._findings[event.conversation_id] = by_uri
        for uri in sorted(old.keys() | by_uri.keys()):
            self._publish(uri)

    def _publish(self, uri: str) -> None:
        """Every conversation's findings on ``uri`` (a notification replaces the file's set)."""
        diagnostics = [d for files in self._findings.values() for d in files.get(uri, [])]
        self._server.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics)
        )


def _inside(cwd: Path, name: str) -> Path | None:
    """``name`` (relative to ``cwd``) as an absolute path when it stays inside ``cwd``, judged
    on the text alone (nothing is read: a link or a FIFO there is never touched)."""
    if "\0" in name:
        return None
    path = Path(os.path.normpath(cwd / name))
    return path if path.is_relative_to(cwd) and path != cwd else None
