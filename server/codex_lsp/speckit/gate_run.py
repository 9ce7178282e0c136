"""A quality-gate checkpoint of a ``/speckit.auto`` run, after its agents answered: their issues
merged and decided (:mod:`codex_lsp.speckit.gates`), the automatic fixes written into the SPEC
file through the editor after a timestamped backup, every other issue stored open (the editor
shows it as a diagnostic with code actions), and the answer to one of them (a code action, the
panel) written the same way, which closes it. A resumed run sends the questions still open
again, from the store (:func:`still_open`).

The file an issue names is looked up inside the SPEC folder by its base name only (the agents are
untrusted: a path of theirs never leaves the folder); anything else goes to ``spec.md``."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any, Protocol

from codex_lsp.errors import SpeckitError
from codex_lsp.protocol.speckit_events import SpeckitGateEvent, SpeckitGateQuestion
from codex_lsp.speckit.auto import GateOutcome
from codex_lsp.speckit.files import write_text
from codex_lsp.speckit.gates import (
    CHECKPOINTS,
    Decision,
    MergedIssue,
    apply_answer,
    arbiter_agrees,
    decide,
    locate,
    merge,
)
from codex_lsp.speckit.issues import Magnitude
from codex_lsp.speckit.packet import SpecPacket
from codex_lsp.speckit.stage_sinks import Emitter
from codex_lsp.speckit.workspace import Workspace
from codex_lsp.store.speckit_auto import IssueRow
from codex_lsp.store.speckit_runs import SpeckitRuns

MAX_ANSWER_CHARS = 2_000
STAGE_BEFORE = {checkpoint: stage for stage, checkpoint in CHECKPOINTS.items()}
"""A checkpoint → the stage it comes before."""


class EditorWriter(Protocol):
    """Reads a file as the editor has it and writes through the editor."""

    async def read(self, path: Path) -> str | None:
        """The file's text (an open buffer's, unsaved edits included)."""
        ...

    async def write(self, files: Mapping[Path, str], label: str) -> list[Path]:
        """Write every file as one edit."""
        ...


@dataclass(frozen=True)
class GateAnswers:
    """What a gate's agents answered (agent → answer), and its arbiter."""

    answers: dict[str, dict[str, Any]]
    arbiter: str | None


def issue_file(workspace: Workspace, packet: SpecPacket, named: str | None) -> Path:
    """The SPEC file an issue concerns: the file it names if the SPEC folder has one of that
    base name, else ``spec.md``."""
    if named:
        candidate = packet.file(PurePosixPath(named.replace("\\", "/")).name)
        if candidate.suffix == ".md" and candidate.is_file() and not candidate.is_symlink():
            return candidate
    return packet.file("spec.md")


def backup_path(path: Path, now: datetime) -> Path:
    """``spec.backup_20260101_120000.md`` beside ``spec.md``."""
    return path.with_name(f"{path.stem}.backup_{now.strftime('%Y%m%d_%H%M%S')}{path.suffix}")


def gate_question(row: IssueRow) -> SpeckitGateQuestion:
    """What a client shows of the open issue ``row``: the question, its magnitude, the agents'
    suggested answers and where its diagnostic is (all as the store keeps them)."""
    return SpeckitGateQuestion(
        issue_id=row.issue_id,
        question=str(row.data.get("question") or row.issue_id),
        magnitude=Magnitude(row.magnitude).value,
        options=[str(o) for o in row.data.get("options", [])],
        file=row.file,
        line=row.line,
    )


def gate_event(
    spec_id: str, run_id: str, outcome: GateOutcome, questions: list[SpeckitGateQuestion]
) -> SpeckitGateEvent:
    """The ``speckitGate`` event of a held checkpoint (``questions``: ``outcome.asked``'s)."""
    return SpeckitGateEvent(
        spec_id=spec_id,
        stage=STAGE_BEFORE[outcome.checkpoint],
        run_id=run_id,
        checkpoint=outcome.checkpoint,
        gate=outcome.gate,
        auto_fixed=list(outcome.auto_fixed),
        asked=list(outcome.asked),
        critical=list(outcome.critical),
        backups=list(outcome.backups),
        questions=questions,
    )


async def still_open(
    runs: SpeckitRuns, spec_id: str, run_id: str, outcome: GateOutcome
) -> SpeckitGateEvent | None:
    """The ``speckitGate`` event of a checkpoint held earlier in the run (``outcome``, as its
    state keeps it) for the questions of it still open, rebuilt from the store's rows without
    holding the gate again: what a resumed run sends so that its conversation (a panel's card,
    the diagnostics) can answer them. None when all are answered."""
    if outcome.checkpoint not in STAGE_BEFORE:
        return None
    rows = {r.issue_id: r for r in await runs.auto.issues(run_id, outcome.checkpoint)}
    open_rows = [rows[i] for i in outcome.asked if i in rows and rows[i].status == "open"]
    if not open_rows:
        return None
    asked = tuple(r.issue_id for r in open_rows)
    left = replace(outcome, asked=asked, critical=tuple(i for i in outcome.critical if i in asked))
    return gate_event(spec_id, run_id, left, [gate_question(r) for r in open_rows])


