"""A stage run end to end with scripted agents: prompts, retries with guidance, consensus
(ok, degraded, failed, conflict with escalation), the stage file, the store rows, the evidence,
cost and the budget, in both layouts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from codex_lsp.errors import BudgetExceededError, SpeckitError
from codex_lsp.protocol.items import TokenUsage
from codex_lsp.protocol.policies import ReasoningEffort
from codex_lsp.protocol.speckit_events import SpeckitEvent
from codex_lsp.speckit.agent_calls import AgentFailure
from codex_lsp.speckit.consensus import Status
from codex_lsp.speckit.engine import StageRun
from codex_lsp.speckit.stage_sinks import DiskWriter
from codex_lsp.speckit.stage_state import RunOptions
from codex_lsp.speckit.tasks_md import parse_tasks
from codex_lsp.store.speckit_runs import SpeckitRuns
from tests.speckit.answers import plan_answer, tasks_answer
from tests.speckit.conftest import open_workspace
from tests.speckit.driver import ScriptedRunner, drive

AGENTS = "".join(
    f'[[agents]]\nname = "{name}"\nprovider = "openai"\nmodel = "{model}"\n'
    for name, model in (
        ("gemini", "gemini-2.5-flash"),
        ("claude", "claude-haiku-4-5"),
        ("gpt_codex", "gpt-5-codex"),
        ("gpt_pro", "gpt-5"),
    )
)
EVIDENCE = Path("docs/SPEC-OPS-004-integrated-coder-hooks/evidence")
HTTP_500 = AgentFailure("HTTP 500 Internal Server Error", retryable=True)


class Events(list[Any]):
    """The events a run emitted."""

    def __call__(self, event: SpeckitEvent) -> None:
        self.append(event)

    def types(self) -> list[str]:
        return [e.type for e in self]


async def _run_plan(
    root: Path,
    home: Path,
    runner: ScriptedRunner,
    runs: SpeckitRuns | None,
    toml: str = AGENTS,
    spec: str = "SPEC-KIT-071",
    stage: str = "plan",
    pipeline: bool = False,
    task: str | None = None,
) -> tuple[Any, Events, StageRun]:
    ws = open_workspace(root, home, toml)
    events = Events()
    packet = ws.layout.resolve(spec)
    run = await StageRun.prepare(
        ws,
        packet,
        stage,
        emitter=events,
        options=RunOptions(runs=runs, session_id="conv-1", pipeline=pipeline, task=task),
    )
    outcome = await drive(run, runner)
    result = await run.finish(outcome, DiskWriter(ws))
    return result, events, run


async def test_three_agreeing_agents_write_plan_md_record_and_leave_evidence(
    fork_spec: Path, fork_repo: Path, tmp_path: Path, runs: SpeckitRuns
) -> None:
    runner = ScriptedRunner(
        {
            "gemini": [plan_answer("gemini", steps=("Research the auth code",))],
            "claude": [plan_answer("claude", steps=("Add the OAuth client", "Add the callback"))],
            "gpt_pro": [
                plan_answer(
                    "gpt_pro",
                    steps=("Add the OAuth client", "Add the callback"),
                    agreements=("two steps",),
                )
            ],
        }
    )
    result, events, _ = await _run_plan(fork_repo, tmp_path / "home", runner, runs)
    assert result.outcome.status is Status.OK
    plan = (fork_spec / "plan.md").read_text()
    assert plan.startswith("# Plan: SPEC-KIT-071 — Login\n")
    assert "**Consensus**: ok" in plan and "**Agents**: gemini, claude, gpt_pro" in plan
    assert "## Work Breakdown\n\n1. **Add the OAuth client** — because gpt_pro" in plan
    assert "2. **Add the callback**" in plan and "Research the auth code" not in plan
    assert "| FR-001 | pytest tests/auth | report |" in plan
    assert "| token leak | sec | encrypt at rest |" in plan
    assert "- Status: **ok**" in plan and "### Agreements\n\n- two steps" in plan
    assert "## Evidence References" in plan and "spec-plan_" in plan
    latest = (await runs.latest(fork_repo, "SPEC-KIT-071"))["plan"]
    assert (latest.status, latest.consensus_ok, latest.degraded, latest.attempt) == (
        "ok",
        True,
        False,
        1,
    )
    assert [(o.agent, o.model, o.role) for o in latest.outputs] == [
        ("gemini", "gemini-2.5-flash", "agent"),
        ("claude", "claude-haiku-4-5", "agent"),
        ("gpt_pro", "gpt-5", "arbiter"),
    ]
    assert latest.outputs[0].conversation_id == "conv-gemini-1"
    assert latest.synthesis is not None and latest.synthesis["agreements"] == ["two steps"]
    for request in runner.requests:
        assert "The system MUST redirect to the identity provider within 200 ms." in request.prompt
        assert '"work_breakdown"' in request.prompt and request.schema["properties"]["stage"][
            "enum"
        ] == ["plan"]
        assert "Return the JSON as your final response." in request.prompt
        assert request.read_only and request.schema_name == "speckit_plan_answer"
    gemini, claude, arbiter = runner.requests
    assert "Answers of the other agents" not in gemini.prompt
    assert "Research the auth code" in claude.prompt and "### gemini" in claude.prompt
    assert (
        "### gemini" in arbiter.prompt
        and "### claude" in arbiter.prompt
        and arbiter.role == "arbiter"
    )
    commands = sorted((fork_repo / EVIDENCE / "commands" / "SPEC-KIT-071").iterdir())
    telemetry = json.loads(commands[0].read_text())
    assert telemetry["schemaVersion"] == 1 and telemetry["specId"] == "SPEC-KIT-071"
    assert telemetry["sessionId"] == "conv-1" and telemetry["baseline"]["status"] == "passed"
    assert telemetry["artifacts"] == [{"path": "docs/SPEC-KIT-071-login/plan.md"}]
    verdicts = list((fork_repo / EVIDENCE / "consensus" / "SPEC-KIT-071").glob("*_verdict.json"))
    verdict = json.loads(verdicts[0].read_text())
    assert verdict["missing_agents"] == [] and verdict["consensus_ok"] is True
    assert events.types()[0] == "speckitStageStarted" and events.types()[-2:] == [
        "speckitConsensus",
        "speckitStageCompleted",
    ]
    assert events.types().count("speckitAgentStarted") == 3


async def test_prose_then_json_is_retried_with_guidance(
    fork_spec: Path, fork_repo: Path, tmp_path: Path, runs: SpeckitRuns
) -> None:
    echo = plan_answer("claude")
    echo["work_breakdown"] = [{"step": "string", "rationale": "string", "success_signal": "string"}]
    runner = ScriptedRunner(
        {
            "gemini": [plan_answer("gemini")],
            "claude": ["I would start with the OAuth client.", echo, plan_answer("claude")],
            "gpt_pro": [plan_answer("gpt_pro")],
        }
    )
    result, events, _ = await _run_plan(fork_repo, tmp_path / "home", runner, runs)
    assert result.outcome.status is Status.OK
    first, second, third = runner.of("claude")
    assert not first.prompt.startswith("Your previous answer")
    assert second.prompt.startswith(
        "Your previous answer (attempt 1 of 3) could not be used: "
        "the reply contained no JSON object"
    )
    assert '"work_breakdown"' in second.prompt
    assert third.prompt.startswith("Your previous answer (attempt 2 of 3)")
    assert "repeats the schema template" in third.prompt
    retries = [e for e in events if e.type == "speckitAgentRetry"]
    assert [(e.agent, e.attempt) for e in retries] == [("claude", 2), ("claude", 3)]
    assert retries[0].guidance == second.prompt.split("\n\n")[0]
    claude = next(
        o
        for o in (await runs.latest(fork_repo, "SPEC-KIT-071"))["plan"].outputs
        if o.agent == "claude"
    )
    assert claude.attempts == 3 and claude.content == plan_answer("claude")


async def test_one_agent_failing_every_attempt_is_degraded_and_the_stage_stands(
    fork_spec: Path, fork_repo: Path, tmp_path: Path, runs: SpeckitRuns
) -> None:
    runner = ScriptedRunner(
        {
            "gemini": [HTTP_500],
            "claude": [plan_answer("claude")],
            "gpt_pro": [plan_answer("gpt_pro")],
        }
    )
    result, _, run = await _run_plan(fork_repo, tmp_path / "home", runner, runs)
    assert len(runner.of("gemini")) == 3
    assert result.outcome.status is Status.DEGRADED
    assert result.outcome.missing == {
        "gemini": "HTTP 500 Internal Server Error (after 3 attempt(s))"
    }
    assert "gemini did not answer" in result.outcome.message
    assert (fork_spec / "plan.md").is_file()
    assert "- Missing: gemini" in (fork_spec / "plan.md").read_text()
    latest = (await runs.latest(fork_repo, "SPEC-KIT-071"))["plan"]
    assert (latest.status, latest.degraded) == ("degraded", True)
    assert [o.agent for o in latest.outputs if o.content is None] == ["gemini"]
    assert run.retry_delay_s(2) == 1.0 and run.retry_delay_s(3) == 2.0


async def test_two_failing_agents_change_no_file_and_name_both_with_the_resume(
    fork_spec: Path, fork_repo: Path, tmp_path: Path, runs: SpeckitRuns
) -> None:
    (fork_spec / "plan.md").write_text("my old plan\n")
    runner = ScriptedRunner(
        {
            "gemini": [HTTP_500],
            "claude": [AgentFailure("401 Unauthorized: check ANTHROPIC_API_KEY", retryable=False)],
            "gpt_pro": [plan_answer("gpt_pro")],
        }
    )
    result, events, _ = await _run_plan(fork_repo, tmp_path / "home", runner, runs, pipeline=True)
    assert (
        result.outcome.status is Status.FAILED and result.files == [] and result.synthesis is None
    )
    assert (fork_spec / "plan.md").read_text() == "my old plan\n"
    assert len(runner.of("claude")) == 1
    message = result.outcome.message
    assert "gemini: HTTP 500" in message and "claude: 401 Unauthorized" in message
    assert message.endswith(
        "Resume with: /speckit.auto SPEC-KIT-071 --from plan".replace("Resume", "resume")
    )
    completed = events[-1]
    assert completed.type == "speckitStageCompleted" and completed.status == "failed"
    assert completed.resume == "/speckit.auto SPEC-KIT-071 --from plan"
    assert (await runs.latest(fork_repo, "SPEC-KIT-071"))["plan"].status == "failed"


async def test_a_conflict_asks_the_arbiter_again_at_high_effort_with_both_proposals(
    fork_spec: Path, fork_repo: Path, tmp_path: Path, runs: SpeckitRuns
) -> None:
    runner = ScriptedRunner(
        {
            "gemini": [plan_answer("gemini", steps=("Tests first",))],
            "claude": [plan_answer("claude", steps=("Code first",))],
            "gpt_pro": [
                plan_answer("gpt_pro", conflicts=("step order",)),
                plan_answer(
                    "gpt_pro",
                    steps=("Tests first", "Code"),
                    agreements=("step order: tests first",),
                ),
            ],
        }
    )
    result, events, _ = await _run_plan(fork_repo, tmp_path / "home", runner, runs)
    first, second = runner.of("gpt_pro")
    assert first.reasoning_effort is None and second.reasoning_effort is ReasoningEffort.HIGH
    assert "your first answer left these conflicts open: step order" in second.prompt
    assert "Tests first" in second.prompt and "Code first" in second.prompt
    assert result.outcome.status is Status.OK
    consensus = next(e for e in events if e.type == "speckitConsensus")
    assert consensus.escalated
    latest = (await runs.latest(fork_repo, "SPEC-KIT-071"))["plan"]
    assert latest.synthesis is not None and latest.synthesis["agreements"] == [
        "step order: tests first"
    ]


async def test_a_conflict_that_remains_stops_without_writing(
    fork_spec: Path, fork_repo: Path, tmp_path: Path, runs: SpeckitRuns
) -> None:
    runner = ScriptedRunner(
        {
            "gemini": [plan_answer("gemini")],
            "claude": [plan_answer("claude")],
            "gpt_pro": [plan_answer("gpt_pro", conflicts=("which database",))],
        }
    )
    result, _, _ = await _run_plan(fork_repo, tmp_path / "home", runner, runs)
    assert len(runner.of("gpt_pro")) == 2
    assert result.outcome.status is Status.CONFLICT and not (fork_spec / "plan.md").exists()
    assert "conflict on: which database" in result.outcome.message
    assert (await runs.latest(fork_repo, "SPEC-KIT-071"))["plan"].conflicts == ("which database",)


async def test_a_budget_warns_at_80_and_100_percent_and_hard_stop_stops(
    fork_spec: Path, fork_repo: Path, tmp_path: Path, runs: SpeckitRuns
) -> None:
    toml = AGENTS + (
        "[speckit]\nbudget_usd = 0.10\nhard_stop = true\n"
        '[speckit.pricing."gemini"]\ninput = 10\noutput = 30\n'
        '[speckit.pricing."claude"]\ninput = 10\noutput = 30\n'
        '[speckit.pricing."gpt-5"]\ninput = 10\noutput = 30\n'
    )
    usage = TokenUsage(input_tokens=1000, output_tokens=1000)  # $0.04 a call at 10/30
    implement = {
        "stage": "implement",
        "agent": "x",
        "approach": [],
        "operations": [],
        "patch": "*** Begin Patch\n*** End Patch",
        "test_commands": [],
        "risks": [],
        "rationale": "",
        "consensus": {"agreements": [], "conflicts": []},
    }
    runner = ScriptedRunner(
        {a: [implement] for a in ("gemini", "claude", "gpt_codex", "gpt_pro")}, usage
    )
    result, events, _ = await _run_plan(
        fork_repo, tmp_path / "home", runner, runs, toml, stage="implement"
    )
    assert [r.agent.name for r in runner.requests] == ["gemini", "claude", "gpt_codex"]
    alerts = [(e.alert, e.message) for e in events if e.type == "speckitCost" and e.alert]
    assert alerts == [
        ("warning", "SPEC-KIT-071 budget warning: $0.08 of $0.10 spent (80%)"),
        ("critical", "SPEC-KIT-071 budget critical: $0.12 of $0.10 spent (120%)"),
        ("exceeded", "SPEC-KIT-071 budget EXCEEDED: $0.12 of $0.10 spent ($0.02 over budget)"),
    ]
    assert (
        "not asked: SPEC-KIT-071 has spent $0.12 of its $0.10 budget"
        in result.outcome.missing["gpt_pro"]
    )
    summary = json.loads(
        (fork_repo / EVIDENCE / "costs" / "SPEC-KIT-071_cost_summary.json").read_text()
    )
    assert summary["call_count"] == 3 and summary["total_spent"] == pytest.approx(0.12)
    assert summary["per_stage"] == {"implement": pytest.approx(0.12)}
    ws = open_workspace(fork_repo, tmp_path / "home", toml)
    with pytest.raises(BudgetExceededError):
        await StageRun.prepare(ws, ws.layout.resolve("071"), "plan", emitter=Events())


async def test_github_layout_plan_writes_the_feature_folder_only(
    github_repo: Path, tmp_path: Path, runs: SpeckitRuns
) -> None:
    runner = ScriptedRunner({"default": [plan_answer("default", agreements=("single agent",))]})
    result, _, _ = await _run_plan(
        github_repo, tmp_path / "home", runner, runs, toml='model = "m"\n', spec="001"
    )
    feature = github_repo / "specs" / "001-user-auth"
    assert result.outcome.status is Status.OK
    assert sorted(p.name for p in result.files) == ["data-model.md", "plan.md", "research.md"]
    assert (feature / "plan.md").read_text().startswith("# Plan: 001-user-auth — User auth")
    assert "## auth code" in (feature / "research.md").read_text()
    assert not (github_repo / "docs").exists() and not (github_repo / "SPEC.md").exists()
    assert list((github_repo / ".specify" / "evidence" / "commands" / "001-user-auth").iterdir())
    constitution = runner.requests[0].prompt
    assert "# Demo Constitution" in constitution and "System MUST let users sign in" in constitution


async def test_evidence_over_the_hard_limit_refuses_the_run_and_over_the_soft_warns(
    fork_spec: Path, fork_repo: Path, tmp_path: Path
) -> None:
    folder = fork_repo / EVIDENCE / "commands" / "SPEC-KIT-071"
    folder.mkdir(parents=True)
    (folder / "old.json").write_bytes(b"x" * 30_000)
    toml = "[speckit]\nevidence_soft_limit_mb = 0.02\nevidence_hard_limit_mb = 0.05\n"
    ws = open_workspace(fork_repo, tmp_path / "home", toml)
    events = Events()
    await StageRun.prepare(ws, ws.layout.resolve("071"), "plan", emitter=events)
    assert "over the soft limit of 0.02 MB" in events[0].warnings[0]
    (folder / "more.json").write_bytes(b"x" * 30_000)
    with pytest.raises(SpeckitError, match="over the hard limit"):
        await StageRun.prepare(ws, ws.layout.resolve("071"), "plan", emitter=events)


async def test_a_parallel_stage_keeps_the_agents_apart_and_shows_the_arbiter_all(
    fork_spec: Path, fork_repo: Path, tmp_path: Path
) -> None:
    validate = {
        "stage": "validate",
        "agent": "x",
        "test_strategy": ["unit"],
        "commands": [{"command": "pytest -q", "purpose": "unit"}],
        "scenarios": [],
        "acceptance_mapping": [],
        "gaps": [],
        "rollback_plan": "revert",
        "decision": "pass",
        "consensus": {"agreements": [], "conflicts": []},
    }
    runner = ScriptedRunner(
        {a: [{**validate, "agent": a}] for a in ("gemini", "claude", "gpt_pro")}
    )
    await _run_plan(fork_repo, tmp_path / "home", runner, None, stage="validate")
    _, claude, arbiter = runner.requests
    assert "Answers of the other agents" not in claude.prompt
    assert "### gemini" in arbiter.prompt and "### claude" in arbiter.prompt
    text = (fork_spec / "validate.md").read_text()
    assert "| `pytest -q` | unit |" in text and "## Decision\n\n**pass**" in text


async def test_tasks_synthesis_is_read_back_by_the_task_parser_and_one_task_is_implemented(
    fork_spec: Path, fork_repo: Path, tmp_path: Path
) -> None:
    runner = ScriptedRunner({a: [tasks_answer(a)] for a in ("gemini", "claude", "gpt_pro")})
    await _run_plan(fork_repo, tmp_path / "home", runner, None, stage="tasks")
    tasks = parse_tasks((fork_spec / "tasks.md").read_text())
    assert [(t.id, t.parallel, t.story, t.validation) for t in tasks] == [
        ("T001", True, None, "pytest -q"),
        ("T002", False, "US1", None),
    ]
    assert tasks[1].paths == ("src/auth/callback.py",) and tasks[0].phase == "Phase 1: Setup"
    implement = {
        "stage": "implement",
        "agent": "x",
        "approach": [{"task_id": "T002", "summary": "callback"}],
        "operations": [
            {"file": "src/auth/callback.py", "change_type": "add", "description": "new"}
        ],
        "patch": "*** Begin Patch\n*** Add File: src/auth/callback.py\n+pass\n*** End Patch",
        "test_commands": ["pytest -q"],
        "risks": [],
        "rationale": "small",
        "consensus": {"agreements": [], "conflicts": []},
    }
    runner = ScriptedRunner({a: [implement] for a in ("gemini", "claude", "gpt_codex", "gpt_pro")})
    await _run_plan(fork_repo, tmp_path / "home", runner, None, stage="implement", task="T002")
    prompt = runner.requests[0].prompt
    assert (
        "## The task to implement (T002, tasks.md)\n- [ ] T002 [US1] Implement the callback"
        in prompt
    )
    assert "T001 [P] Add the OAuth settings" not in prompt
    assert "*** Add File: src/auth/callback.py" in (fork_spec / "implement.md").read_text()
    with pytest.raises(SpeckitError, match="has no task T099"):
        await _run_plan(fork_repo, tmp_path / "home", runner, None, stage="implement", task="T099")
