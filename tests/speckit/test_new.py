"""``/speckit.new``: numbering, slugs, templates, the tracker row, both layouts, bad input."""

from __future__ import annotations

import subprocess
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from codex_lsp.errors import SpeckitError
from codex_lsp.speckit import tracker
from codex_lsp.speckit.ids import github_short_name, slug
from codex_lsp.speckit.new import create_spec, speckit_new
from tests.speckit.conftest import open_workspace

NOW = datetime(2025, 11, 5, 14, 0, tzinfo=UTC)


def _folders(root: Path) -> list[str]:
    return sorted(p.name for p in (root / "docs").iterdir())


async def test_new_twice_numbers_071_then_072_skipping_the_file(
    fork_repo: Path, tmp_path: Path
) -> None:
    ws = open_workspace(fork_repo, tmp_path / "home")
    first = await speckit_new(ws, "Add user authentication with OAuth2", NOW)
    folder = fork_repo / "docs" / "SPEC-KIT-071-add-user-authentication-with-oauth2"
    assert (
        first.ok
        and "✅ Created SPEC-KIT-071: Add User Authentication With OAuth2" in first.markdown
    )
    assert sorted(p.name for p in folder.iterdir()) == ["PRD.md", "spec.md"]
    spec = (folder / "spec.md").read_text()
    assert "**SPEC-ID**: SPEC-KIT-071" in spec
    assert "**Feature**: Add User Authentication With OAuth2" in spec
    assert "**Created**: 2025-11-05" in spec
    assert "[SPEC_ID]" not in spec and "[FEATURE_NAME]" not in spec and "[DATE]" not in spec
    prd = (folder / "PRD.md").read_text()
    assert prd.startswith("# PRD: Add User Authentication With OAuth2")
    assert "Add user authentication with OAuth2" in prd
    row = tracker.find((fork_repo / "SPEC.md").read_text(), "SPEC-KIT-071")
    assert row is not None
    assert row.cells == {
        "Order": "3",
        "Task ID": "SPEC-KIT-071",
        "Title": "Add User Authentication With OAuth2",
        "Status": "Backlog",
        "Owners": "",
        "PRD": "docs/SPEC-KIT-071-add-user-authentication-with-oauth2/PRD.md",
        "Branch": "",
        "PR": "",
        "Last Validation": "",
        "Evidence": "",
        "Notes": "Created 2025-11-05 via /speckit.new (native, $0)",
    }
    assert row.text.count("|") == 12  # exactly 11 cells
    second = await speckit_new(ws, "Rate limiting", NOW)
    assert second.data["specId"] == "SPEC-KIT-072"
    assert (fork_repo / "docs" / "SPEC-KIT-072-rate-limiting" / "spec.md").is_file()
    rows = tracker.rows((fork_repo / "SPEC.md").read_text())
    assert [r.get("Task ID") for r in rows] == [
        "SPEC-KIT-072",
        "SPEC-KIT-071",
        "SPEC-KIT-070",
        "SPEC-KIT-065",
    ]
    assert (fork_repo / "docs" / "SPEC-KIT-099.md").read_text() == "not a packet\n"


@pytest.mark.parametrize("description", ["!!!", '"!!!"', "   ", "—— ?? ——"])
def test_a_description_without_letters_is_refused_and_nothing_is_created(
    fork_repo: Path, tmp_path: Path, description: str
) -> None:
    ws = open_workspace(fork_repo, tmp_path / "home")
    before, tracker_before = _folders(fork_repo), (fork_repo / "SPEC.md").read_text()
    with pytest.raises(SpeckitError, match="no letters or digits"):
        create_spec(ws, description, NOW)
    assert _folders(fork_repo) == before
    assert (fork_repo / "SPEC.md").read_text() == tracker_before


def test_slug_and_short_name_rules() -> None:
    assert slug("Add user authentication with OAuth2") == "add-user-authentication-with-oauth2"
    assert slug("  Fix: the __weird__ -- spacing!! ") == "fix-the-weird-spacing"
    assert slug("Añadir café") == "añadir-café"
    assert len(slug("word " * 40)) <= 60 and not slug("word " * 40).endswith("-")
    assert github_short_name("Add user authentication with OAuth2") == "user-authentication-oauth2"
    assert github_short_name("I want to add a UI for the API keys") == "ui-api-keys"
    assert github_short_name("Fix the login page layout issue") == "fix-login-page"
    assert github_short_name("Fix the login page layout") == "fix-login-page-layout"


def test_a_repository_without_docs_or_tracker_gets_both(tmp_path: Path) -> None:
    root = tmp_path / "fresh"
    root.mkdir()
    ws = open_workspace(root, tmp_path / "home")
    result = create_spec(ws, "First feature", NOW)
    assert result.data["specId"] == "SPEC-KIT-001"
    assert (root / "docs" / "SPEC-KIT-001-first-feature" / "PRD.md").is_file()
    rows = tracker.rows((root / "SPEC.md").read_text())
    assert [(r.get("Order"), r.get("Task ID")) for r in rows] == [("1", "SPEC-KIT-001")]


