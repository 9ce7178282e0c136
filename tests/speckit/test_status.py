"""``/speckit.status``: the report's sections in Markdown and JSON, from real files, evidence
and store rows (stale telemetry, a degraded stage, evidence over its thresholds)."""

from __future__ import annotations

import json
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from codex_lsp.speckit import route
from codex_lsp.speckit.cost import Ledger
from codex_lsp.speckit.dispatch import NeedsAgents, execute
from codex_lsp.speckit.evidence import Evidence, Telemetry
from codex_lsp.speckit.routing import Invocation
from codex_lsp.store.speckit_runs import AgentOutput, SpeckitRuns, StageRunRecord
from tests.speckit.conftest import open_workspace

TOML = (
    '[[agents]]\nname = "gemini"\nmodel = "gemini-2.5-flash"\n'
    '[[agents]]\nname = "claude"\nmodel = "claude-haiku-4-5"\n'
    '[[agents]]\nname = "gpt_pro"\nmodel = "gpt-5"\n'
    "[speckit]\nbudget_usd = 1.0\nevidence_soft_limit_mb = 0.01\nevidence_hard_limit_mb = 0.5\n"
)


def _record(stage: str, status: str, failed: tuple[str, ...] = ()) -> StageRunRecord:
    outputs = tuple(
        AgentOutput(
            agent=a,
            model=f"{a}-model",
            content=None if a in failed else {"stage": stage},
            error="HTTP 500 (after 3 attempt(s))" if a in failed else None,
            cost=0.01,
        )
        for a in ("gemini", "claude", "gpt_pro")
    )
    return StageRunRecord(
        spec_id="SPEC-KIT-071",
        stage=stage,
        status=status,
        consensus_ok=status == "ok",
        degraded=status == "degraded",
        synthesis={"status": status},
        outputs=outputs,
        conflicts=("cache or not",) if status == "conflict" else (),
    )


async def _fixture(
    fork_spec: Path, fork_repo: Path, tmp_path: Path, runs: SpeckitRuns
) -> Invocation:
    (fork_spec / "plan.md").write_text("# Plan\n")
    (fork_spec / "tasks.md").write_text("- [ ] T001 x\n")
    await runs.record(fork_repo, _record("plan", "degraded", ("gemini",)))
    await runs.record(fork_repo, _record("plan", "ok"))
    await runs.record(fork_repo, _record("tasks", "degraded", ("gemini",)))
    await runs.record(fork_repo, _record("implement", "conflict"))
    with sqlite3.connect(tmp_path / "state.db") as db:
        db.execute(
            "UPDATE consensus_runs SET created_at = ? WHERE stage = 'tasks'",
            (time.time() - 72 * 3600,),
        )
    ws = open_workspace(fork_repo, tmp_path / "home", TOML)
    evidence = Evidence(ws)
    now = datetime.now(UTC)
    for stage, moment in (("plan", now), ("tasks", now - timedelta(hours=72))):
        doc = Telemetry(
            spec_id="SPEC-KIT-071",
            stage=stage,
            session_id=None,
            moment=moment,
            artifacts=[],
            baseline={"mode": "agents", "status": "passed"},
            hooks={},
        ).document()
        evidence.write_json(evidence.run_paths("SPEC-KIT-071", stage, moment)["telemetry"], doc)
    evidence.consensus_dir("SPEC-KIT-071").mkdir(parents=True)
    (evidence.consensus_dir("SPEC-KIT-071") / "huge_artifact.json").write_bytes(b"x" * 40_000)
    Ledger(evidence, ws.config.speckit).record("SPEC-KIT-071", "plan", "gpt-5", 0.85, now)
    gate = {
        "command": "quality-gate",
        "specId": "SPEC-KIT-071",
        "checkpoint": "before-plan",
        "summary": {"total_issues": 5, "auto_resolved": 3, "escalated": 2},
    }
    evidence.write_json(evidence.gate_path("SPEC-KIT-071", "before-plan", now), gate)
    routed = route("/speckit.status SPEC-KIT-071")
    assert isinstance(routed, Invocation)
    return routed


async def test_status_markdown_has_every_section(
    fork_spec: Path, fork_repo: Path, tmp_path: Path, runs: SpeckitRuns
) -> None:
    invocation = await _fixture(fork_spec, fork_repo, tmp_path, runs)
    ws = open_workspace(fork_repo, tmp_path / "home", TOML)
    result = await execute(invocation, ws, runs)
    assert not isinstance(result, NeedsAgents)
    text = result.markdown
    assert text.startswith("# SPEC Status: SPEC-KIT-071 (")
    for heading in (
        "## Packet",
        "## Tracker",
        "## Stage Summary",
        "## Quality Gates",
        "## Cost",
        "## Evidence",
        "## Agent Coverage",
        "## Warnings",
    ):
        assert f"\n{heading}\n" in text
    assert "- Directory: docs/SPEC-KIT-071-login/ (fork layout)" in text
    assert "- ✅ PRD.md" in text and "- ✅ plan.md" in text and "- ⚠ implement.md" not in text
    assert "- ⚠ SPEC.md row not found" in text
    assert "- ✅ Plan — consensus=ok • attempt 2 • baseline:passed • updated:" in text
    assert "  - Agents: gemini(ok), claude(ok), gpt_pro(ok)" in text
    assert "- ⚠ Tasks — consensus=degraded • attempt 1 • baseline:passed • updated:" in text
    assert "stale>24h" in text and "  - Stale for >24h (last updated " in text
    assert "  - Missing agents: gemini" in text
    assert "- ⚠ Implement — consensus=conflict" in text and "  - Conflicts: cache or not" in text
    assert "- ⏳ Validate — consensus=missing" in text
    assert "- checkpoint before-plan (agents): 5 total — 3 auto-resolved, 2 escalated" in text
    assert "- clarify (native):" in text and "- checklist (native):" in text and "grade" in text
    assert "- Spent: $0.8500 of $1.00 (85%) in 1 agent call(s)" in text
    assert (
        "- ⚠ 40.0 KB in 5 file(s)" in text
        and "evidence is 40.0 KB, over the soft limit" in text
        and "soft limit 0.01 MB, hard limit 0.5 MB" in text
    )
    evidence = "docs/SPEC-OPS-004-integrated-coder-hooks/evidence"
    assert f"Top offenders: {evidence}/consensus/SPEC-KIT-071/huge_artifact.json" in text
    assert "- plan: gemini (default provider/gemini-2.5-flash), claude" in text
    assert (
        "  - last run: gemini(ok)•gemini-model, claude(ok)•claude-model, gpt_pro(ok)•gpt_pro-model"
        in text
    )
    assert "- ⚠ SPEC.md tracker row missing for SPEC-KIT-071" in text
    assert "- ⚠ budget: $0.85 of $1.00 spent (85%)" in text


