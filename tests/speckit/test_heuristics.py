"""The native clarify / analyze / checklist: real documents in, issues with file and line out."""

from __future__ import annotations

import os
from pathlib import Path

from codex_lsp.speckit.heuristics import run_native_sync
from codex_lsp.speckit.heuristics.analyze import analyze_issues
from codex_lsp.speckit.heuristics.checklist import checklist_scores
from codex_lsp.speckit.heuristics.clarify import clarify_issues
from tests.speckit.conftest import open_workspace

VAGUE_PRD = """# PRD: Login

**SPEC-ID**: SPEC-KIT-071
**Status**: Backlog

## Problem Statement

Sign-in should be fast and secure.
It might use SSO later, etc.
The XYZW service handles tokens.
We need TBD for the fallback.

```
should in code is fine
```

<!-- maybe a comment is fine too -->

## Acceptance Criteria

## Non-Functional Requirements

- Responses in under 200 ms (fast enough).
"""


def test_clarify_finds_each_kind_with_its_line(
    fork_spec: Path, fork_repo: Path, tmp_path: Path
) -> None:
    (fork_spec / "PRD.md").write_text(VAGUE_PRD)
    ws = open_workspace(fork_repo, tmp_path / "home")
    issues, notes = clarify_issues(ws, ws.layout.resolve("071"))
    assert notes == []
    prd = "docs/SPEC-KIT-071-login/PRD.md"
    found = {(i.kind, i.line) for i in issues if i.file == prd}
    assert ("vague", 7) in found and ("unmeasured", 7) in found
    assert ("vague", 8) in found and ("vague-time", 8) in found and ("open-ended", 8) in found
    assert ("incomplete", 10) in found and ("undefined-term", 9) in found
    assert ("missing-section", None) in found  # Test Strategy; spec.md's criteria count
    assert not any(i.line in (13, 16) for i in issues if i.file == prd)  # code fence, comment
    assert not any(i.line == 22 and i.kind == "unmeasured" for i in issues)  # has a number
    assert [i.id for i in issues[:3]] == ["AMB-001", "AMB-002", "AMB-003"]
    assert issues[0].magnitude.value == "critical"
    assert "Test Strategy" in " ".join(i.description for i in issues)


def test_clarify_without_a_prd_is_critical_and_github_needs_none(
    fork_repo: Path, github_repo: Path, tmp_path: Path
) -> None:
    ws = open_workspace(fork_repo, tmp_path / "h1")
    issues, _ = clarify_issues(ws, ws.layout.resolve("065"))
    assert issues[0].kind == "missing-file" and "PRD.md is missing" in issues[0].description
    gh = open_workspace(github_repo, tmp_path / "h2")
    issues, _ = clarify_issues(gh, gh.layout.resolve("001"))
    assert not any(i.kind == "missing-file" for i in issues)


def test_analyze_cross_checks(fork_spec: Path, fork_repo: Path, tmp_path: Path) -> None:
    (fork_spec / "plan.md").write_text(
        "# Plan: SPEC-KIT-070\n\nFollows the constitution v1.0.0.\n\n- Step for FR-001 and FR-009\n"
    )
    (fork_spec / "tasks.md").write_text(
        "- [ ] T001 Redirect for FR-001\n  - **Validation**: `pytest`\n- [ ] T001 Again\n"
    )
    (fork_spec / "spec.md").write_text(
        (fork_spec / "spec.md").read_text() + "- **FR-001**: Something else entirely.\n"
    )
    (fork_repo / "memory").mkdir()
    (fork_repo / "memory" / "constitution.md").write_text("# C\n\n**Version**: 2.0.0\n")
    ws = open_workspace(fork_repo, tmp_path / "home")
    issues, _ = analyze_issues(ws, ws.layout.resolve("071"))
    by_kind = {(i.kind, i.description) for i in issues}
    assert ("id_mismatch", "plan.md names SPEC-KIT-070, but this is SPEC-KIT-071") in by_kind
    assert ("coverage_gap", "FR-002 is not covered by tasks.md") in by_kind
    assert (
        "missing_requirement",
        "plan.md cites FR-009, which the spec does not define",
    ) in by_kind
    assert ("duplicate_task", "task T001 appears twice") in by_kind
    assert ("coverage_gap", "task T001 has no **Validation** command") in by_kind
    assert (
        "version_drift",
        "plan.md follows constitution 1.0.0, the constitution is 2.0.0",
    ) in by_kind
    assert any(
        i.kind == "contradiction" and "FR-001 is defined twice" in i.description for i in issues
    )
    assert all(i.id.startswith("ANL-") for i in issues)


def test_checklist_scores_and_grades(fork_spec: Path, fork_repo: Path, tmp_path: Path) -> None:
    ws = open_workspace(fork_repo, tmp_path / "home")
    scores, _ = checklist_scores(ws, ws.layout.resolve("071"))
    assert scores.testability == 100 and scores.clarity == 100
    assert 0 < scores.completeness < 100
    expected = round(
        0.3 * scores.completeness
        + 0.2 * scores.clarity
        + 0.3 * scores.testability
        + 0.2 * scores.consistency,
        1,
    )
    assert scores.overall == expected
    empty = open_workspace(fork_repo, tmp_path / "h2")
    bare, _ = checklist_scores(empty, empty.layout.resolve("065"))
    assert bare.grade == "F" and bare.testability == 0
    assert any("no numbered requirements" in i.description for i in bare.issues)


def test_the_native_reports_render_in_markdown_and_json(
    fork_spec: Path, fork_repo: Path, tmp_path: Path
) -> None:
    (fork_spec / "PRD.md").write_text(VAGUE_PRD)
    ws = open_workspace(fork_repo, tmp_path / "home")
    packet = ws.layout.resolve("071")
    clarify = run_native_sync("clarify", ws, packet)
    assert clarify.markdown.startswith("# Clarify: SPEC-KIT-071 (native, no model)")
    assert (
        "### CRITICAL (" in clarify.markdown
        and "(docs/SPEC-KIT-071-login/PRD.md:11)" in clarify.markdown
    )
    assert clarify.data["native"] is True and clarify.data["counts"]["critical"] >= 1
    assert clarify.data["issues"][0]["file"] == "docs/SPEC-KIT-071-login/PRD.md"
    checklist = run_native_sync("checklist", ws, packet)
    assert "| Completeness |" in checklist.markdown and checklist.data["grade"] in "ABCDF"


def test_a_fifo_in_the_packet_does_not_hang_and_is_reported(
    fork_spec: Path, fork_repo: Path, tmp_path: Path
) -> None:
    (fork_spec / "plan.md").unlink(missing_ok=True)
    os.mkfifo(fork_spec / "plan.md")
    ws = open_workspace(fork_repo, tmp_path / "home")
    _, notes = clarify_issues(ws, ws.layout.resolve("071"))
    assert any("not a regular file" in n for n in notes)
