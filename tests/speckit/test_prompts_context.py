"""Prompts (packaged, overridden entry by entry) and the agents' context (capped per file,
earlier stages summarised, unsafe files left out)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from codex_lsp.errors import SpeckitError
from codex_lsp.speckit.context import build_context, summarise
from codex_lsp.speckit.prompts import Prompts, answer_contract, render
from codex_lsp.speckit.stages import STAGES
from tests.speckit.conftest import open_workspace


def test_every_stage_has_packaged_prompts_for_both_roles(fork_repo: Path, tmp_path: Path) -> None:
    prompts = Prompts.load(open_workspace(fork_repo, tmp_path / "home"))
    for stage in STAGES:
        for role in ("agent", "arbiter"):
            entry = prompts.entry(stage, "anyone", role)
            assert "${CONTEXT}" in entry.prompt and entry.source == "package"
            assert entry.version.startswith("2025") and f"-{stage}-" in entry.version
    assert "${CONFLICTS}" in prompts.escalation().prompt


def test_project_and_home_prompts_override_entry_by_entry(fork_repo: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "spec-kit").mkdir(parents=True)
    (home / "spec-kit" / "prompts.json").write_text(
        json.dumps({"spec-plan": {"agent": {"prompt": "home agent ${SPEC_ID}"}}})
    )
    (fork_repo / "docs" / "spec-kit").mkdir(parents=True)
    (fork_repo / "docs" / "spec-kit" / "prompts.json").write_text(
        json.dumps(
            {
                "spec-plan": {
                    "version": "v9",
                    "gemini": {"role": "Researcher", "prompt": "gemini ${ROLE}"},
                }
            }
        )
    )
    prompts = Prompts.load(open_workspace(fork_repo, home))
    gemini = prompts.entry("plan", "gemini", "agent")
    assert (gemini.prompt, gemini.role, gemini.version) == ("gemini ${ROLE}", "Researcher", "v9")
    assert prompts.entry("plan", "claude", "agent").prompt == "home agent ${SPEC_ID}"
    assert prompts.entry("plan", "gpt_pro", "arbiter").source == "package"
    assert prompts.entry("tasks", "gemini", "agent").source == "package"


def test_a_broken_prompts_file_is_a_clear_error(fork_repo: Path, tmp_path: Path) -> None:
    (fork_repo / "docs" / "spec-kit").mkdir(parents=True)
    path = fork_repo / "docs" / "spec-kit" / "prompts.json"
    path.write_text('{"spec-plan": {\n  "agent": }')
    with pytest.raises(SpeckitError, match=r"prompts.json is not valid JSON \(line 2, column 12"):
        Prompts.load(open_workspace(fork_repo, tmp_path / "home"))
    path.write_text('{"spec-plan": {"agent": {"prompt": 5}}}')
    prompts = Prompts.load(open_workspace(fork_repo, tmp_path / "home"))
    with pytest.raises(SpeckitError, match=r"spec-plan.agent.prompt must be a non-empty string"):
        prompts.entry("plan", "x", "agent")


def test_rendering_is_one_pass_so_spec_text_cannot_inject_placeholders() -> None:
    values = {"SPEC_ID": "SPEC-KIT-071", "CONTEXT": "spec says ${SPEC_ID} and ${SECRET}"}
    assert render("id ${SPEC_ID}: ${CONTEXT} ${UNKNOWN}", values) == (
        "id SPEC-KIT-071: spec says ${SPEC_ID} and ${SECRET} ${UNKNOWN}"
    )
    contract = answer_contract("plan", "claude", "agent")
    assert '"stage": "plan"' in contract and '"agent": "claude"' in contract
    assert "Leave consensus.agreements and consensus.conflicts empty" in contract
    assert "consensus.conflicts: what you could not settle" in answer_contract(
        "plan", "x", "arbiter"
    )


def test_context_caps_each_file_and_summarises_earlier_stages(
    fork_spec: Path, fork_repo: Path, tmp_path: Path
) -> None:
    (fork_spec / "spec.md").write_text("# Spec\n" + "x" * 5000)
    (fork_spec / "plan.md").write_text(
        "# Plan\n\n## Inputs\n\nold inputs\n\n## Work Breakdown\n\n1. Do it\n\n"
        "## Multi-Agent Consensus\n\n- nested agent output\n\n## Debug: raw\n\n{huge}\n"
    )
    (fork_spec / "tasks.md").write_text(
        "- [ ] T001 [P] First\n  - **Validation**: `pytest`\n- [x] T002 Second\n"
    )
    ws = open_workspace(fork_repo, tmp_path / "home", "[speckit]\ncontext_file_max_chars = 1000\n")
    context = build_context(ws, ws.layout.resolve("071"), "implement")
    assert "[...truncated 4007 chars...]" in context.text
    assert "## plan.md (summary)\n# Plan\n\n## Work Breakdown\n\n1. Do it" in context.text
    assert "nested agent output" not in context.text and "{huge}" not in context.text
    assert "old inputs" not in context.text
    assert (
        "## tasks.md (summary)\n- [ ] T001 [P] First (validation: pytest)\n- [x] T002 Second"
        in context.text
    )
    assert context.files == [
        "docs/SPEC-KIT-071-login/PRD.md",
        "docs/SPEC-KIT-071-login/spec.md",
        "docs/SPEC-KIT-071-login/plan.md",
        "docs/SPEC-KIT-071-login/tasks.md",
    ]
    assert summarise("a\n## Raw JSON\n{...}") == "a"


def test_unsafe_files_are_left_out_of_the_context(
    fork_spec: Path, fork_repo: Path, tmp_path: Path
) -> None:
    secret = tmp_path / "id_rsa"
    secret.write_text("-----BEGIN PRIVATE KEY-----")
    (fork_spec / "PRD.md").unlink()
    (fork_spec / "PRD.md").symlink_to(secret)
    os.mkfifo(fork_spec / "plan.md")
    ws = open_workspace(fork_repo, tmp_path / "home")
    context = build_context(ws, ws.layout.resolve("071"), "tasks")
    assert "PRIVATE KEY" not in context.text
    assert any("leads outside" in n for n in context.notes)
    assert any("not a regular file" in n for n in context.notes)
    assert "The system MUST redirect" in context.text
