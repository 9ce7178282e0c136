"""The synthesis: merged answers, rendered along the sections of the (project's) template."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from codex_lsp.speckit.consensus import Ballot, Verdict, decide
from codex_lsp.speckit.synthesis import Provenance, feature_name, merge_answers, synthesise
from tests.speckit.answers import plan_answer
from tests.speckit.conftest import open_workspace

NOW = datetime(2025, 11, 5, 14, 0, tzinfo=UTC)


def test_the_arbiters_answer_wins_and_its_gaps_are_filled() -> None:
    gemini = plan_answer("gemini", steps=("A",))
    claude = plan_answer("claude", steps=("B",))
    arbiter = plan_answer("gpt_pro", steps=("C",))
    arbiter["risks"] = []
    arbiter["exit_criteria"] = []
    claude["risks"] = [{"risk": "other", "owner": "", "mitigation": ""}]
    merged = merge_answers(
        "plan",
        ["gemini", "claude", "gpt_pro"],
        {"gemini": gemini, "claude": claude, "gpt_pro": arbiter},
        "gpt_pro",
    )
    assert [s["step"] for s in merged["work_breakdown"]] == ["C"]
    assert [r["risk"] for r in merged["risks"]] == ["token leak", "other"]
    assert merged["exit_criteria"] == ["FR-001 and FR-002 pass"]
    assert merged["agent"] == "gpt_pro"


def test_the_projects_template_decides_the_sections(
    fork_spec: Path, fork_repo: Path, tmp_path: Path
) -> None:
    (fork_repo / "templates").mkdir()
    (fork_repo / "templates" / "plan-template.md").write_text(
        "# Our plan for [SPEC_ID]\n\n## Risks & Unknowns\n\n## Team Notes\n\nKeep this text.\n\n"
        "## Work Breakdown\n"
    )
    ws = open_workspace(fork_repo, tmp_path / "home")
    packet = ws.layout.resolve("071")
    answer = plan_answer("default")
    outcome = decide(
        Ballot(
            spec_id=packet.id,
            stage="plan",
            participants=["default"],
            answers={"default": answer},
            failures={},
            arbiter="default",
            verdict=Verdict.of(answer),
            required=1,
            resume="/r",
        )
    )
    synthesis = synthesise(
        ws,
        packet,
        outcome,
        {"default": answer},
        Provenance(inputs=["spec.md"], evidence=[], prompt_version="v1", now=NOW),
    )
    text = synthesis.files[packet.folder / "plan.md"]
    assert text.startswith("# Our plan for SPEC-KIT-071\n\n**SPEC-ID**: SPEC-KIT-071")
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert headings == [
        "## Risks & Unknowns",
        "## Team Notes",
        "## Work Breakdown",
        "## Technical Design",
        "## Data Model",
        "## Acceptance Mapping",
        "## Exit Criteria",
    ]
    assert "## Team Notes\n\nKeep this text." in text
    assert synthesis.data["answer"] == answer and synthesis.data["status"] == "ok"


def test_the_feature_name_never_reads_a_fifo(
    fork_spec: Path, fork_repo: Path, tmp_path: Path
) -> None:
    ws = open_workspace(fork_repo, tmp_path / "home")
    packet = ws.layout.resolve("071")
    assert feature_name(ws, packet) == "Login"
    (fork_spec / "spec.md").unlink()
    os.mkfifo(fork_spec / "spec.md")
    assert feature_name(ws, packet) == "SPEC-KIT-071"
