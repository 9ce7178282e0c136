"""The end of a stage run: the synthesis written (when the outcome stands), the store row, the
evidence files (telemetry and verdict), and the events that announce the result."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from codex_lsp.protocol.speckit_events import SpeckitConsensusEvent, SpeckitStageCompletedEvent
from codex_lsp.speckit.consensus import Outcome
from codex_lsp.speckit.evidence import Telemetry
from codex_lsp.speckit.stage_sinks import SynthesisWriter
from codex_lsp.speckit.stage_state import StageState
from codex_lsp.speckit.synthesis import Provenance, Synthesis, synthesise
from codex_lsp.store.speckit_runs import StageRunRecord


@dataclass(frozen=True)
class StageResult:
    """The end of a stage run."""

    outcome: Outcome
    synthesis: Synthesis | None
    files: list[Path]
    evidence: list[Path]
    record: StageRunRecord | None


async def finish_stage(run: StageState, outcome: Outcome, writer: SynthesisWriter) -> StageResult:
    """Write the synthesis (when the outcome stands), then the evidence and the store rows,
    and announce the end."""
    now = datetime.now(UTC)
    paths = run.evidence.run_paths(run.packet.id, run.stage, now)
    synthesis: Synthesis | None = None
    written: list[Path] = []
    if outcome.stands:
        synthesis = await asyncio.to_thread(
            synthesise,
            run.workspace,
            run.packet,
            outcome,
            run.answers,
            Provenance(
                inputs=run.context.files,
                evidence=[run.workspace.relative(p) for p in paths.values()],
                prompt_version=run.prompt_version(),
                now=now,
            ),
        )
        written = await writer.write(synthesis.files, f"/speckit.{run.stage} {run.packet.id}")
    # the store row right after the file: a run killed in between is asked again
    record = await _record(run, outcome, synthesis)
    evidence = await asyncio.to_thread(
        _write_evidence, run, outcome, synthesis, written=written, paths=paths, now=now
    )
    run.emit(
        SpeckitConsensusEvent(
            spec_id=run.packet.id,
            stage=run.stage,
            status=outcome.status.value,
            agreements=list(outcome.agreements),
            conflicts=list(outcome.conflicts),
            missing_agents=dict(outcome.missing),
            escalated=run.escalated,
        )
    )
    run.emit(
        SpeckitStageCompletedEvent(
            spec_id=run.packet.id,
            stage=run.stage,
            status=outcome.status.value,
            files=[run.workspace.relative(p) for p in written],
            message=synthesis.report if synthesis else outcome.message,
            resume=None if outcome.stands else outcome.resume,
            conversations=run.conversations,
        )
    )
    return StageResult(outcome, synthesis, written, evidence, record)


def _write_evidence(
    run: StageState,
    outcome: Outcome,
    synthesis: Synthesis | None,
    *,
    written: list[Path],
    paths: dict[str, Path],
    now: datetime,
) -> list[Path]:
    artifacts = [run.workspace.relative(p) for p in written]
    target = run.packet.stage_file(run.stage)
    telemetry = Telemetry(
        spec_id=run.packet.id,
        stage=run.stage,
        session_id=run.setup.options.session_id,
        moment=now,
        artifacts=artifacts,
        baseline={
            "mode": "agents",
            "artifact": run.workspace.relative(target) if target else None,
            "status": "passed" if outcome.stands else "failed",
        },
        hooks={"session": {"start": run.started.isoformat(), "end": now.isoformat()}},
    ).document()
    verdict = {
        "spec_id": run.packet.id,
        "stage": run.stage,
        "recorded_at": now.isoformat(),
        "status": outcome.status.value,
        "consensus_ok": outcome.consensus_ok,
        "degraded": outcome.degraded,
        "missing_agents": list(outcome.missing),
        "missing_reasons": dict(outcome.missing),
        "agreements": list(outcome.agreements),
        "conflicts": list(outcome.conflicts),
        "aggregator_agent": outcome.arbiter,
        "escalated": run.escalated,
        "synthesis_path": artifacts[0] if artifacts else None,
        "artifacts": [
            {"agent": o.agent, "model": o.model, "content": o.content, "error": o.error}
            for o in run.outputs()
        ],
    }
    run.evidence.write_json(paths["telemetry"], telemetry)
    run.evidence.write_json(paths["verdict"], verdict)
    files = [paths["telemetry"], paths["verdict"]]
    if synthesis is not None:
        run.evidence.write_json(paths["synthesis"], synthesis.data)
        files.append(paths["synthesis"])
    return files


async def _record(
    run: StageState, outcome: Outcome, synthesis: Synthesis | None
) -> StageRunRecord | None:
    runs = run.setup.options.runs
    if runs is None:
        return None
    record = StageRunRecord(
        spec_id=run.packet.id,
        stage=run.stage,
        status=outcome.status.value,
        consensus_ok=outcome.consensus_ok,
        degraded=outcome.degraded,
        synthesis=synthesis.data if synthesis else {"answers": run.answers},
        agreements=outcome.agreements,
        conflicts=outcome.conflicts,
        outputs=tuple(run.outputs()),
    )
    return await runs.record(run.workspace.root, record)