async def test_status_json_carries_the_same_report(
    fork_spec: Path, fork_repo: Path, tmp_path: Path, runs: SpeckitRuns
) -> None:
    await _fixture(fork_spec, fork_repo, tmp_path, runs)
    routed = route("/speckit.status 71 --json --stale-hours 100")
    assert isinstance(routed, Invocation) and routed.json
    ws = open_workspace(fork_repo, tmp_path / "home", TOML)
    result = await execute(routed, ws, runs)
    assert not isinstance(result, NeedsAgents)
    data = json.loads(result.render(routed.json))
    assert data["ok"] is True and data["specId"] == "SPEC-KIT-071" and data["staleHours"] == 100
    stages = {s["stage"]: s for s in data["stages"]}
    assert [s["stage"] for s in data["stages"]] == [
        "plan",
        "tasks",
        "implement",
        "validate",
        "audit",
        "unlock",
    ]
    assert (stages["plan"]["cue"], stages["plan"]["consensus"], stages["plan"]["attempt"]) == (
        "pass",
        "ok",
        2,
    )
    assert (stages["tasks"]["cue"], stages["tasks"]["stale"]) == ("warn", False)
    assert [a["name"] for a in stages["tasks"]["agents"] if not a["ok"]] == ["gemini"]
    assert stages["validate"]["cue"] == "pending"
    assert data["cost"] == {
        "totalSpent": 0.85,
        "budget": 1.0,
        "utilization": 0.85,
        "callCount": 1,
        "perStage": {"plan": 0.85},
        "perModel": {"gpt-5": 0.85},
    }
    assert data["evidence"]["level"] == "warn" and data["evidence"]["softLimitMb"] == 0.01
    assert {g["gate"] for g in data["qualityGates"]} == {
        "clarify",
        "analyze",
        "checklist",
        "checkpoint before-plan",
    }
    assert "tracker" not in data


async def test_status_of_a_github_feature_and_the_overview(
    github_repo: Path, tmp_path: Path
) -> None:
    ws = open_workspace(github_repo, tmp_path / "home")
    current = ws.layout.current()
    routed = route("/speckit.status", current=current)
    assert isinstance(routed, Invocation) and routed.spec == "specs/001-user-auth"
    result = await execute(routed, ws, None)
    assert not isinstance(result, NeedsAgents)
    assert result.markdown.startswith("# SPEC Status: 001-user-auth")
    assert "- No tracker in GitHub spec-kit's layout" in result.markdown
    assert "PRD.md" not in result.markdown.split("## Tracker")[0]
    overview = route("/speckit.status")
    assert isinstance(overview, Invocation)
    table = await execute(overview, ws, None)
    assert not isinstance(table, NeedsAgents)
    assert "| 001-user-auth |  |  | ⏳ | ⏳ | ⏳ | ⏳ | ⏳ | ⏳ |" in table.markdown
    assert not (github_repo / "docs").exists() and not (github_repo / "SPEC.md").exists()


async def test_status_of_an_unknown_spec_says_what_exists(fork_repo: Path, tmp_path: Path) -> None:
    ws = open_workspace(fork_repo, tmp_path / "home")
    routed = route("/speckit.status SPEC-KIT-099")
    assert isinstance(routed, Invocation)
    try:
        await execute(routed, ws, None)
    except Exception as exc:
        assert "SPEC-KIT-099.md is a file, not a SPEC folder" in str(exc)
    else:
        raise AssertionError("an unknown SPEC must fail")


async def test_stage_commands_resolve_the_spec_and_say_which_agents_they_need(
    fork_spec: Path, fork_repo: Path, tmp_path: Path
) -> None:
    ws = open_workspace(fork_repo, tmp_path / "home", TOML)
    routed = route("/spec-plan 71 use postgres")
    assert isinstance(routed, Invocation)
    needs = await execute(routed, ws, None)
    assert (
        isinstance(needs, NeedsAgents)
        and needs.packet is not None
        and needs.packet.id == "SPEC-KIT-071"
    )
    assert needs.describe().startswith("/speckit.plan SPEC-KIT-071 runs on agents:\n- plan: gemini")
    auto = route("/speckit.auto 71 --from validate")
    assert isinstance(auto, Invocation)
    pipeline = await execute(auto, ws, None)
    assert isinstance(pipeline, NeedsAgents) and pipeline.stages == ("validate", "audit", "unlock")
