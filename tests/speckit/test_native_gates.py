"""Quality gates with no gate agents: the native heuristics are the checkpoint's one voter and
their issues take the agents' path (merged, decided, stored open, a critical one holding the
run). A clean spec passes every checkpoint; a ``[NEEDS CLARIFICATION: …]`` marker in spec.md is
a critical question that holds ``/speckit.auto`` before plan (no plan request while it is open),
and its answer takes the marker's place, which lets the plan stage start."""

from __future__ import annotations

import asyncio
from pathlib import Path

from codex_lsp.config.loader import load_layered
from codex_lsp.speckit.gate_native import NATIVE_VOTER
from codex_lsp.speckit.gate_run import answer_issue
from codex_lsp.speckit.gates import Confidence, Decision, apply_answer, decide, locate, merge
from codex_lsp.speckit.issues import Magnitude
from codex_lsp.speckit.workspace import Workspace
from codex_lsp.speckit.writer import SinkWriter
from codex_lsp.store.speckit_runs import SpeckitRuns
from codex_lsp.tools.files import DiskSink
from tests.speckit.agents import running_agents
from tests.speckit.pipeline import AGENTS, STAGES, asked, enqueue, wait_until

MARKER = "[NEEDS CLARIFICATION: which identity provider?]"
MARKED = f"- **FR-003**: Sign-in MUST go through {MARKER}"


def add_marker(spec_md: Path) -> int:
    """Write :data:`MARKED` under FR-002 of ``spec_md``; its 0-based line."""
    lines = spec_md.read_text().splitlines()
    at = next(n for n, line in enumerate(lines) if "FR-002" in line) + 1
    lines.insert(at, MARKED)
    spec_md.write_text("\n".join(lines) + "\n")
    return at


async def test_with_no_gate_agents_a_clean_spec_passes_the_native_checks(
    fork_spec: Path, fork_repo: Path, clean_env: Path
) -> None:
    async with running_agents(clean_env, fork_repo, AGENTS) as agents:
        for stage in STAGES:
            enqueue(agents, stage)
        conversation = await agents.command("/speckit.auto SPEC-KIT-071")
        assert agents.errors(conversation) == []
        gates = {g["checkpoint"]: g for g in agents.speckit(conversation, "speckitGate")}
        assert list(gates) == ["before-plan", "before-tasks", "before-implement"]
        assert gates["before-plan"]["asked"] == [] and gates["before-plan"]["critical"] == []
        assert all(g["critical"] == [] and g["autoFixed"] == [] for g in gates.values())
        summary = agents.answer(conversation) or ""
        assert summary.startswith("## /speckit.auto SPEC-KIT-071: completed")
        assert "before-plan (clarify, native checks): 0 fixed automatically, 0 asked" in summary
        assert "before-tasks (checklist, native checks)" in summary
        # no agent was asked a gate: the heuristics ran in the server
        assert not {"clarify", "checklist", "analyze"} & set(asked(agents))
        assert asked(agents).count("plan") == 3
        # what they did find is asked (low confidence, never written), on the file it concerns
        runs = await SpeckitRuns.open(clean_env / "state.db")
        try:
            rows = await runs.auto.issues(gates["before-plan"]["runId"])
            found = {(r.checkpoint, r.issue_id): r for r in rows if r.status == "open"}
        finally:
            await runs.close()
        assert set(found) == {(g["checkpoint"], i) for g in gates.values() for i in g["asked"]}
        checklist = [r for (cp, _), r in found.items() if cp == "before-tasks"]
        assert checklist and all(r.file == "docs/SPEC-KIT-071-login/PRD.md" for r in checklist)
        assert {r.data["confidence"] for r in found.values()} == {"low"}
        assert not list(fork_spec.glob("*.backup_*.md"))


