"""``/speckit.status`` in process on a repository with 200 SPECs and their evidence: each SPEC
has its PRD, spec, plan and tasks, a tracker row in SPEC.md, telemetry and verdict files for the
six pipeline stages, a cost summary, and six recorded runs of three agents in the store. The
figure is the time from the command text to the rendered Markdown (routing, resolving, the
files, the store query, the native gate checks, rendering), p50 and p99; the overview of all 200
SPECs is measured too. Target: p50 under 50 ms.

``python -m bench.speckit_status [--specs 200] [--runs 50]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.common import summary
from codex_lsp.config.model import Config
from codex_lsp.speckit import Invocation, route
from codex_lsp.speckit.cost import Ledger
from codex_lsp.speckit.dispatch import NeedsAgents, execute
from codex_lsp.speckit.evidence import Evidence, Telemetry
from codex_lsp.speckit.new import create_spec
from codex_lsp.speckit.stages import PIPELINE
from codex_lsp.speckit.workspace import Workspace
from codex_lsp.store.speckit_runs import AgentOutput, SpeckitRuns, StageRunRecord

AGENTS = ("gemini", "claude", "gpt_pro")


def build(root: Path, home: Path, specs: int) -> Workspace:
    """The repository: ``specs`` SPECs made by /speckit.new, then their stage files and evidence."""
    (root / ".git").mkdir(parents=True)
    config = Config.model_validate({"agents": [{"name": a, "model": f"{a}-model"} for a in AGENTS]})
    workspace = Workspace.open(root, config, home)
    evidence = Evidence(workspace)
    ledger = Ledger(evidence, config.speckit)
    start = datetime.now(UTC) - timedelta(days=3)
    for number in range(specs):
        spec_id = create_spec(workspace, f"Feature number {number} with a longer title").data[
            "specId"
        ]
        packet = workspace.layout.resolve(spec_id)
        (packet.folder / "plan.md").write_text("# Plan\n\n## Work Breakdown\n\n1. One\n" * 20)
        (packet.folder / "tasks.md").write_text(
            "".join(f"- [ ] T{t:03d} Task {t}\n" for t in range(1, 30))
        )
        for index, stage in enumerate(PIPELINE):
            moment = start + timedelta(hours=index)
            paths = evidence.run_paths(spec_id, stage, moment)
            doc = Telemetry(
                spec_id=spec_id,
                stage=stage,
                session_id="bench",
                moment=moment,
                artifacts=[f"{packet.name}/{stage}.md"],
                baseline={"mode": "agents", "status": "passed"},
                hooks={},
            ).document()
            evidence.write_json(paths["telemetry"], doc)
            evidence.write_json(paths["verdict"], {"status": "ok", "padding": "x" * 4000})
            evidence.write_json(paths["synthesis"], {"status": "ok", "answer": {"x": "y" * 8000}})
        ledger.record(spec_id, "plan", "gpt-5", 0.05, start)
    return workspace


async def record_runs(runs: SpeckitRuns, workspace: Workspace) -> None:
    """Six runs of three agents for every SPEC."""
    for packet in workspace.layout.specs():
        for stage in PIPELINE:
            outputs = tuple(
                AgentOutput(agent=a, model=f"{a}-model", content={"stage": stage, "n": "x" * 500})
                for a in AGENTS
            )
            await runs.record(
                workspace.root,
                StageRunRecord(
                    spec_id=packet.id,
                    stage=stage,
                    status="ok",
                    consensus_ok=True,
                    degraded=False,
                    synthesis={"status": "ok"},
                    outputs=outputs,
                ),
            )


async def _time(text: str, workspace: Workspace, runs: SpeckitRuns, count: int) -> list[float]:
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        routed = route(text)
        assert isinstance(routed, Invocation)
        result = await execute(routed, workspace, runs)
        assert not isinstance(result, NeedsAgents) and result.ok
        samples.append((time.perf_counter() - started) * 1000)
    return samples


async def measure(specs: int = 200, count: int = 50) -> dict[str, Any]:
    """Build the repository, then time status of one SPEC and the overview."""
    base = Path(tempfile.mkdtemp(prefix="speckit-bench-"))
    workspace = build(base / "repo", base / "home", specs)
    runs = await SpeckitRuns.open(base / "home" / "state.db")
    try:
        await record_runs(runs, workspace)
        middle = workspace.layout.specs()[specs // 2].id
        await _time(f"/speckit.status {middle}", workspace, runs, 3)  # warm the caches
        one = await _time(f"/speckit.status {middle}", workspace, runs, count)
        overview = await _time("/speckit.status", workspace, runs, max(5, count // 5))
    finally:
        await runs.close()
    files = sum(1 for _ in workspace.root.rglob("*") if _.is_file())
    return {
        "specs": specs,
        "files": files,
        "one_spec_ms": summary(one),
        "overview_ms": summary(overview),
        "target_p50_ms": 50,
    }


def main() -> None:
    """Print the figures as JSON."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--specs", type=int, default=200)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(measure(args.specs, args.runs)), indent=2))


if __name__ == "__main__":
    main()
