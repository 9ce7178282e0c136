"""``/speckit.status``: the state of a SPEC without any model call. Its packet, its tracker row,
each pipeline stage (✅ pass, ⚠ warn, ⏳ pending, with staleness and consensus), its quality-gate
issues, its cost against the budget, its evidence against the limits, and which agents each
stage uses and used. Without a SPEC: one line per SPEC of the workspace."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from codex_lsp.errors import SpeckitError
from codex_lsp.speckit import tracker
from codex_lsp.speckit.agents import stage_agents
from codex_lsp.speckit.cost import Ledger
from codex_lsp.speckit.evidence import Evidence, StageEvidence
from codex_lsp.speckit.files import read_text
from codex_lsp.speckit.heuristics.analyze import analyze_issues
from codex_lsp.speckit.heuristics.checklist import checklist_scores
from codex_lsp.speckit.heuristics.clarify import clarify_issues
from codex_lsp.speckit.issues import Issue, Magnitude
from codex_lsp.speckit.packet import SpecPacket
from codex_lsp.speckit.stages import PIPELINE, STAGES
from codex_lsp.speckit.status_models import (
    AgentRun,
    CostStatus,
    CoverageEntry,
    Cue,
    EvidenceStatus,
    FileEntry,
    GateStatus,
    Overview,
    OverviewRow,
    StageStatus,
    StatusReport,
    TrackerStatus,
)
from codex_lsp.speckit.workspace import Workspace
from codex_lsp.store.speckit_runs import SpeckitRuns, StageRunRecord

GATES = ("clarify", "analyze", "checklist")


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if moment else None


def _counts(issues: list[Issue]) -> dict[str, int]:
    return {m.value: sum(1 for i in issues if i.magnitude is m) for m in Magnitude}


@dataclass(frozen=True)
class _Sources:
    """What every stage's status is read from: the packet, its evidence files, and the moment
    after which a stage counts as stale."""

    packet: SpecPacket
    files: StageEvidence
    evidence: Evidence
    now: datetime
    stale_after: timedelta


def _stage(sources: _Sources, stage: str, run: StageRunRecord | None) -> StageStatus:
    packet, files, evidence = sources.packet, sources.files, sources.evidence
    now, stale_after = sources.now, sources.stale_after
    spec = STAGES[stage]
    path = packet.stage_file(stage)
    present = path is not None and path.is_file()
    notes: list[str] = []
    moments: list[datetime] = []
    consensus = "missing"
    agents: list[AgentRun] = []
    if run is not None:
        consensus = run.status
        moments.append(datetime.fromtimestamp(run.created_at or 0, UTC))
        agents = [
            AgentRun(
                name=o.agent, model=o.model, ok=o.content is not None, error=o.error, cost=o.cost
            )
            for o in run.outputs
        ]
        if run.conflicts:
            notes.append(f"Conflicts: {'; '.join(run.conflicts)}")
        missing = [a.name for a in agents if not a.ok]
        if missing:
            notes.append(f"Missing agents: {', '.join(missing)}")
    elif (verdict := files.verdicts.get(stage)) is not None:
        data = evidence.read_json(verdict.path) or {}
        consensus = str(data.get("status") or "unknown")
        moments.append(verdict.moment)
        notes.append("consensus from the evidence verdict (no run in this store)")
    telemetry_status: str | None = None
    if (telemetry := files.telemetry.get(stage)) is not None:
        data = evidence.read_json(telemetry.path) or {}
        baseline = data.get("baseline")
        telemetry_status = str(baseline.get("status")) if isinstance(baseline, dict) else "unknown"
        moments.append(_parse_time(data.get("timestamp")) or telemetry.moment)
    updated = max(moments) if moments else None
    stale = updated is not None and now - updated > stale_after
    if stale and updated is not None:
        hours = stale_after.total_seconds() / 3600
        notes.append(f"Stale for >{hours:g}h (last updated {_iso(updated)})")
    if run is None and telemetry is None and consensus == "missing":
        cue: Cue = "pending"
        notes.append(f"{spec.file} present but no run recorded" if present else "No run recorded")
    elif consensus == "ok" and telemetry_status in (None, "passed") and not stale:
        cue = "pass"
    else:
        cue = "warn"
    return StageStatus(
        stage=stage,
        title=spec.title,
        cue=cue,
        file=spec.file,
        file_present=present,
        consensus=consensus,
        attempt=run.attempt if run else None,
        updated_at=_iso(updated),
        stale=stale,
        telemetry=telemetry_status,
        agents=agents,
        notes=notes,
    )


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _gates(
    workspace: Workspace,
    packet: SpecPacket,
    runs: dict[str, StageRunRecord],
    files: StageEvidence,
    evidence: Evidence,
) -> list[GateStatus]:
    plans = stage_agents(workspace.config)
    out = []
    for gate in GATES:
        run = runs.get(gate)
        if not plans[gate].native:
            if run is None:
                out.append(
                    GateStatus(gate=gate, source="none", issues={}, detail="no run recorded")
                )
                continue
            issues = (run.synthesis or {}).get("issues", [])
            counts = {
                m.value: sum(1 for i in issues if i.get("magnitude") == m.value) for m in Magnitude
            }
            when = _iso(datetime.fromtimestamp(run.created_at or 0, UTC))
            out.append(
                GateStatus(gate=gate, source="agents", issues=counts, detail=f"run of {when}")
            )
            continue
        if gate == "clarify":
            found, _ = clarify_issues(workspace, packet)
            detail = "native checks, now"
        elif gate == "analyze":
            found, _ = analyze_issues(workspace, packet)
            detail = "native checks, now"
        else:
            scores, _ = checklist_scores(workspace, packet)
            found, detail = scores.issues, f"native score {scores.overall} (grade {scores.grade})"
        out.append(GateStatus(gate=gate, source="native", issues=_counts(found), detail=detail))
    for path in files.gates[-3:]:
        data = evidence.read_json(path) or {}
        summary = data.get("summary") if isinstance(data.get("summary"), dict) else {}
        assert isinstance(summary, dict)
        out.append(
            GateStatus(
                gate=f"checkpoint {data.get('checkpoint', path.stem)}",
                source="agents",
                issues={"total": int(summary.get("total_issues") or 0)},
                detail=f"{summary.get('auto_resolved', 0)} auto-resolved, "
                f"{summary.get('escalated', 0)} escalated",
            )
        )
    return out


def build_report_sync(
    workspace: Workspace,
    packet: SpecPacket,
    runs: dict[str, StageRunRecord],
    stale_hours: float | None = None,
    now: datetime | None = None,
) -> StatusReport:
    """The report of ``packet`` from its files, evidence and recorded ``runs`` (blocking)."""
    now = now or datetime.now(UTC)
    hours = stale_hours or workspace.config.speckit.stale_hours
    evidence = Evidence(workspace)
    files = evidence.stage_files(packet.id)
    warnings = list(packet.warnings)
    entries = [
        FileEntry(
            name=name,
            present=(packet.folder / name.rstrip("/")).is_dir()
            if name.endswith("/")
            else packet.file(name).is_file(),
        )
        for name in workspace.layout.doc_files
    ]
    row_status = _tracker(workspace, packet, warnings)
    sources = _Sources(packet, files, evidence, now, timedelta(hours=hours))
    stages = [_stage(sources, s, runs.get(s)) for s in PIPELINE]
    ledger = Ledger(evidence, workspace.config.speckit).load(packet.id)
    cost = CostStatus(
        total_spent=round(ledger.total_spent, 6),
        budget=ledger.budget,
        utilization=round(ledger.utilization, 4),
        call_count=ledger.call_count,
        per_stage=ledger.per_stage,
        per_model=ledger.per_model,
    )
    if ledger.budget > 0 and ledger.utilization >= 0.8:
        warnings.append(
            f"budget: ${ledger.total_spent:.2f} of ${ledger.budget:.2f} spent "
            f"({ledger.utilization:.0%})"
        )
    limits = evidence.check_limits(packet)
    if limits.level.value != "ok":
        warnings.append(limits.message)
    footprint = limits.footprint
    plans = stage_agents(workspace.config)
    coverage = [
        CoverageEntry(
            stage=stage,
            configured=plans[stage].describe(),
            last_run=[
                f"{o.agent}({'ok' if o.content is not None else 'failed'})•{o.model}"
                for o in runs[stage].outputs
            ]
            if stage in runs
            else [],
        )
        for stage in plans
    ]
    return StatusReport(
        spec_id=packet.id,
        generated_at=now.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        layout=packet.layout.value,
        stale_hours=hours,
        directory=workspace.relative(packet.folder) + "/",
        files=entries,
        tracker=row_status,
        stages=stages,
        quality_gates=_gates(workspace, packet, runs, files, evidence),
        cost=cost,
        evidence=EvidenceStatus(
            total_bytes=footprint.total_bytes,
            files=footprint.files,
            soft_limit_mb=limits.soft_mb,
            hard_limit_mb=limits.hard_mb,
            level=limits.level.value,
            message=limits.message,
            latest=_iso(footprint.latest),
            largest=list(footprint.largest),
        ),
        agent_coverage=coverage,
        warnings=warnings,
    )


def _tracker(workspace: Workspace, packet: SpecPacket, warnings: list[str]) -> TrackerStatus | None:
    path = workspace.layout.tracker
    if path is None:
        return None
    try:
        text = read_text(path, workspace.root)
    except SpeckitError as exc:
        warnings.append(exc.message)
        return None
    row = tracker.find(text or "", packet.id)
    if row is None:
        warnings.append(f"SPEC.md tracker row missing for {packet.id}")
        return None
    return TrackerStatus(
        status=row.get("Status"),
        branch=row.get("Branch"),
        last_validation=row.get("Last Validation"),
        notes=row.get("Notes"),
        row=row.text,
    )


async def speckit_status(
    workspace: Workspace,
    packet: SpecPacket,
    runs: SpeckitRuns | None,
    stale_hours: float | None = None,
    now: datetime | None = None,
) -> StatusReport:
    """The report of ``packet``; ``runs`` is the store (None: no runs recorded yet)."""
    latest = await runs.latest(workspace.root, packet.id) if runs is not None else {}
    return await asyncio.to_thread(build_report_sync, workspace, packet, latest, stale_hours, now)


def _overview_sync(
    workspace: Workspace, recorded: dict[str, dict[str, str]], now: datetime
) -> Overview:
    text = None
    if workspace.layout.tracker is not None:
        try:
            text = read_text(workspace.layout.tracker, workspace.root)
        except SpeckitError:
            text = None
    rows = {r.get("Task ID"): r for r in tracker.rows(text or "")}
    specs = []
    for packet in workspace.layout.specs():
        statuses = recorded.get(packet.id, {})
        cues = {}
        for stage in PIPELINE:
            status = statuses.get(stage)
            path = packet.stage_file(stage)
            if status is not None:
                cues[stage] = status
            else:
                cues[stage] = "file" if path is not None and path.is_file() else "pending"
        row = rows.get(packet.id)
        specs.append(
            OverviewRow(
                spec_id=packet.id,
                directory=workspace.relative(packet.folder) + "/",
                title=row.get("Title") if row else "",
                status=row.get("Status") if row else "",
                stages=cues,
            )
        )
    return Overview(
        layout=workspace.layout.kind.value,
        generated_at=now.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        specs=specs,
    )


async def speckit_overview(workspace: Workspace, runs: SpeckitRuns | None) -> Overview:
    """Every SPEC of the workspace with its stages."""
    recorded = await runs.overview(workspace.root) if runs is not None else {}
    return await asyncio.to_thread(_overview_sync, workspace, recorded, datetime.now(UTC))


async def open_runs(workspace: Workspace) -> SpeckitRuns | None:
    """The run store, when its file exists (status never creates it)."""
    path: Path = workspace.state_db
    if not await asyncio.to_thread(path.is_file):
        return None
    return await SpeckitRuns.open(path)
