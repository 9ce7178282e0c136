"""Evidence: the JSON files a stage run leaves under ``speckit.evidence_dir`` (schema version 1:
command, specId, sessionId, timestamp, artifacts, baseline, hooks), their one naming scheme
(what status reads is what the runs write: the fork's guardrails and its status disagreed), and
the per-SPEC footprint with its soft limit (warn) and hard limit (refuse a new run).

::

    <evidence>/commands/<ID>/spec-<stage>_<stamp>.json            the run's telemetry (v1)
    <evidence>/consensus/<ID>/spec-<stage>_<stamp>_verdict.json   consensus verdict
    <evidence>/consensus/<ID>/spec-<stage>_<stamp>_synthesis.json the synthesis
    <evidence>/consensus/<ID>/<ID>_quality-gate-<checkpoint>_<stamp>.json
    <evidence>/costs/<ID>_cost_summary.json
"""

from __future__ import annotations

import heapq
import json
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from codex_lsp.errors import SpeckitError
from codex_lsp.speckit.files import read_text, write_text
from codex_lsp.speckit.packet import SpecPacket
from codex_lsp.speckit.workspace import Workspace

SCHEMA_VERSION = 1
MIB = 1024 * 1024
TOP_OFFENDERS = 3
_STAMP_FORMAT = "%Y%m%dT%H%M%S%fZ"
_RUN_FILE = re.compile(
    r"^spec-(?P<stage>[a-z]+)_(?P<stamp>\d{8}T\d{12}Z)(?:_(?P<kind>verdict|synthesis))?\.json$"
)
_GATE_FILE = re.compile(r"^(?P<id>.+)_quality-gate-(?P<cp>[a-z-]+)_(?P<stamp>\d{8}T\d{12}Z)\.json$")


def size_text(n: int) -> str:
    """``39.2 KB`` / ``25.3 MB``."""
    return f"{n / MIB:.1f} MB" if n >= MIB // 10 else f"{n / 1024:.1f} KB"


def stamp(moment: datetime) -> str:
    """The time part of evidence names (sorts as time does)."""
    return moment.astimezone(UTC).strftime(_STAMP_FORMAT)


def parse_stamp(text: str) -> datetime:
    """The time of an evidence name's stamp."""
    return datetime.strptime(text, _STAMP_FORMAT).replace(tzinfo=UTC)


class Level(StrEnum):
    """Where a SPEC's evidence stands against its limits."""

    OK = "ok"
    WARN = "warn"
    REFUSE = "refuse"


@dataclass(frozen=True)
class Footprint:
    """A SPEC's evidence: total size, file count, the newest file's time, the largest files."""

    total_bytes: int = 0
    files: int = 0
    latest: datetime | None = None
    largest: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class LimitCheck:
    """The footprint against the soft and hard limits, and what to tell the user."""

    level: Level
    footprint: Footprint
    soft_mb: float
    hard_mb: float
    message: str


@dataclass(frozen=True)
class RunFile:
    """One run file found in the evidence: its stage, kind, time and path."""

    stage: str
    kind: str
    moment: datetime
    path: Path


@dataclass
class StageEvidence:
    """The newest telemetry and verdict of each stage of a SPEC."""

    telemetry: dict[str, RunFile] = field(default_factory=dict)
    verdicts: dict[str, RunFile] = field(default_factory=dict)
    gates: list[Path] = field(default_factory=list)


@dataclass(frozen=True)
class Telemetry:
    """What a run's telemetry document says: which run (SPEC, stage, conversation, moment),
    the files it wrote, its baseline and its hooks' timings."""

    spec_id: str
    stage: str
    session_id: str | None
    moment: datetime
    artifacts: list[str]
    baseline: dict[str, Any]
    hooks: dict[str, Any]

    def document(self) -> dict[str, Any]:
        """The telemetry document, schema version 1."""
        return {
            "schemaVersion": SCHEMA_VERSION,
            "command": f"spec-{self.stage}",
            "specId": self.spec_id,
            "sessionId": self.session_id,
            "timestamp": self.moment.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "stage": self.stage,
            "artifacts": [{"path": a} for a in self.artifacts],
            "baseline": self.baseline,
            "hooks": self.hooks,
        }


