"""Quality-gate questions as ordinary LSP diagnostics: every open issue of the workspace's
``/speckit.auto`` runs is a diagnostic on its SPEC file at its line (``source: "speckit"``,
severity by magnitude, the question, the agents' answers and the arbiter's view in the message),
published with ``textDocument/publishDiagnostics`` (after a gate, an answer, and on
``initialized``) and answered to ``textDocument/diagnostic`` as well. Its code actions answer it:
one per suggested answer and "Answer…", which asks with ``window/showMessageRequest`` (a panel
passes its free text as the command's fourth argument). Answering edits the file through the
editor, closes the issue, clears the diagnostic; a run that waited for it goes on (resumed here
when no server drives it any more)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer

from codex_lsp.errors import CodexError, SpeckitError
from codex_lsp.lsp.code_actions import SPECKIT_SOURCE, wanted
from codex_lsp.lsp.speckit_actions import ANSWER_COMMAND
from codex_lsp.speckit.gate_run import answer_issue
from codex_lsp.speckit.workspace import Workspace
from codex_lsp.speckit.writer import SinkWriter
from codex_lsp.store.speckit_auto import IssueRow
from codex_lsp.store.speckit_runs import SpeckitRuns
from codex_lsp.tools.files import FileSink

log = logging.getLogger(__name__)

SOURCE = SPECKIT_SOURCE
ASK_TIMEOUT_S = 300.0
_SEVERITY = {
    "critical": types.DiagnosticSeverity.Error,
    "important": types.DiagnosticSeverity.Warning,
    "minor": types.DiagnosticSeverity.Information,
}

WorkspaceOf = Callable[[Path], Awaitable[Workspace]]
StoreOf = Callable[[Workspace], Awaitable[SpeckitRuns]]
Resume = Callable[[str], Awaitable[None]]


def diagnostic(row: IssueRow) -> types.Diagnostic:
    """The diagnostic of one open issue."""
    data = row.data
    line = max(0, row.line or 0)
    given = data.get("answers", {}).items()
    answers = "; ".join(f"{agent}: {answer}" for agent, answer in given if answer)
    parts = [
        f"{row.issue_id} ({row.magnitude}, {data.get('confidence', 'low')} confidence): "
        f"{data.get('question', '')}"
    ]
    if answers:
        parts.append(f"Agents: {answers}")
    if data.get("arbiter_view"):
        parts.append(f"Arbiter: {data['arbiter_view']}")
    if data.get("suggested_fix"):
        parts.append(f"Suggested fix: {data['suggested_fix']}")
    if row.magnitude == "critical":
        parts.append("/speckit.auto waits for the answer.")
    return types.Diagnostic(
        range=types.Range(types.Position(line, 0), types.Position(line + 1, 0)),
        message="\n".join(parts),
        severity=_SEVERITY.get(row.magnitude, types.DiagnosticSeverity.Warning),
        source=SOURCE,
        code=row.issue_id,
        data={"runId": row.run_id, "checkpoint": row.checkpoint, "issueId": row.issue_id},
    )


class GateDiagnostics:
    """The open gate issues of the workspaces this server sees, in the editor."""

    def __init__(
        self,
        server: LanguageServer,
        sink: FileSink,
        workspace_of: WorkspaceOf,
        store_of: StoreOf,
        resume: Resume,
        root: Callable[[], Path | None],
    ) -> None:
        self._server = server
        self._root = root
        self._sink = sink
        self._workspace_of = workspace_of
        self._store_of = store_of
        self._resume = resume
        self._published: set[str] = set()

    async def _open(self, workspace: Workspace) -> list[IssueRow]:
        runs = await self._store_of(workspace)
        return await runs.auto.open_issues(workspace.root)

    async def publish(self, root: Path) -> None:
        """Publish every open issue of the workspace at ``root``, and clear the files that no
        longer have one."""
        try:
            workspace = await self._workspace_of(root)
            rows = await self._open(workspace)
        except CodexError as exc:
            log.debug("no quality-gate diagnostics: %s", exc.message)
            return
        by_uri: dict[str, list[types.Diagnostic]] = {}
        for row in rows:
            if row.file is not None:
                by_uri.setdefault((workspace.root / row.file).as_uri(), []).append(diagnostic(row))
        for uri in self._published - by_uri.keys():
            by_uri[uri] = []
        for uri, found in by_uri.items():
            self._server.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri=uri, diagnostics=found)
            )
        self._published = {uri for uri, found in by_uri.items() if found}

    async def _rows_of(self, uri: str) -> tuple[Workspace, list[IssueRow]] | None:
        parsed = urlparse(uri)
        if parsed.scheme != "file":
            return None
        path = Path(unquote(parsed.path))
        try:
            workspace = await self._workspace_of(path.parent)
            rows = await self._open(workspace)
        except CodexError:
            return None
        mine = [r for r in rows if r.file is not None and workspace.root / r.file == path]
        return workspace, mine

    async def pull(self, uri: str) -> types.FullDocumentDiagnosticReport:
        """``textDocument/diagnostic``: the document's open issues."""
        found = await self._rows_of(uri)
        rows = found[1] if found else []
        return types.FullDocumentDiagnosticReport(items=[diagnostic(r) for r in rows])

    async def code_actions(self, params: types.CodeActionParams) -> list[types.CodeAction]:
        """The answers to the issues on the requested lines: one per suggested answer, and
        "Answer…"."""
        only = [str(k) for k in params.context.only] if params.context.only else None
        if not wanted(types.CodeActionKind.QuickFix, only):
            return []
        found = await self._rows_of(params.text_document.uri)
        if not found:
            return []
        first, last = params.range.start.line, params.range.end.line
        actions: list[types.CodeAction] = []
        for row in found[1]:
            line = row.line or 0
            if not first <= line <= last:
                continue
            shown = diagnostic(row)
            args: list[Any] = [row.run_id, row.checkpoint, row.issue_id]
            for option in row.data.get("options", []):
                actions.append(
                    types.CodeAction(
                        title=f"Answer {row.issue_id}: {option}",
                        kind=types.CodeActionKind.QuickFix,
                        diagnostics=[shown],
                        command=types.Command(
                            f"Answer {row.issue_id}", ANSWER_COMMAND, arguments=[*args, option]
                        ),
                    )
                )
            actions.append(
                types.CodeAction(
                    title=f"Answer {row.issue_id}…",
                    kind=types.CodeActionKind.QuickFix,
                    diagnostics=[shown],
                    command=types.Command(
                        f"Answer {row.issue_id}…", ANSWER_COMMAND, arguments=args
                    ),
                )
            )
        return actions

    async def answer(self, args: list[Any]) -> dict[str, Any]:
        """``codex-lsp.speckit.answer``: write the answer, close the issue, republish, and let
        the run go on."""
        run_id, checkpoint, issue_id, given = _answer_args(args)
        row, workspace = await self._find(run_id, checkpoint, issue_id)
        if given is None:
            given = await self._ask(row)
            if given is None:
                return {"answered": False}
        await answer_issue(
            await self._store_of(workspace),
            workspace,
            row,
            given,
            SinkWriter(self._sink, workspace.root),
        )
        await self.publish(workspace.root)
        runs = await self._store_of(workspace)
        run = await runs.auto.get(run_id)
        resumed = False
        if run is not None and not run.live and run.status in ("waiting", "running"):
            still = [i for i in await runs.auto.issues(run_id) if i.status == "open"]
            if not any(i.magnitude == "critical" for i in still):
                await self._resume(run.spec_id)
                resumed = True
        return {"answered": True, "issueId": issue_id, "answer": given, "resumed": resumed}

    async def _find(
        self, run_id: str, checkpoint: str, issue_id: str
    ) -> tuple[IssueRow, Workspace]:
        workspace = await self._workspace_of(self._root() or Path.cwd())
        runs = await self._store_of(workspace)
        for row in await runs.auto.issues(run_id, checkpoint):
            if row.issue_id == issue_id:
                if row.status != "open":
                    raise SpeckitError(f"{issue_id} is answered already ({row.status})")
                return row, workspace
        raise SpeckitError(
            f"no quality-gate question {issue_id} in run {run_id} ({checkpoint}); it may have "
            "been answered from another editor"
        )

    async def _ask(self, row: IssueRow) -> str | None:
        """ "Answer…" in a client with no panel: the suggested answers as buttons."""
        options = [str(o) for o in row.data.get("options", [])] or ["Yes", "No"]
        params = types.ShowMessageRequestParams(
            type=types.MessageType.Info,
            message=diagnostic(row).message,
            actions=[types.MessageActionItem(title=o) for o in options],
        )
        try:
            async with asyncio.timeout(ASK_TIMEOUT_S):
                chosen = await self._server.window_show_message_request_async(params)
        except TimeoutError:
            return None
        return chosen.title if chosen is not None else None


def _answer_args(args: list[Any]) -> tuple[str, str, str, str | None]:
    names = ("runId", "checkpoint", "issueId")
    if len(args) < 3 or not all(isinstance(a, str) and a for a in args[:3]):
        raise JsonRpcInvalidParams(
            f"{ANSWER_COMMAND}: the arguments are {', '.join(names)} (strings) and an optional "
            "answer, as the code action on the diagnostic gives them"
        )
    given = args[3] if len(args) > 3 else None
    if given is not None and not isinstance(given, str):
        raise JsonRpcInvalidParams(f"{ANSWER_COMMAND}: argument 4 must be the answer's text")
    return str(args[0]), str(args[1]), str(args[2]), given