async def test_a_needs_clarification_marker_holds_the_run_until_it_is_answered(
    fork_spec: Path, fork_repo: Path, clean_env: Path
) -> None:
    spec_md = fork_spec / "spec.md"
    line = add_marker(spec_md)
    async with running_agents(clean_env, fork_repo, AGENTS) as agents:
        for stage in STAGES:
            enqueue(agents, stage)
        running = asyncio.create_task(agents.command("/speckit.auto SPEC-KIT-071"))
        await wait_until(lambda: bool(agents.conversations))
        conversation = agents.conversations[-1]
        gate = await agents.log.wait_for("speckitGate", conversation, timeout=30)
        assert gate["checkpoint"] == "before-plan" and gate["gate"] == "clarify"
        (critical,) = gate["critical"]
        await asyncio.sleep(1.5)  # the run would have asked the plan agents by now
        assert asked(agents) == []
        waiting = agents.speckit(conversation, "speckitAutoProgress")[-1]
        assert waiting["state"] == "waiting" and critical in waiting["reason"]
        runs = await SpeckitRuns.open(clean_env / "state.db")
        try:
            # the one question: the marker's capitals are no undefined term
            (row,) = await runs.auto.open_issues(fork_repo)
            assert row.issue_id == critical
            assert row.magnitude == "critical" and row.file == "docs/SPEC-KIT-071-login/spec.md"
            assert row.line == line and MARKER in row.data["question"]
            assert row.data["confidence"] == "low" and row.data["options"] == []
            config = load_layered(home=clean_env, workspace=fork_repo).config
            workspace = Workspace.open(fork_repo, config, clean_env)
            writer = SinkWriter(DiskSink(), fork_repo)
            await answer_issue(runs, workspace, row, "Okta over OIDC", writer)
        finally:
            await runs.close()
        assert spec_md.read_text().splitlines()[line] == (
            "- **FR-003**: Sign-in MUST go through Okta over OIDC"
        )
        await asyncio.wait_for(running, 40)
        summary = agents.answer(conversation) or ""
        assert summary.startswith("## /speckit.auto SPEC-KIT-071: completed")
        assert asked(agents).count("plan") == 3
        # the marker is gone, so the analyze checkpoint before implement did not hold again
        later = agents.speckit(conversation, "speckitGate")[1:]
        assert [g["critical"] for g in later] == [[], []]


def _native(*items: dict[str, object]) -> dict[str, dict[str, object]]:
    return {NATIVE_VOTER: {"issues": list(items)}}


def test_a_heuristic_issue_is_low_confidence_and_always_asked() -> None:
    base = {"question": "q", "answer": "", "context": "", "suggested_fix": "say who"}
    minor = {**base, "id": "AMB-001", "magnitude": "minor", "resolvability": "auto-fix"}
    critical = {**base, "id": "AMB-002", "magnitude": "critical", "resolvability": "need-human"}
    merged = merge("clarify", _native(minor, critical), 1)
    assert [i.confidence for i in merged] == [Confidence.LOW, Confidence.LOW]
    assert [decide(i) for i in merged] == [Decision.ASK, Decision.ASK]
    assert merged[1].magnitude is Magnitude.CRITICAL and merged[1].options == []


def test_the_answer_to_a_marker_takes_its_place_and_the_finder_line_is_the_fallback() -> None:
    text = f"# Spec\n\n{MARKED}\n- other {MARKER}\n"
    item = {
        "id": "AMB-001",
        "question": "unfinished text",
        "answer": "",
        "magnitude": "critical",
        "resolvability": "need-human",
        "context": f"- other {MARKER}",
        "line": 3,
    }
    (issue,) = merge("clarify", _native(item), 1)
    edit = apply_answer(text, issue, "Okta")
    assert edit.line == 3 and edit.text == f"# Spec\n\n{MARKED}\n- other Okta\n"
    (nowhere,) = merge("clarify", _native({**item, "context": ""}), 1)
    assert locate(text, nowhere) == 3 and locate("# short\n", nowhere) == 0
    assert decide(nowhere) is Decision.ASK


async def test_gates_turned_off_run_no_native_checks_either(
    fork_spec: Path, fork_repo: Path, clean_env: Path
) -> None:
    add_marker(fork_spec / "spec.md")
    off = "[speckit.quality_gates]\nenabled = false\n"
    async with running_agents(clean_env, fork_repo, AGENTS, extra=off) as agents:
        for stage in STAGES:
            enqueue(agents, stage)
        conversation = await agents.command("/speckit.auto SPEC-KIT-071")
        assert agents.speckit(conversation, "speckitGate") == []
        summary = agents.answer(conversation) or ""
        assert summary.startswith("## /speckit.auto SPEC-KIT-071: completed")
        assert MARKER in (fork_spec / "spec.md").read_text()
