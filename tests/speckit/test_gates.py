"""Quality gates of ``/speckit.auto`` on real agents: agreeing minor auto-fix answers are
written into spec.md (a timestamped backup first) and asked nothing; a critical need-human
issue holds the run (no plan request while it is open) until it is answered, which edits the
file and lets the plan stage start; the fork's decision matrix and merging by id."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from codex_lsp.config.loader import load_layered
from codex_lsp.speckit.gate_run import answer_issue
from codex_lsp.speckit.gates import Confidence, Decision, apply_answer, decide, merge
from codex_lsp.speckit.issues import Magnitude, Resolvability
from codex_lsp.speckit.workspace import Workspace
from codex_lsp.speckit.writer import SinkWriter
from codex_lsp.store.speckit_runs import SpeckitRuns
from codex_lsp.tools.files import DiskSink
from tests.speckit.agents import Agents, answering, running_agents
from tests.speckit.pipeline import AGENTS, STAGES, THREE, asked, enqueue, wait_until

GATES = '[speckit.stages]\nclarify = ["gemini", "claude", "gpt_pro"]\n'


def clarify_answer(agent: str, *issues: dict[str, Any]) -> dict[str, Any]:
    """A clarify answer raising ``issues``."""
    return {
        "stage": "clarify",
        "agent": agent,
        "issues": list(issues),
        "consensus": {
            "agreements": ["issues listed"] if agent == "gpt_pro" else [],
            "conflicts": [],
        },
    }


def issue(
    issue_id: str,
    question: str,
    answer: str,
    magnitude: str = "minor",
    resolvability: str = "auto-fix",
    context: str = "",
) -> dict[str, Any]:
    """One issue of a gate answer."""
    return {
        "id": issue_id,
        "type": "ambiguity",
        "question": question,
        "answer": answer,
        "confidence": "high",
        "magnitude": magnitude,
        "resolvability": resolvability,
        "context": context,
        "suggested_fix": "",
        "reasoning": "because",
        "affected_artifacts": ["spec.md"],
    }


def enqueue_gate(agents: Agents, answers: dict[str, dict[str, Any]]) -> None:
    for name in THREE:
        agents.servers[name].enqueue(answering(clarify_answer(name, answers[name])))


async def test_three_agreeing_minor_auto_fix_answers_edit_spec_md_after_a_backup(
    fork_spec: Path, fork_repo: Path, clean_env: Path
) -> None:
    before = (fork_spec / "spec.md").read_text()
    async with running_agents(clean_env, fork_repo, AGENTS, extra=GATES) as agents:
        enqueue_gate(
            agents,
            {n: issue("CLR-001", "How fast must FR-001 redirect?", "within 200 ms") for n in THREE},
        )
        for stage in STAGES:
            enqueue(agents, stage)
        conversation = await agents.command("/speckit.auto SPEC-KIT-071")
        assert agents.errors(conversation) == []
        spec = (fork_spec / "spec.md").read_text()
        assert "within 200 ms. (clarified: within 200 ms)" in spec
        (backup,) = fork_spec.glob("spec.backup_*.md")
        assert backup.read_text() == before
        gates = {g["checkpoint"]: g for g in agents.speckit(conversation, "speckitGate")}
        gate = gates["before-plan"]  # the later two are the native checks'
        assert gate["autoFixed"] == ["CLR-001"] and gate["asked"] == []
        summary = agents.answer(conversation) or ""
        assert "- Quality gate before-plan (clarify): 1 fixed automatically (backup " in summary
        assert "0 asked" in summary
        # the edit went through the conversation's file sink, as an agent's does
        assert "turnDiff" in [m["type"] for m in agents.log.msgs(conversation)]


async def test_a_critical_need_human_issue_holds_the_run_until_it_is_answered(
    fork_spec: Path, fork_repo: Path, clean_env: Path
) -> None:
    async with running_agents(clean_env, fork_repo, AGENTS, extra=GATES) as agents:
        question = "Which identity provider does sign-in use?"
        enqueue_gate(
            agents,
            {
                "gemini": issue("CLR-009", question, "Okta", "critical", "need-human"),
                "claude": issue("CLR-009", question, "Auth0", "critical", "need-human"),
                "gpt_pro": issue("CLR-009", question, "Okta", "important", "suggest-fix"),
            },
        )
        for stage in STAGES:
            enqueue(agents, stage)
        running = asyncio.create_task(agents.command("/speckit.auto SPEC-KIT-071"))
        await wait_until(lambda: bool(agents.conversations))
        conversation = agents.conversations[-1]
        await agents.log.wait_for("speckitGate", conversation, timeout=30)
        (gate,) = agents.speckit(conversation, "speckitGate")
        assert gate["asked"] == ["CLR-009"] and gate["critical"] == ["CLR-009"]
        (shown,) = gate["questions"]  # what a panel shows: the question, its answers as buttons
        assert shown["issueId"] == "CLR-009" and shown["question"] == question
        assert shown["magnitude"] == "critical" and shown["options"] == ["Okta", "Auth0"]
        assert shown["file"] == "docs/SPEC-KIT-071-login/spec.md"
        await asyncio.sleep(1.5)  # the run would have asked the plan agents by now
        assert "plan" not in asked(agents)
        waiting = agents.speckit(conversation, "speckitAutoProgress")[-1]
        assert waiting["state"] == "waiting" and "CLR-009" in waiting["reason"]
        runs = await SpeckitRuns.open(clean_env / "state.db")
        try:
            (open_issue,) = await runs.auto.open_issues(fork_repo)
            assert open_issue.issue_id == "CLR-009" and open_issue.magnitude == "critical"
            assert open_issue.data["confidence"] == "medium"  # two of three said Okta
            assert open_issue.data["options"] == ["Okta", "Auth0"]
            config = load_layered(home=clean_env, workspace=fork_repo).config
            workspace = Workspace.open(fork_repo, config, clean_env)
            await answer_issue(
                runs, workspace, open_issue, "Okta", SinkWriter(DiskSink(), fork_repo)
            )
        finally:
            await runs.close()
        assert (
            "- CLR-009: Which identity provider does sign-in use? → Okta"
            in (fork_spec / "spec.md").read_text()
        )
        await asyncio.wait_for(running, 40)
        assert (agents.answer(conversation) or "").startswith(
            "## /speckit.auto SPEC-KIT-071: completed"
        )
        assert asked(agents).count("plan") == 3


def test_merging_by_id_takes_the_highest_magnitude_and_need_human_from_any() -> None:
    answers = {
        "a": clarify_answer("a", issue("Q1", "q?", "yes", "minor", "auto-fix")),
        "b": clarify_answer("b", issue("Q1", "q?", "Yes.", "critical", "need-human")),
        "c": clarify_answer(
            "c", issue("Q1", "q?", "no", "minor", "auto-fix"), issue("Q2", "r?", "x")
        ),
    }
    merged = {i.id: i for i in merge("clarify", answers, 3)}
    assert merged["Q1"].magnitude is Magnitude.CRITICAL
    assert merged["Q1"].resolvability is Resolvability.NEED_HUMAN
    assert merged["Q1"].confidence is Confidence.MEDIUM and merged["Q1"].majority == "yes"
    assert merged["Q2"].confidence is Confidence.LOW  # one of three raised it
    assert decide(merged["Q1"]) is Decision.ASK and decide(merged["Q2"]) is Decision.ASK


def test_the_decision_matrix() -> None:
    def one(confidence_votes: int, magnitude: str, resolvability: str) -> Decision:
        answers = {
            f"a{n}": clarify_answer("x", issue("Q", "q?", "yes", magnitude, resolvability))
            for n in range(confidence_votes)
        }
        return decide(merge("clarify", answers, 3)[0])

    assert one(3, "minor", "auto-fix") is Decision.AUTO_FIX
    assert one(3, "minor", "suggest-fix") is Decision.AUTO_FIX
    assert one(3, "important", "auto-fix") is Decision.AUTO_FIX
    assert one(3, "important", "suggest-fix") is Decision.ASK
    assert one(2, "minor", "auto-fix") is Decision.AUTO_FIX
    assert one(2, "important", "auto-fix") is Decision.ARBITER
    assert one(3, "critical", "auto-fix") is Decision.ASK
    assert one(1, "minor", "auto-fix") is Decision.ASK


def test_an_answer_goes_after_its_requirement_or_into_clarifications() -> None:
    text = "# Spec\n\n- **FR-002**: reject expired tokens.\n\n## Notes\n\nx\n"
    answers = {"a": clarify_answer("a", issue("Q1", "What code for FR-002?", "401"))}
    (q1,) = merge("clarify", answers, 1)
    edit = apply_answer(text, q1, "HTTP 401\nwith a body")
    assert (
        edit.line == 2 and "reject expired tokens. (clarified: HTTP 401 with a body)" in edit.text
    )
    other = merge("clarify", {"a": clarify_answer("a", issue("Q2", "Which IdP?", "Okta"))}, 1)[0]
    first = apply_answer(text, other, "Okta")
    assert first.text.endswith("## Clarifications\n\n- Q2: Which IdP? → Okta\n")
    second = apply_answer(first.text, other, "Auth0")
    assert second.text.endswith("- Q2: Which IdP? → Okta\n- Q2: Which IdP? → Auth0\n")
    assert second.text.splitlines()[second.line] == "- Q2: Which IdP? → Auth0"
