"""Consensus outcomes as pure functions."""

from __future__ import annotations

from codex_lsp.speckit.consensus import (
    Ballot,
    Status,
    Verdict,
    decide,
    needs_escalation,
    resume_command,
)
from tests.speckit.answers import plan_answer

AGENTS = ("gemini", "claude", "gpt_pro")


def _decide(answers: dict[str, dict], failures: dict[str, str] | None = None, resume: str = "/r"):  # type: ignore[no-untyped-def]
    arbiter = answers.get("gpt_pro")
    return decide(
        Ballot(
            spec_id="SPEC-KIT-071",
            stage="plan",
            participants=AGENTS,
            answers=answers,
            failures=failures or {},
            arbiter="gpt_pro",
            verdict=Verdict.of(arbiter) if arbiter else None,
            required=2,
            resume=resume,
        )
    )


def test_three_agreeing_answers_are_ok() -> None:
    outcome = _decide({a: plan_answer(a, agreements=("one step",)) for a in AGENTS})
    assert outcome.status is Status.OK and outcome.consensus_ok and not outcome.degraded
    assert outcome.stands and outcome.agreements == ("one step",)
    assert (
        outcome.message
        == "Plan for SPEC-KIT-071: consensus ok (3 of 3 agents: gemini, claude, gpt_pro)."
    )


def test_one_failing_agent_is_degraded_and_named() -> None:
    answers = {a: plan_answer(a) for a in ("claude", "gpt_pro")}
    outcome = _decide(answers, {"gemini": "HTTP 500 after 3 attempts"})
    assert outcome.status is Status.DEGRADED and outcome.degraded and outcome.stands
    assert outcome.missing == {"gemini": "HTTP 500 after 3 attempts"}
    assert "gemini did not answer (HTTP 500 after 3 attempts). The stage stands." in outcome.message


def test_two_failing_agents_fail_naming_both_and_the_resume_command() -> None:
    resume = resume_command("SPEC-KIT-071", "plan", pipeline=True)
    assert resume == "/speckit.auto SPEC-KIT-071 --from plan"
    outcome = _decide(
        {"gpt_pro": plan_answer("gpt_pro")},
        {"gemini": "HTTP 500", "claude": "timed out after 1200 s"},
        resume,
    )
    assert outcome.status is Status.FAILED and not outcome.stands
    assert "only 1 of 3 agents answered (it needs 2)" in outcome.message
    assert "gemini: HTTP 500; claude: timed out after 1200 s" in outcome.message
    assert outcome.message.endswith("resume with: /speckit.auto SPEC-KIT-071 --from plan")
    assert resume_command("SPEC-KIT-071", "plan", pipeline=False) == "/speckit.plan SPEC-KIT-071"


def test_the_arbiters_conflicts_are_a_conflict_that_escalates_once() -> None:
    answers = {a: plan_answer(a) for a in AGENTS}
    answers["gpt_pro"] = plan_answer("gpt_pro", conflicts=("step order",))
    outcome = _decide(answers)
    assert outcome.status is Status.CONFLICT and not outcome.stands
    assert "the agents conflict on: step order" in outcome.message
    assert needs_escalation(outcome, escalated=False) and not needs_escalation(
        outcome, escalated=True
    )


def test_a_missing_arbiter_is_degraded() -> None:
    outcome = _decide({a: plan_answer(a) for a in ("gemini", "claude")}, {"gpt_pro": "HTTP 429"})
    assert outcome.status is Status.DEGRADED and not outcome.arbiter_answered
    assert "gpt_pro did not answer (HTTP 429)" in outcome.message


def test_a_single_agent_stage_needs_its_one_answer() -> None:
    ok = decide(
        Ballot(
            spec_id="S",
            stage="tasks",
            participants=["default"],
            answers={"default": {}},
            failures={},
            arbiter="default",
            verdict=Verdict(),
            required=1,
            resume="/r",
        )
    )
    assert ok.status is Status.OK
    failed = decide(
        Ballot(
            spec_id="S",
            stage="tasks",
            participants=["default"],
            answers={},
            failures={"default": "no key"},
            arbiter="default",
            verdict=None,
            required=1,
            resume="/r",
        )
    )
    assert failed.status is Status.FAILED and "default: no key" in failed.message
