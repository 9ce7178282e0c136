"""What ``/speckit.status`` reports, as wire models: a SPEC's packet files, tracker row,
stages, quality gates, cost and evidence (:class:`StatusReport`), and the one-line-per-SPEC
overview of a workspace (:class:`Overview`). :mod:`codex_lsp.speckit.status` builds them."""

from __future__ import annotations

from typing import Literal

from codex_lsp.protocol.base import WireModel

Cue = Literal["pass", "warn", "pending"]


class FileEntry(WireModel):
    """A file (or folder) of the packet."""

    name: str
    present: bool


class TrackerStatus(WireModel):
    """The SPEC's row in SPEC.md."""

    status: str
    branch: str
    last_validation: str
    notes: str
    row: str


class AgentRun(WireModel):
    """One agent of a recorded run."""

    name: str
    model: str
    ok: bool
    error: str | None = None
    cost: float = 0.0


class StageStatus(WireModel):
    """One pipeline stage."""

    stage: str
    title: str
    cue: Cue
    file: str | None
    file_present: bool
    consensus: str
    attempt: int | None = None
    updated_at: str | None = None
    stale: bool = False
    telemetry: str | None = None
    agents: list[AgentRun] = []
    notes: list[str] = []


class GateStatus(WireModel):
    """One quality gate: its latest recorded agents' run, or the native checks made now."""

    gate: str
    source: Literal["agents", "native", "none"]
    issues: dict[str, int]
    detail: str = ""


class CostStatus(WireModel):
    """The SPEC's spending."""

    total_spent: float
    budget: float
    utilization: float
    call_count: int
    per_stage: dict[str, float]
    per_model: dict[str, float]


class EvidenceStatus(WireModel):
    """The SPEC's evidence footprint."""

    total_bytes: int
    files: int
    soft_limit_mb: float
    hard_limit_mb: float
    level: str
    message: str
    latest: str | None
    largest: list[tuple[str, int]]


class CoverageEntry(WireModel):
    """Which agents a stage uses, and which answered its last run."""

    stage: str
    configured: str
    last_run: list[str] = []


class StatusReport(WireModel):
    """The whole report of one SPEC."""

    spec_id: str
    generated_at: str
    layout: str
    stale_hours: float
    directory: str
    files: list[FileEntry]
    tracker: TrackerStatus | None
    stages: list[StageStatus]
    quality_gates: list[GateStatus]
    cost: CostStatus
    evidence: EvidenceStatus
    agent_coverage: list[CoverageEntry]
    warnings: list[str]


class OverviewRow(WireModel):
    """One SPEC in the overview: its tracker status and each stage's cue."""

    spec_id: str
    directory: str
    title: str
    status: str
    stages: dict[str, str]


class Overview(WireModel):
    """Every SPEC of the workspace."""

    layout: str
    generated_at: str
    specs: list[OverviewRow]