class Evidence:
    """The evidence folder of one workspace."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.dir = workspace.evidence_dir
        inside = self.dir == workspace.root or workspace.root in self.dir.parents
        self._root = workspace.root if inside else self.dir

    # ------------------------------------------------------------ names
    def commands_dir(self, spec_id: str) -> Path:
        """``commands/<ID>/``."""
        return self.dir / "commands" / spec_id

    def consensus_dir(self, spec_id: str) -> Path:
        """``consensus/<ID>/``."""
        return self.dir / "consensus" / spec_id

    def cost_summary(self, spec_id: str) -> Path:
        """``costs/<ID>_cost_summary.json``."""
        return self.dir / "costs" / f"{spec_id}_cost_summary.json"

    def lock_file(self, spec_id: str) -> Path:
        """``.locks/<ID>.lock``: held while the cost summary is updated."""
        return self.dir / ".locks" / f"{spec_id}.lock"

    def run_paths(self, spec_id: str, stage: str, moment: datetime) -> dict[str, Path]:
        """The files one stage run writes, by kind (telemetry, verdict, synthesis)."""
        base = f"spec-{stage}_{stamp(moment)}"
        consensus = self.consensus_dir(spec_id)
        return {
            "telemetry": self.commands_dir(spec_id) / f"{base}.json",
            "verdict": consensus / f"{base}_verdict.json",
            "synthesis": consensus / f"{base}_synthesis.json",
        }

    def gate_path(self, spec_id: str, checkpoint: str, moment: datetime) -> Path:
        """Where a quality-gate checkpoint's telemetry goes."""
        return (
            self.consensus_dir(spec_id)
            / f"{spec_id}_quality-gate-{checkpoint}_{stamp(moment)}.json"
        )

    # ------------------------------------------------------------ writing
    def write_json(self, path: Path, data: dict[str, Any]) -> None:
        """Write one evidence file atomically."""
        write_text(path, self._root, json.dumps(data, indent=2, ensure_ascii=False) + "\n")

    def read_json(self, path: Path) -> dict[str, Any] | None:
        """An evidence file's JSON; None when missing or not a JSON object."""
        try:
            text = read_text(path, self._root)
            data = json.loads(text) if text is not None else None
        except (SpeckitError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    # ------------------------------------------------------------ reading
    def _spec_dirs(self, packet: SpecPacket) -> list[Path]:
        return [
            self.commands_dir(packet.id),
            self.consensus_dir(packet.id),
            packet.folder / "evidence",
        ]

    def stage_files(self, spec_id: str) -> StageEvidence:
        """The newest telemetry and verdict per stage (names only: nothing is read)."""
        found = StageEvidence()
        for folder, kinds in (
            (self.commands_dir(spec_id), {None}),
            (self.consensus_dir(spec_id), {"verdict"}),
        ):
            for name in _names(folder):
                match = _RUN_FILE.match(name)
                if match is None:
                    if _GATE_FILE.match(name):
                        found.gates.append(folder / name)
                    continue
                if match.group("kind") not in kinds:
                    continue
                target = found.telemetry if match.group("kind") is None else found.verdicts
                stage = match.group("stage")
                moment = parse_stamp(match.group("stamp"))
                if stage not in target or target[stage].moment < moment:
                    target[stage] = RunFile(
                        stage, match.group("kind") or "telemetry", moment, folder / name
                    )
        found.gates.sort()
        return found

    def footprint(self, packet: SpecPacket) -> Footprint:
        """Size, count, newest time and largest files of the SPEC's evidence."""
        total = files = 0
        latest = 0.0
        sizes: list[tuple[int, str]] = []
        summary = self.cost_summary(packet.id)
        for folder in self._spec_dirs(packet):
            for path, info in _walk(folder):
                total += info.st_size
                files += 1
                latest = max(latest, info.st_mtime)
                sizes.append((info.st_size, self.workspace.relative(path)))
        with_summary = _stat(summary)
        if with_summary is not None:
            total += with_summary.st_size
            files += 1
            latest = max(latest, with_summary.st_mtime)
        top = heapq.nlargest(TOP_OFFENDERS, sizes)
        moment = datetime.fromtimestamp(latest, UTC) if files else None
        return Footprint(total, files, moment, tuple((p, s) for s, p in top))

    def check_limits(self, packet: SpecPacket) -> LimitCheck:
        """The footprint against ``speckit.evidence_soft_limit_mb`` / ``_hard_limit_mb``."""
        settings = self.workspace.config.speckit
        soft, hard = settings.evidence_soft_limit_mb, settings.evidence_hard_limit_mb
        footprint = self.footprint(packet)
        size = footprint.total_bytes / MIB
        shown = size_text(footprint.total_bytes)
        where = ", ".join(self.workspace.relative(d) for d in self._spec_dirs(packet)[:2])
        if size > hard:
            return LimitCheck(
                Level.REFUSE,
                footprint,
                soft,
                hard,
                f"{packet.id}'s evidence is {shown}, over the hard limit of {hard:g} MB "
                "(speckit.evidence_hard_limit_mb): no new run starts. Archive or delete old "
                f"files in {where} (the largest: "
                f"{', '.join(p for p, _ in footprint.largest) or 'none'}), or raise the limit.",
            )
        if size > soft:
            return LimitCheck(
                Level.WARN,
                footprint,
                soft,
                hard,
                f"{packet.id}'s evidence is {shown}, over the soft limit of {soft:g} MB "
                f"(runs are refused above {hard:g} MB); consider archiving old files in {where}.",
            )
        return LimitCheck(
            Level.OK,
            footprint,
            soft,
            hard,
            f"{shown}, under the {soft:g} MB soft limit",
        )

    def refuse_if_over(self, packet: SpecPacket) -> LimitCheck:
        """Raise :class:`SpeckitError` when a new run must be refused; else the check."""
        check = self.check_limits(packet)
        if check.level is Level.REFUSE:
            raise SpeckitError(check.message)
        return check


def _names(folder: Path) -> list[str]:
    try:
        with os.scandir(folder) as it:
            return [e.name for e in it if e.is_file(follow_symlinks=False)]
    except OSError:
        return []


def _stat(path: Path) -> os.stat_result | None:
    try:
        return path.stat()
    except OSError:
        return None


def _walk(folder: Path) -> list[tuple[Path, os.stat_result]]:
    """Regular files under ``folder`` (symlinks not followed), with their stat."""
    out: list[tuple[Path, os.stat_result]] = []
    stack = [folder]
    while stack:
        current = stack.pop()
        try:
            with os.scandir(current) as it:
                for entry in it:
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(Path(entry.path))
                    elif entry.is_file(follow_symlinks=False):
                        out.append((Path(entry.path), entry.stat(follow_symlinks=False)))
        except OSError:
            continue
    return out
