"""``consensus_runs`` and ``agent_outputs``: every attempt kept, the latest shown."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from codex_lsp.store.database import migrations
from codex_lsp.store.speckit_runs import AgentOutput, SpeckitRuns, StageRunRecord


@pytest.fixture
async def runs(tmp_path: Path) -> AsyncIterator[SpeckitRuns]:
    """A fresh store file with the spec-kit tables."""
    store = await SpeckitRuns.open(tmp_path / "state.db")
    yield store
    await store.close()


def _run(status: str, agents: tuple[str, ...] = ("gemini", "claude")) -> StageRunRecord:
    return StageRunRecord(
        spec_id="SPEC-KIT-071",
        stage="plan",
        status=status,
        consensus_ok=status == "ok",
        degraded=status == "degraded",
        synthesis={"status": status},
        agreements=("a",),
        conflicts=(),
        outputs=tuple(
            AgentOutput(agent=a, model=f"{a}-model", content={"stage": "plan"}, cost=0.01)
            for a in agents
        ),
    )


async def test_attempts_are_kept_and_the_latest_is_current(
    runs: SpeckitRuns, tmp_path: Path
) -> None:
    ws, other = tmp_path / "ws", tmp_path / "other"
    first = await runs.record(ws, _run("degraded"))
    second = await runs.record(ws, _run("ok", ("gemini", "claude", "gpt_pro")))
    await runs.record(other, _run("failed"))
    assert (first.attempt, second.attempt) == (1, 2)
    latest = await runs.latest(ws, "SPEC-KIT-071")
    assert list(latest) == ["plan"]
    assert latest["plan"].status == "ok" and latest["plan"].attempt == 2
    assert [o.agent for o in latest["plan"].outputs] == ["gemini", "claude", "gpt_pro"]
    assert latest["plan"].synthesis == {"status": "ok"} and latest["plan"].agreements == ("a",)
    history = await runs.history(ws, "SPEC-KIT-071", "spec-plan")
    assert [r.status for r in history] == ["degraded", "ok"]
    assert (await runs.latest(other, "SPEC-KIT-071"))["plan"].status == "failed"
    assert await runs.overview(ws) == {"SPEC-KIT-071": {"plan": "ok"}}


async def test_the_migration_made_both_tables(runs: SpeckitRuns, tmp_path: Path) -> None:
    await runs.record(tmp_path, _run("ok"))
    with sqlite3.connect(tmp_path / "state.db") as db:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        columns = [r[1] for r in db.execute("PRAGMA table_info(consensus_runs)")]
        outputs = [r[1] for r in db.execute("PRAGMA table_info(agent_outputs)")]
        version = db.execute("PRAGMA user_version").fetchone()[0]
    assert {"consensus_runs", "agent_outputs", "conversations"} <= tables
    assert version == len(migrations())
    for name in (
        "spec_id",
        "stage",
        "attempt",
        "consensus_ok",
        "degraded",
        "status",
        "synthesis_json",
        "agreements",
        "conflicts",
        "created_at",
    ):
        assert name in columns
    for name in (
        "run_id",
        "agent",
        "model",
        "content_json",
        "response_text",
        "usage",
        "cost",
        "created_at",
    ):
        assert name in outputs