class GateKeeper:
    """Decides a checkpoint's issues, applies the automatic ones, stores the rest."""

    def __init__(
        self,
        workspace: Workspace,
        packet: SpecPacket,
        runs: SpeckitRuns,
        writer: EditorWriter,
        emit: Emitter,
    ) -> None:
        self.workspace = workspace
        self.packet = packet
        self.runs = runs
        self.writer = writer
        self.emit = emit

    async def hold(
        self, run_id: str, stage: str, gate: str, given: GateAnswers, *, native: bool = False
    ) -> GateOutcome:
        """The checkpoint before ``stage`` with the gate agents' answers ``given`` (``native``:
        the heuristics' issues, :mod:`codex_lsp.speckit.gate_native`)."""
        checkpoint = CHECKPOINTS[stage]
        merged = merge(gate, given.answers, len(given.answers))
        fixes: dict[Path, list[MergedIssue]] = {}
        asked: list[MergedIssue] = []
        for found in merged:
            issue, decision = self._decide(found, given.arbiter)
            if decision is Decision.AUTO_FIX:
                fixes.setdefault(self._file(issue), []).append(issue)
            else:
                asked.append(issue)
        backups = await self._fix(fixes)
        rows = [
            self._row(run_id, checkpoint, issue, "auto-fixed", None, issue.majority)
            for issues in fixes.values()
            for issue in issues
        ]
        texts: dict[Path, str] = {}
        questions: list[SpeckitGateQuestion] = []
        for issue in asked:
            path = self._file(issue)
            if path not in texts:
                texts[path] = await self.writer.read(path) or ""
            row = self._row(run_id, checkpoint, issue, "open", locate(texts[path], issue), None)
            rows.append(row)
            questions.append(gate_question(row))
        await self.runs.auto.put_issues(rows)
        outcome = GateOutcome(
            checkpoint=checkpoint,
            gate=gate,
            auto_fixed=tuple(i.id for issues in fixes.values() for i in issues),
            asked=tuple(i.id for i in asked),
            critical=tuple(i.id for i in asked if i.magnitude is Magnitude.CRITICAL),
            backups=tuple(self.workspace.relative(b) for b in backups),
            native=native,
        )
        self.emit(gate_event(self.packet.id, run_id, outcome, questions))
        return outcome

    @staticmethod
    def _decide(issue: MergedIssue, arbiter: str | None) -> tuple[MergedIssue, Decision]:
        """The matrix's decision; a medium-confidence majority is the arbiter's to confirm
        (its dissent goes to the user with its view)."""
        decision = decide(issue)
        if decision is not Decision.ARBITER:
            return issue, decision
        if arbiter_agrees(issue, arbiter):
            return issue, Decision.AUTO_FIX
        view = issue.answers.get(arbiter or "")
        if view:
            issue = replace(issue, arbiter_view=f"{arbiter}: {view}")
        return issue, Decision.ASK

    def _file(self, issue: MergedIssue) -> Path:
        return issue_file(self.workspace, self.packet, issue.file)

    def _row(
        self,
        run_id: str,
        checkpoint: str,
        issue: MergedIssue,
        status: str,
        line: int | None,
        answer: str | None,
    ) -> IssueRow:
        return IssueRow(
            run_id=run_id,
            checkpoint=checkpoint,
            issue_id=issue.id,
            status=status,
            magnitude=issue.magnitude.value,
            file=self.workspace.relative(self._file(issue)),
            line=line,
            data=issue.to_json(),
            answer=answer,
        )

    async def _fix(self, fixes: Mapping[Path, list[MergedIssue]]) -> list[Path]:
        """Back every file up, then write its fixes in one edit; the backups."""
        if not fixes:
            return []
        now = datetime.now(UTC)
        backups: list[Path] = []
        edited: dict[Path, str] = {}
        for path, issues in fixes.items():
            text = await self.writer.read(path) or ""
            backup = backup_path(path, now)
            await asyncio.to_thread(write_text, backup, self.workspace.root, text)
            backups.append(backup)
            for issue in issues:
                text = apply_answer(text, issue, issue.majority).text
            edited[path] = text
        await self.writer.write(edited, f"quality gate {self.packet.id}: automatic fixes")
        return backups


async def answer_issue(
    runs: SpeckitRuns,
    workspace: Workspace,
    row: IssueRow,
    answer: str,
    writer: EditorWriter,
) -> IssueRow:
    """Write ``answer`` into the file the open issue ``row`` concerns (through the editor, after
    a backup) and close it. Raises :class:`~codex_lsp.errors.SpeckitError` when it is answered
    already or the answer is empty or too long."""
    answer = " ".join(answer.split())
    if not answer:
        raise SpeckitError(f"the answer to {row.issue_id} is empty; give the answer's text")
    if len(answer) > MAX_ANSWER_CHARS:
        raise SpeckitError(
            f"the answer to {row.issue_id} has {len(answer)} characters; at most "
            f"{MAX_ANSWER_CHARS} go into the SPEC file"
        )
    if row.status != "open" or row.file is None:
        raise SpeckitError(f"{row.issue_id} is answered already ({row.status})")
    path = workspace.root / row.file
    issue = MergedIssue.from_json({**row.data, "id": row.issue_id})
    text = await writer.read(path) or ""
    backup = backup_path(path, datetime.now(UTC))
    await asyncio.to_thread(write_text, backup, workspace.root, text)
    edit = apply_answer(text, issue, answer)
    await writer.write({path: edit.text}, f"answer to {row.issue_id}")
    closed = await runs.auto.close_issue(
        row.run_id,
        row.checkpoint,
        row.issue_id,
        status="answered",
        answer=answer,
        backup=workspace.relative(backup),
    )
    if not closed:
        raise SpeckitError(f"{row.issue_id} was answered meanwhile")
    return replace(row, status="answered", answer=answer)
