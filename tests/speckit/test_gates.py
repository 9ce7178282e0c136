"""Quality gates of ``/speckit.auto`` on real agents: agreeing minor auto-fix answers are
written into spec.md (a timestamped backup first) and asked nothing; a critical need-human
issue holds the run (no plan request while it is open) until it is answered, which edits the
file and lets the plan stage start; the fork's decision matrix and merging by id."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from codex_lsp.config.loader import load_layered
from codex_lsp.protocol.ops import InterruptOp
from codex_lsp.speckit.auto import AutoState, GateOutcome
from codex_lsp.speckit.gate_run import answer_issue, still_open
from codex_lsp.speckit.gates import Confidence, Decision, apply_answer, decide, merge
from codex_lsp.speckit.issues import Magnitude, Resolvability
from codex_lsp.speckit.workspace import Workspace
from codex_lsp.speckit.writer import SinkWriter
from codex_lsp.store.speckit_auto import IssueRow
from codex_lsp.store.speckit_runs import SpeckitRuns
from codex_lsp.tools.files import DiskSink
from tests.speckit.agents import answering, running_agents
from tests.speckit.pipeline import AGENTS, STAGES, THREE, HasServers, asked, enqueue, wait_until

GATES = '[speckit.stages]\nclarify = ["gemini", "claude", "gpt_pro"]\n'
QUESTION = "Which identity provider does sign-in use?"


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


def enqueue_gate(agents: HasServers, answers: Mapping[str, Sequence[dict[str, Any]]]) -> None:
    """The clarify agents' answers: each raises its ``answers``."""
    for name in THREE:
        agents.servers[name].enqueue(answering(clarify_answer(name, *answers[name])))


