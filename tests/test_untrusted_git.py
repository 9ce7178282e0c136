"""A repository whose ``.git`` was planted (a downloaded archive with its ``.git`` folder) names
commands for git to run: a hook, a file-system monitor, an external diff, a text conversion, a
clean filter (run on a work-tree file whenever git compares its content).
None of them runs when the server itself calls git — for undo's capture, the @-mention file
list, ``/review``'s diff, spec-kit's branch — and each of those still gets its answer."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from codex_lsp.core import review
from codex_lsp.core.git_files import GitView
from codex_lsp.protocol.items import ReviewTarget
from codex_lsp.speckit.new import create_spec
from codex_lsp.tools import file_search
from tests.speckit.conftest import open_workspace


def _git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    return done.stdout


@pytest.fixture
def planted(tmp_path: Path) -> tuple[Path, Path]:
    """A repository with one commit and a dirty file, whose config and hooks all run a script
    that leaves a mark in ``marks/``; returns the repository and the marks folder."""
    root, marks = tmp_path / "repo", tmp_path / "marks"
    root.mkdir()
    marks.mkdir()
    _git(root, "init", "-q", "-b", "main")
    (root / "app.py").write_text("v = 0\n")
    (root / ".gitattributes").write_text("* diff=evil filter=Evil.Driver\n")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "init")
    (root / "app.py").write_text("v = 1\n")
    for name in (
        "fsmonitor",
        "external",
        "textconv",
        "clean",
        "post-checkout",
        "reference-transaction",
    ):
        script = tmp_path / f"{name}.sh"
        passes = "exec cat\n" if name == "clean" else ""  # a filter gives back the content
        script.write_text(f"#!/bin/sh\ntouch {marks / name}\n{passes}")
        script.chmod(0o755)
    for hook in ("post-checkout", "reference-transaction"):
        shutil.copy(tmp_path / f"{hook}.sh", root / ".git" / "hooks" / hook)
    _git(root, "config", "core.fsmonitor", str(tmp_path / "fsmonitor.sh"))
    _git(root, "config", "diff.external", str(tmp_path / "external.sh"))
    _git(root, "config", "diff.evil.textconv", str(tmp_path / "textconv.sh"))
    _git(root, "config", "filter.Evil.Driver.clean", str(tmp_path / "clean.sh"))
    return root, marks


def test_the_planted_commands_really_run_under_plain_git(planted: tuple[Path, Path]) -> None:
    """The attack is real: git as the user runs it obeys the planted configuration."""
    root, marks = planted
    _git(root, "diff", "HEAD")
    _git(root, "checkout", "-q", "-b", "by-hand")
    assert {"external", "clean", "post-checkout"} <= {p.name for p in marks.iterdir()}


def test_undo_capture_lists_files_without_running_them(planted: tuple[Path, Path]) -> None:
    root, marks = planted
    view = GitView.open(root)
    assert view is not None
    assert view.dirty() == {"app.py"}
    assert set(view.tracked()) == {".gitattributes", "app.py"}
    assert view.index_texts(["app.py"], 1000, 1000) == {"app.py": "v = 0\n"}
    assert list(marks.iterdir()) == []


async def test_review_diffs_without_running_them(planted: tuple[Path, Path]) -> None:
    root, marks = planted
    material = await review._review_material(ReviewTarget(type="uncommittedChanges"), root)
    assert "-v = 0" in material and "+v = 1" in material
    head = _git(root, "rev-parse", "HEAD").strip()
    shown = await review._review_material(ReviewTarget(type="commit", sha=head), root)
    assert "+v = 0" in shown
    assert list(marks.iterdir()) == []


def test_the_file_list_without_ripgrep_runs_nothing(
    planted: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, marks = planted
    real_which = shutil.which
    monkeypatch.setattr(
        file_search.shutil, "which", lambda name: None if name == "rg" else real_which(name)
    )
    assert set(file_search.list_files(root)) == {".gitattributes", "app.py"}
    assert list(marks.iterdir()) == []


def test_a_spec_branch_is_made_without_running_hooks(
    planted: tuple[Path, Path], tmp_path: Path
) -> None:
    root, marks = planted
    workspace = open_workspace(root, tmp_path / "home", "[speckit]\ncreate_branch = true\n")
    result = create_spec(workspace, "Planted hooks stay quiet")
    assert result.data["branch"] == _git(root, "branch", "--show-current").strip()
    assert list(marks.iterdir()) == []