def test_github_layout_writes_specs_and_feature_json_never_docs(
    github_repo: Path, tmp_path: Path
) -> None:
    ws = open_workspace(github_repo, tmp_path / "home")
    result = create_spec(ws, "Add user authentication with OAuth2", NOW)
    folder = github_repo / "specs" / "002-user-authentication-oauth2"
    assert result.data["specId"] == "002-user-authentication-oauth2"
    assert [p.name for p in folder.iterdir()] == ["spec.md"]
    spec = (folder / "spec.md").read_text()
    assert spec.startswith("# Feature Specification: Add User Authentication With OAuth2")
    assert "`002-user-authentication-oauth2`" in spec
    assert 'User description: "Add user authentication with OAuth2"' in spec
    feature = (github_repo / ".specify" / "feature.json").read_text()
    assert '"feature_directory": "specs/002-user-authentication-oauth2"' in feature
    assert not (github_repo / "docs").exists() and not (github_repo / "SPEC.md").exists()
    assert not (folder / "PRD.md").exists()


def test_templates_come_from_the_project_then_home_then_the_package(
    fork_repo: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    (home / "templates").mkdir(parents=True)
    (home / "templates" / "spec-template.md").write_text("home spec [SPEC_ID] [P] [x]\n")
    (home / "templates" / "PRD-template.md").write_text("home prd [FEATURE_NAME]\n")
    (fork_repo / "templates").mkdir()
    (fork_repo / "templates" / "spec-template.md").write_text("project spec [SPEC_ID] [UNKNOWN]\n")
    ws = open_workspace(fork_repo, home)
    create_spec(ws, "Thing", NOW)
    folder = fork_repo / "docs" / "SPEC-KIT-071-thing"
    assert (folder / "spec.md").read_text() == "project spec SPEC-KIT-071 [UNKNOWN]\n"
    assert (folder / "PRD.md").read_text() == "home prd Thing\n"


def test_a_template_symlinked_out_of_the_project_is_not_read(
    fork_repo: Path, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("PRIVATE KEY")
    (fork_repo / "templates").mkdir()
    (fork_repo / "templates" / "spec-template.md").symlink_to(secret)
    ws = open_workspace(fork_repo, tmp_path / "home")
    with pytest.raises(SpeckitError, match="leads outside"):
        create_spec(ws, "Thing", NOW)
    assert not any("thing" in name for name in _folders(fork_repo))


def test_two_creations_at_once_get_two_numbers(fork_repo: Path, tmp_path: Path) -> None:
    ws = open_workspace(fork_repo, tmp_path / "home")
    ids: list[str] = []
    errors: list[Exception] = []

    def make(description: str) -> None:
        try:
            ids.append(create_spec(ws, description, NOW).data["specId"])
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=make, args=(f"feature {n}",)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    numbers = sorted(int(i.rsplit("-", 1)[1]) for i in ids)
    folders = [n for n in _folders(fork_repo) if n.startswith("SPEC-KIT-07")]
    assert len({f.split("-")[2] for f in folders}) == len(folders)
    assert not errors and len(numbers) == 6 and len(set(numbers)) == 6
    rows = tracker.rows((fork_repo / "SPEC.md").read_text())
    assert sorted(r.get("Task ID") for r in rows if r.get("Task ID") in ids) == sorted(ids)


def _git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=root, capture_output=True, text=True, check=True, timeout=30
    )
    return done.stdout.strip()


def test_a_branch_only_when_create_branch_is_set(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    _git(root, "init", "-q", "-b", "main")
    _git(
        root,
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@t",
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "init",
    )
    plain = open_workspace(root, tmp_path / "home")
    create_spec(plain, "No branch please", NOW)
    assert _git(root, "branch", "--show-current") == "main"
    branching = open_workspace(root, tmp_path / "home2", "[speckit]\ncreate_branch = true\n")
    result = create_spec(branching, "With a branch", NOW)
    assert result.data["branch"] == "SPEC-KIT-002-with-a-branch"
    assert _git(root, "branch", "--show-current") == "SPEC-KIT-002-with-a-branch"
    row = tracker.find((root / "SPEC.md").read_text(), "SPEC-KIT-002")
    assert row is not None and row.get("Branch") == "SPEC-KIT-002-with-a-branch"
    assert (
        "**Branch**: SPEC-KIT-002-with-a-branch"
        in (root / "docs" / "SPEC-KIT-002-with-a-branch" / "spec.md").read_text()
    )
    again = create_spec(branching, "With a branch", NOW)  # the folder differs, the branch too
    assert again.data["branch"] == "SPEC-KIT-003-with-a-branch" and not again.data["warnings"]
