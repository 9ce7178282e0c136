"""``codex-lsp exec review`` as a real subprocess in a real Git repository: it prints the
reviewer's findings and exits 1 when one is at or above ``--fail-on`` (for CI), 0 when none is,
1 with a clear message when the reviewer's answer is garbage, 2 for a bad branch."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from codex_lsp.testing import Answer, FakeModelServer, Reply, Text
from tests.cli.test_exec import run_python
from tests.cli.test_exec_flags import PNG
from tests.core.test_review_findings import answer, finding

pytestmark = pytest.mark.slow
GIT = ["git", "-c", "user.email=t@t", "-c", "user.name=t"]


@pytest.fixture
def repo(workspace: Path) -> Path:
    """A repository with a commit on ``main``, a feature commit, and an uncommitted change."""
    subprocess.run([*GIT, "init", "-q", "-b", "main"], cwd=workspace, check=True)
    (workspace / "app.py").write_text("def div(a, b):\n    return a / b\n")
    subprocess.run([*GIT, "add", "."], cwd=workspace, check=True)
    subprocess.run([*GIT, "commit", "-qm", "base"], cwd=workspace, check=True)
    subprocess.run([*GIT, "checkout", "-qb", "feature"], cwd=workspace, check=True)
    (workspace / "app.py").write_text("def div(a, b):\n    return a // b  # FEATURE\n")
    subprocess.run([*GIT, "commit", "-qam", "feature"], cwd=workspace, check=True)
    (workspace / "app.py").write_text("def div(a, b):\n    return a // b  # UNCOMMITTED\n")
    return workspace


def review(args: list[str], home: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_python(["-m", "codex_lsp", "exec", "review", *args], home, cwd)


def test_a_finding_at_the_fail_on_priority_fails_the_run_and_is_printed(
    codex_home: Path, repo: Path, model_server: FakeModelServer
) -> None:
    model_server.enqueue(Reply((Answer(answer(finding("Guard the division", 1, "app.py", 2, 2))),)))
    result = review([], codex_home, repo)
    assert result.returncode == 1, result.stderr
    assert "[P1] Guard the division\n  app.py:2\n  Guard the division: it breaks" in result.stdout
    assert "1 finding; patch is incorrect. One bug." in result.stdout
    assert "1 finding(s) at P1 or above" in result.stderr
    sent = model_server.requests[0].text
    assert "UNCOMMITTED" in sent  # --uncommitted is the default


@pytest.mark.parametrize(("fail_on", "code"), [("P0", 0), ("P1", 1), ("P3", 1)])
def test_fail_on_sets_the_threshold(
    fail_on: str, code: int, codex_home: Path, repo: Path, model_server: FakeModelServer
) -> None:
    model_server.enqueue(Reply((Answer(answer(finding("Rename it", 1))),)))
    result = review(["--fail-on", fail_on], codex_home, repo)
    assert result.returncode == code, result.stderr
    assert "[P1] Rename it" in result.stdout


def test_no_findings_exit_0(codex_home: Path, repo: Path, model_server: FakeModelServer) -> None:
    model_server.enqueue(Reply((Answer(answer(correct=True)),)))
    result = review(["--fail-on", "P3"], codex_home, repo)
    assert result.returncode == 0, result.stderr
    assert "0 findings; patch is correct." in result.stdout


@pytest.mark.parametrize(
    ("args", "expected", "absent"),
    [
        (["--base", "main"], "-    return a / b", None),  # since the merge base, as Codex
        (["--commit", "HEAD"], "FEATURE", "UNCOMMITTED"),
        (["--uncommitted"], "UNCOMMITTED", None),
        (["look only at error handling"], "look only at error handling", None),
    ],
)
def test_the_target_flags_choose_what_the_reviewer_sees(
    args: list[str],
    expected: str,
    absent: str | None,
    codex_home: Path,
    repo: Path,
    model_server: FakeModelServer,
) -> None:
    model_server.enqueue(Reply((Answer(answer(correct=True)),)))
    result = review(args, codex_home, repo)
    assert result.returncode == 0, result.stderr
    sent = json.dumps(model_server.requests[0].body["input"])
    assert expected in sent
    if absent:
        assert absent not in sent


def test_garbage_from_the_reviewer_is_a_clear_failure(
    codex_home: Path, repo: Path, model_server: FakeModelServer
) -> None:
    model_server.enqueue(Reply((Text("LGTM!!! {{{"),)))
    result = review([], codex_home, repo)
    assert result.returncode == 1
    assert "the reviewer's answer is not JSON" in result.stderr
    assert "Traceback" not in result.stderr and "Error(" not in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["--base=--output=/tmp/x"],
        ["--commit", "a b"],
        ["--output-schema", "s.json"],
        ["-i", "x.png"],
    ],
)
def test_a_bad_branch_or_commit_or_a_turn_only_flag_is_a_usage_error(
    args: list[str], codex_home: Path, repo: Path, model_server: FakeModelServer
) -> None:
    (repo / "s.json").write_text('{"type": "object"}')
    (repo / "x.png").write_bytes(PNG)
    result = review(args, codex_home, repo)
    assert result.returncode == 2, result.stderr
    assert (
        "must be a branch name or commit" in result.stderr
        or "does not apply to exec review" in result.stderr
    )
    assert model_server.requests == []


def test_json_carries_the_structured_review(
    codex_home: Path, repo: Path, model_server: FakeModelServer
) -> None:
    model_server.enqueue(Reply((Answer(answer(finding("Guard it", 2))),)))
    result = review(["--json", "--fail-on", "P1"], codex_home, repo)
    assert result.returncode == 0, result.stderr
    events = [json.loads(line)["msg"] for line in result.stdout.splitlines()]
    (exited,) = [e for e in events if e["type"] == "exitedReviewMode"]
    assert exited["review"]["findings"][0]["title"] == "Guard it"


def test_review_also_needs_a_git_repository(codex_home: Path, workspace: Path) -> None:
    result = review([], codex_home, workspace)
    assert result.returncode == 2 and "not inside a Git repository" in result.stderr