def critical_gate(context: str = "", *more: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The clarify agents' issues: CLR-009 (:data:`QUESTION`) critical and need-human (gemini
    and claude; gemini and gpt_pro say Okta, claude Auth0), then ``more`` from each."""
    raised = {
        "gemini": issue("CLR-009", QUESTION, "Okta", "critical", "need-human", context),
        "claude": issue("CLR-009", QUESTION, "Auth0", "critical", "need-human", context),
        "gpt_pro": issue("CLR-009", QUESTION, "Okta", "important", "suggest-fix", context),
    }
    return {name: [found, *more] for name, found in raised.items()}


async def answer_open(home: Path, root: Path, issue_id: str, answer: str) -> None:
    """Answer the open issue ``issue_id`` of the workspace ``root`` as a code action does
    (through a sink writing to disk), from a store of its own."""
    runs = await SpeckitRuns.open(home / "state.db")
    try:
        (row,) = [r for r in await runs.auto.open_issues(root) if r.issue_id == issue_id]
        config = load_layered(home=home, workspace=root).config
        workspace = Workspace.open(root, config, home)
        await answer_issue(runs, workspace, row, answer, SinkWriter(DiskSink(), root))
    finally:
        await runs.close()


async def test_three_agreeing_minor_auto_fix_answers_edit_spec_md_after_a_backup(
    fork_spec: Path, fork_repo: Path, clean_env: Path
) -> None:
    before = (fork_spec / "spec.md").read_text()
    async with running_agents(clean_env, fork_repo, AGENTS, extra=GATES) as agents:
        enqueue_gate(
            agents,
            {
                n: [issue("CLR-001", "How fast must FR-001 redirect?", "within 200 ms")]
                for n in THREE
            },
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
        enqueue_gate(agents, critical_gate())
        for stage in STAGES:
            enqueue(agents, stage)
        running = asyncio.create_task(agents.command("/speckit.auto SPEC-KIT-071"))
        await wait_until(lambda: bool(agents.conversations))
        conversation = agents.conversations[-1]
        await agents.log.wait_for("speckitGate", conversation, timeout=30)
        (gate,) = agents.speckit(conversation, "speckitGate")
        assert gate["asked"] == ["CLR-009"] and gate["critical"] == ["CLR-009"]
        (shown,) = gate["questions"]  # what a panel shows: the question, its answers as buttons
        assert shown["issueId"] == "CLR-009" and shown["question"] == QUESTION
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
        finally:
            await runs.close()
        await answer_open(clean_env, fork_repo, "CLR-009", "Okta")
        assert (
            "- CLR-009: Which identity provider does sign-in use? → Okta"
            in (fork_spec / "spec.md").read_text()
        )
        await asyncio.wait_for(running, 40)
        assert (agents.answer(conversation) or "").startswith(
            "## /speckit.auto SPEC-KIT-071: completed"
        )
        assert asked(agents).count("plan") == 3


async def test_an_interrupted_wait_resumed_in_a_new_conversation_sends_the_open_questions_again(
    fork_spec: Path, fork_repo: Path, clean_env: Path
) -> None:
    """Interrupted while it waits, one question answered meanwhile: the resume sends the gate
    again with the question still open (from the store, asking no agent), and its answer lets
    the run finish."""
    log_level = issue(
        "CLR-010", "Which log level in production?", "info", "important", "need-human"
    )
    async with running_agents(clean_env, fork_repo, AGENTS, extra=GATES) as agents:
        enqueue_gate(agents, critical_gate("", log_level))
        for stage in STAGES:
            enqueue(agents, stage)
        first = asyncio.create_task(agents.command("/speckit.auto SPEC-KIT-071"))
        await wait_until(lambda: bool(agents.conversations))
        conversation = agents.conversations[-1]
        held = await agents.log.wait_for("speckitGate", conversation, timeout=30)
        assert held["asked"] == ["CLR-009", "CLR-010"] and held["critical"] == ["CLR-009"]
        agents.manager.get(conversation).submit(InterruptOp())
        await agents.log.wait_for("turnAborted", conversation, timeout=30)
        first.cancel()
        await answer_open(clean_env, fork_repo, "CLR-010", "info")
        second = asyncio.create_task(agents.command("/speckit.auto SPEC-KIT-071"))
        await wait_until(lambda: len(agents.conversations) == 2)
        resumed = agents.conversations[-1]
        gate = await agents.log.wait_for("speckitGate", resumed, timeout=30)
        assert gate == {
            **held,
            "asked": ["CLR-009"],
            "critical": ["CLR-009"],
            "questions": held["questions"][:1],
        }
        waiting = await agents.log.wait_for(
            "speckitAutoProgress", resumed, lambda m: m["state"] == "waiting", timeout=15
        )
        assert "CLR-009" in waiting["reason"] and "plan" not in asked(agents)
        await answer_open(clean_env, fork_repo, "CLR-009", "Okta")
        await asyncio.wait_for(second, 40)
        assert (agents.answer(resumed) or "").startswith("## /speckit.auto SPEC-KIT-071: completed")
        assert asked(agents).count("clarify") == 3 and asked(agents).count("plan") == 3
        assert len(agents.speckit(resumed, "speckitGate")) == 3  # this one, then the native two


async def test_what_is_sent_again_is_the_stored_open_questions_only(
    runs: SpeckitRuns, tmp_path: Path
) -> None:
    """From the store's rows, in the gate's order (not the rows'): answered and auto-fixed ones
    are left out, ``critical`` keeps only the open ones, and a gate with none open (or none of
    the run's) sends nothing."""

    def row(issue_id: str, status: str, magnitude: str, line: int | None) -> IssueRow:
        found = merge(
            "clarify", {"a": clarify_answer("a", issue(issue_id, f"{issue_id}?", "x"))}, 1
        )
        data = {**found[0].to_json(), "options": ["x", "y"]}
        return IssueRow("r1", "before-plan", issue_id, status, magnitude, "spec.md", line, data)

    state = AutoState.start("S", None, "").to_json()
    for run_id, spec_id in (("r1", "S"), ("r2", "T")):
        await runs.auto.claim(
            tmp_path, spec_id, fresh=True, new_id=run_id, new_state=state, conversation_id=None
        )
    await runs.auto.put_issues(
        [
            row("CLR-001", "auto-fixed", "minor", None),
            row("CLR-002", "open", "critical", 4),
            row("CLR-003", "answered", "critical", 7),
            row("CLR-004", "open", "important", None),
        ]
    )
    held = GateOutcome(
        "before-plan",
        "clarify",
        auto_fixed=("CLR-001",),
        asked=("CLR-004", "CLR-003", "CLR-002"),
        critical=("CLR-003", "CLR-002"),
        backups=("docs/S/spec.backup_20261201_201500.md",),
    )
    event = await still_open(runs, "S", "r1", held)
    assert event is not None and event.stage == "plan" and event.gate == "clarify"
    assert event.asked == ["CLR-004", "CLR-002"] and event.critical == ["CLR-002"]
    assert event.auto_fixed == ["CLR-001"] and event.backups == list(held.backups)
    assert [
        (q.issue_id, q.question, q.magnitude, q.options, q.file, q.line) for q in event.questions
    ] == [
        ("CLR-004", "CLR-004?", "important", ["x", "y"], "spec.md", None),
        ("CLR-002", "CLR-002?", "critical", ["x", "y"], "spec.md", 4),
    ]
    assert await still_open(runs, "T", "r2", held) is None  # another run's rows are not its
    for issue_id in ("CLR-002", "CLR-004"):
        assert await runs.auto.close_issue(
            "r1", "before-plan", issue_id, status="answered", answer="x"
        )
    assert await still_open(runs, "S", "r1", held) is None


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
