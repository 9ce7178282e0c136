"""``/speckit.auto`` end to end on real agents (one scripted model server each): the whole
pipeline, single flight, cancel, interrupt and resume without asking the finished stages'
agents again, validate sending the run back to implement at most twice."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from codex_lsp.protocol.ops import InterruptOp
from codex_lsp.speckit.auto import AutoState
from codex_lsp.speckit.resume import resumable
from codex_lsp.store.speckit_runs import SpeckitRuns, StageRunRecord
from codex_lsp.testing import Reply, Stall
from tests.helpers import subprocess_env
from tests.speckit.agents import running_agents
from tests.speckit.conftest import open_workspace
from tests.speckit.pipeline import (
    AGENTS,
    STAGES,
    asked,
    enqueue,
    marks,
    recorded,
    wait_until,
)


async def _left_by_a_gone_server(
    runs: SpeckitRuns, repo: Path, run_id: str, state: dict[str, Any]
) -> None:
    """A /speckit.auto run of SPEC-KIT-071 stored at ``state`` whose server is gone (claimed,
    then released without a save): what a crash or an older codex-lsp leaves."""
    await runs.auto.claim(
        repo, "SPEC-KIT-071", fresh=True, new_id=run_id, new_state=state, conversation_id=None
    )
    await runs.auto.release(run_id)


async def test_a_whole_run_writes_every_stage_file_records_consensus_and_summarises(
    fork_spec: Path, fork_repo: Path, clean_env: Path
) -> None:
    async with running_agents(clean_env, fork_repo, AGENTS) as agents:
        for stage in STAGES:
            enqueue(agents, stage)
        conversation = await agents.command("/speckit.auto SPEC-KIT-071")
        assert agents.errors(conversation) == []
        for name in ("plan.md", "tasks.md", "implement.md", "validate.md", "audit.md", "unlock.md"):
            assert (fork_spec / name).is_file(), name
        assert (fork_repo / "src/auth1.py").read_text() == "CLIENT = 1\n"
        summary = agents.answer(conversation) or ""
        assert summary.startswith("## /speckit.auto SPEC-KIT-071: completed")
        for title in ("Plan", "Tasks", "Implement", "Validate", "Audit", "Unlock"):
            assert f"| {title} | ok" in summary
        assert "| Validate | ok (pass) |" in summary
        assert "docs/SPEC-KIT-071-login/unlock.md" in summary
        assert "- Next: `/speckit.status SPEC-KIT-071`" in summary
        progress = agents.speckit(conversation, "speckitAutoProgress")
        numbers = sorted({(p["stageNumber"], p["stage"]) for p in progress})
        assert numbers == [(i + 1, s) for i, s in enumerate(STAGES)]
        assert progress[-1]["state"] == "completed" and progress[-1]["costUsd"] > 0
        assert any(p["agentsAnswered"] == 3 and p["agents"] == 3 for p in progress)
    runs = await SpeckitRuns.open(clean_env / "state.db")
    try:
        for stage in STAGES:
            (record,) = await runs.history(fork_repo, "SPEC-KIT-071", stage)
            assert record.status == "ok" and record.consensus_ok
        run = await runs.auto.latest(fork_repo, "SPEC-KIT-071")
        assert run is not None and run.status == "completed" and run.owner is None
        assert [d["stage"] for d in run.state["done"]] == list(STAGES)
    finally:
        await runs.close()


async def test_a_second_auto_on_a_live_run_starts_nothing_and_cancel_then_resume_goes_on(
    fork_spec: Path, fork_repo: Path, clean_env: Path
) -> None:
    async with running_agents(clean_env, fork_repo, AGENTS) as agents:
        agents.servers["gemini"].enqueue(Reply((Stall(30),)))
        running = asyncio.create_task(agents.command("/speckit.auto SPEC-KIT-071"))
        await wait_until(lambda: len(agents.servers["gemini"].requests) == 1)
        second = await agents.command("/speckit.auto SPEC-KIT-071")
        (refused,) = agents.errors(second)
        assert "already running in this server, at plan; nothing was started" in refused
        assert asked(agents) == ["plan"]
        third = await agents.command("/speckit.cancel SPEC-KIT-071")
        assert "Stopping /speckit.auto SPEC-KIT-071" in (agents.answer(third) or "")
        conversation = await asyncio.wait_for(running, 30)
        stopped = agents.errors(conversation)
        assert stopped and "interrupted" in stopped[0]
        assert "/speckit.cancel SPEC-KIT-071 stopped it" in stopped[0]
        assert "Resume with: `/speckit.auto SPEC-KIT-071`" in stopped[0]
        assert not (fork_spec / "plan.md").exists()
        for stage in STAGES:
            enqueue(agents, stage)
        resumed = await agents.command("/speckit.auto SPEC-KIT-071")
        assert agents.errors(resumed) == []
        assert (agents.answer(resumed) or "").startswith("## /speckit.auto SPEC-KIT-071: completed")
        assert (fork_spec / "unlock.md").is_file()


async def test_an_interrupt_stops_the_run_and_auto_resumes_at_the_unfinished_stage(
    fork_spec: Path, fork_repo: Path, clean_env: Path
) -> None:
    async with running_agents(clean_env, fork_repo, AGENTS) as agents:
        enqueue(agents, "plan")
        enqueue(agents, "tasks")
        agents.servers["gemini"].enqueue(Reply((Stall(30),)))
        running = asyncio.create_task(agents.command("/speckit.auto SPEC-KIT-071"))
        await wait_until(lambda: asked(agents).count("implement") == 1)
        conversation = agents.conversations[-1]
        agents.manager.get(conversation).submit(InterruptOp())
        await agents.log.wait_for("turnAborted", conversation, timeout=30)
        running.cancel()
        assert (fork_spec / "tasks.md").is_file() and not (fork_spec / "implement.md").exists()
        runs = await SpeckitRuns.open(clean_env / "state.db")
        try:
            run = await runs.auto.latest(fork_repo, "SPEC-KIT-071")
            assert run is not None and run.status == "interrupted" and run.owner is None
            assert run.state["stages"][run.state["position"]] == "implement"
        finally:
            await runs.close()
        before = marks(agents)
        for stage in STAGES[2:]:
            enqueue(agents, stage)
        resumed = await agents.command("/speckit.auto SPEC-KIT-071 --json")
        done = json.loads(agents.answer(resumed) or "{}")
        assert done["ok"] is True and done["state"] == "completed"
        assert [s["stage"] for s in done["stages"]] == list(STAGES)
        again = asked(agents, before)
        assert "plan" not in again and "tasks" not in again
        assert again.count("implement") == 4 and again.count("unlock") == 3


async def test_a_failed_validate_sends_the_run_back_to_implement_at_most_twice(
    fork_spec: Path, fork_repo: Path, clean_env: Path
) -> None:
    (fork_spec / "tasks.md").write_text(
        "# Tasks\n\n- [ ] T001 Add the client\n  - **Validation**: `echo validated-ok`\n"
    )
    async with running_agents(clean_env, fork_repo, AGENTS) as agents:
        for n in (1, 2, 3):
            enqueue(agents, "implement", n=n)
            enqueue(agents, "validate", decision="fail")
        conversation = await agents.command("/speckit.auto SPEC-KIT-071 --from implement --json")
        (error,) = agents.errors(conversation)
        done = json.loads(error)
        assert done["ok"] is False and done["state"] == "stopped"
        assert [s["stage"] for s in done["stages"]] == ["implement", "validate"] * 3
        assert done["validateRetries"] == 2
        assert "validate decided 'fail' after 3 implementation(s)" in done["reason"]
        assert "audit" not in asked(agents)
        assert done["next"] == "/speckit.auto SPEC-KIT-071"


@pytest.mark.slow
async def test_a_run_killed_after_tasks_resumes_without_asking_plan_or_tasks_again(
    fork_spec: Path, fork_repo: Path, clean_env: Path
) -> None:
    """``kill -9`` of the process driving the run, right after tasks.md is written: the next
    server resumes it at implement, asking the plan and tasks agents nothing."""
    async with running_agents(clean_env, fork_repo, AGENTS) as agents:
        enqueue(agents, "plan")
        enqueue(agents, "tasks")
        agents.servers["gemini"].enqueue(Reply((Stall(30),)))
        killed = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "codex-lsp"),
                "exec",
                "--full-auto",
                "/speckit.auto SPEC-KIT-071",
            ],
            cwd=fork_repo,
            env=subprocess_env(clean_env),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            await wait_until((fork_spec / "tasks.md").is_file, timeout=45)
            await wait_until(lambda: recorded(clean_env / "state.db", "tasks"), timeout=15)
            killed.send_signal(signal.SIGKILL)
            await asyncio.to_thread(killed.wait, 10)
        finally:
            if killed.poll() is None:
                killed.kill()
                killed.wait()
        assert not (fork_spec / "implement.md").exists()
        before = marks(agents)
        assert asked(agents).count("plan") == 3 and asked(agents).count("tasks") == 3
        for stage in STAGES[2:]:
            enqueue(agents, stage)
        resumed = await agents.command("/speckit.auto SPEC-KIT-071 --json")
        done = json.loads(agents.answer(resumed) or "{}")
        assert done["ok"] is True and done["state"] == "completed"
        assert [s["stage"] for s in done["stages"]] == list(STAGES)
        again = asked(agents, before)
        assert "plan" not in again and "tasks" not in again and again[0] is not None
        assert (fork_spec / "unlock.md").is_file()


async def test_a_stage_recorded_after_the_last_save_is_not_asked_again(
    fork_spec: Path, fork_repo: Path, clean_env: Path
) -> None:
    """Killed between the stage's store row and the state's save: the row says it ended."""
    async with running_agents(clean_env, fork_repo, AGENTS) as agents:
        runs = await SpeckitRuns.open(clean_env / "state.db")
        try:
            state = AutoState.start("SPEC-KIT-071", "tasks", "")
            await _left_by_a_gone_server(runs, fork_repo, "crashed", state.to_json())
            await asyncio.sleep(0.01)
            (fork_spec / "tasks.md").write_text(
                "# Tasks\n\n- [ ] T001 Add the client\n  - **Validation**: `echo validated-ok`\n"
            )
            await runs.record(
                fork_repo,
                StageRunRecord("SPEC-KIT-071", "tasks", "ok", True, False, {"answer": {}}),
            )
        finally:
            await runs.close()
        for stage in STAGES[2:]:
            enqueue(agents, stage)
        resumed = await agents.command("/speckit.auto SPEC-KIT-071 --json")
        assert agents.errors(resumed) == []
        done = json.loads(agents.answer(resumed) or "{}")
        assert done["ok"] is True and done["runId"] == "crashed"
        assert [s["stage"] for s in done["stages"]] == list(STAGES[1:])
        assert done["stages"][0]["files"] == ["docs/SPEC-KIT-071-login/tasks.md"]
        assert "tasks" not in asked(agents)


async def test_the_offer_to_resume_names_the_stage_the_resume_goes_on_at(
    fork_spec: Path, fork_repo: Path, tmp_path: Path
) -> None:
    """Killed between the tasks row and the state's save: the offer says implement, as the
    resume does, not the tasks the stale state names."""
    workspace = open_workspace(fork_repo, tmp_path / "home")
    runs = await SpeckitRuns.open(workspace.state_db)
    try:
        state = AutoState.start("SPEC-KIT-071", "tasks", "")
        await _left_by_a_gone_server(runs, fork_repo, "crashed", state.to_json())
        (offered,) = await resumable(runs, workspace)
        assert offered.stage == "tasks"
        await asyncio.sleep(0.01)
        (fork_spec / "tasks.md").write_text("# Tasks\n\n- [ ] T001 Add the client\n")
        await runs.record(
            fork_repo, StageRunRecord("SPEC-KIT-071", "tasks", "ok", True, False, {"answer": {}})
        )
        (offered,) = await resumable(runs, workspace)
    finally:
        await runs.close()
    assert offered.stage == "implement"
    assert "stopped at implement, stage 3 of 6" in offered.message


async def test_a_gate_an_older_codex_lsp_stored_as_skipped_reads_as_skipped(
    fork_spec: Path, fork_repo: Path, clean_env: Path
) -> None:
    """A run stored before the native checks held gates with no agents: its gate said why it
    was skipped, and the resumed run's summary says so (not "0 fixed, 0 asked")."""
    async with running_agents(clean_env, fork_repo, AGENTS) as agents:
        why = "/speckit.clarify has no agents ([speckit.stages])"
        skipped = {"checkpoint": "before-plan", "gate": "clarify", "auto_fixed": [], "asked": []}
        old = {
            **AutoState.start("SPEC-KIT-071", "unlock", "").to_json(),
            "gates": [{**skipped, "critical": [], "backups": [], "skipped": why}],
        }
        runs = await SpeckitRuns.open(clean_env / "state.db")
        try:
            await _left_by_a_gone_server(runs, fork_repo, "older", old)
        finally:
            await runs.close()
        enqueue(agents, "unlock")
        resumed = await agents.command("/speckit.auto SPEC-KIT-071")
        summary = agents.answer(resumed) or ""
        assert summary.startswith("## /speckit.auto SPEC-KIT-071: completed"), summary
        assert f"- Quality gate before-plan (clarify): skipped, {why}" in summary
        assert "0 fixed automatically" not in summary
