"""spec-kit headless, as real subprocesses: ``codex-lsp exec "/speckit.…"`` and ``codex-lsp
speckit …`` against a configured (scripted) model server that must get no request."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codex_lsp.testing import Answer, ErrorReply, FakeModelServer, Reply
from tests.cli.test_exec import run_python
from tests.speckit.answers import plan_answer
from tests.speckit.conftest import SPEC_071

pytestmark = pytest.mark.slow


def _exec(prompt: str, home: Path, cwd: Path, *flags: str):  # type: ignore[no-untyped-def]
    return run_python(["-m", "codex_lsp", "exec", *flags, prompt], home, cwd)


def test_new_and_status_through_exec_make_no_model_request(
    codex_home: Path, fork_repo: Path, model_server: FakeModelServer
) -> None:
    first = _exec("/speckit.new Add user authentication with OAuth2", codex_home, fork_repo)
    assert first.returncode == 0, first.stderr
    assert "✅ Created SPEC-KIT-071: Add User Authentication With OAuth2" in first.stdout
    second = _exec("/new-spec Rate limiting", codex_home, fork_repo / "docs")
    assert second.returncode == 0 and "SPEC-KIT-072" in second.stdout
    status = _exec("/speckit.status SPEC-KIT-071", codex_home, fork_repo)
    assert status.returncode == 0, status.stderr
    assert status.stdout.startswith("# SPEC Status: SPEC-KIT-071")
    assert "- Status: Backlog" in status.stdout and "## Agent Coverage" in status.stdout
    as_json = _exec("/speckit.status 72", codex_home, fork_repo, "--json")
    assert json.loads(as_json.stdout)["specId"] == "SPEC-KIT-072"
    assert model_server.requests == []


def test_bad_input_gets_a_clear_error_and_no_request(
    codex_home: Path, fork_repo: Path, model_server: FakeModelServer
) -> None:
    before = sorted(p.name for p in (fork_repo / "docs").iterdir())
    bang = _exec('/speckit.new "!!!"', codex_home, fork_repo)
    assert bang.returncode == 1 and "has no letters or digits" in bang.stderr
    assert "Traceback" not in bang.stderr
    assert sorted(p.name for p in (fork_repo / "docs").iterdir()) == before
    unknown = _exec("/speckit.nope", codex_home, fork_repo)
    assert unknown.returncode == 2 and "Unknown spec-kit command /speckit.nope" in unknown.stderr
    assert "/speckit.constitution" in unknown.stderr
    usage = _exec("/speckit.plan", codex_home, fork_repo)
    assert usage.returncode == 2 and "Usage: /speckit.plan <SPEC> [context]" in usage.stderr
    missing = _exec("/speckit.status SPEC-KIT-099", codex_home, fork_repo)
    assert missing.returncode == 1 and "docs/SPEC-KIT-099.md is a file" in missing.stderr
    assert model_server.requests == []


def test_a_model_backed_command_runs_on_the_users_own_model_headless(
    codex_home: Path, fork_repo: Path, model_server: FakeModelServer
) -> None:
    folder = fork_repo / "docs" / "SPEC-KIT-071-login"
    folder.mkdir()
    (folder / "spec.md").write_text(SPEC_071)
    model_server.enqueue(Reply((Answer(plan_answer("default", steps=("Headless step",))),)))
    result = _exec("/spec-plan 71", codex_home, fork_repo)
    assert result.returncode == 0, result.stderr
    assert "Plan for SPEC-KIT-071: consensus ok (1 of 1 agents: default)" in result.stdout
    assert "/speckit.plan: asking default" in result.stderr
    assert "1. **Headless step**" in (folder / "plan.md").read_text()
    (request,) = model_server.requests
    assert request.output_schema is not None and "within 200 ms" in request.text
    model_server.enqueue(Reply((Answer(plan_answer("default", steps=("Again",))),)))
    again = run_python(
        ["-m", "codex_lsp", "speckit", "plan", "SPEC-KIT-071", "--json"], codex_home, fork_repo
    )
    assert again.returncode == 0, again.stderr
    (stage,) = json.loads(again.stdout)["stages"]
    assert (stage["stage"], stage["status"], stage["files"]) == (
        "plan",
        "ok",
        ["docs/SPEC-KIT-071-login/plan.md"],
    )
    assert list(stage["conversations"]) == ["default"]
    model_server.default_reply = ErrorReply(401, "bad key")
    failed = _exec("/speckit.tasks SPEC-KIT-071", codex_home, fork_repo)
    assert failed.returncode == 1 and "resume with: /speckit.tasks SPEC-KIT-071" in failed.stderr
    assert "Traceback" not in failed.stderr


def test_the_speckit_command(
    codex_home: Path, github_repo: Path, model_server: FakeModelServer
) -> None:
    created = run_python(
        ["-m", "codex_lsp", "speckit", "new", "Export", "to", "CSV", "--json"],
        codex_home,
        github_repo,
    )
    assert created.returncode == 0, created.stderr
    data = json.loads(created.stdout)
    assert data["specId"] == "002-export-csv" and data["layout"] == "github"
    clarify = run_python(
        ["-m", "codex_lsp", "speckit", "clarify", "--json"], codex_home, github_repo
    )
    assert clarify.returncode == 0, clarify.stderr
    assert json.loads(clarify.stdout)["specId"] == "002-export-csv"  # the current feature now
    current = run_python(["-m", "codex_lsp", "speckit", "status"], codex_home, github_repo)
    assert current.stdout.startswith("# SPEC Status: 002-export-csv")
    status = run_python(["-m", "codex_lsp", "speckit", "status", "--all"], codex_home, github_repo)
    assert "| 001-user-auth |" in status.stdout and "| 002-export-csv |" in status.stdout
    assert not (github_repo / "docs").exists() and not (github_repo / "SPEC.md").exists()
    assert model_server.requests == []


def test_doctor_lists_the_agents_of_each_stage(
    codex_home: Path, fork_repo: Path, model_server: FakeModelServer
) -> None:
    result = run_python(["-m", "codex_lsp", "doctor", "-C", str(fork_repo)], codex_home, fork_repo)
    lines = result.stdout.splitlines()
    assert f"ok    speckit   fork layout at {fork_repo}: 2 SPEC(s)" in lines
    assert "ok    speckit   clarify: native (no model)" in lines
    assert any(line.startswith("ok    speckit   plan: default (fake/fake-model)") for line in lines)
