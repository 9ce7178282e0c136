"""Both layouts: detection, and resolving a SPEC reference by id, number, folder name or path."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from codex_lsp.errors import SpeckitError
from codex_lsp.speckit.layout_fork import ForkLayout
from codex_lsp.speckit.layout_github import GithubLayout
from codex_lsp.speckit.packet import LayoutKind
from codex_lsp.speckit.workspace import find_root
from tests.speckit.conftest import open_workspace


@pytest.mark.parametrize(
    "ref",
    [
        "SPEC-KIT-070",
        "spec-kit-070",
        "SPEC-KIT-70",
        "070",
        "70",
        "SPEC-KIT-070-b",
        "docs/SPEC-KIT-070-b",
        "docs/SPEC-KIT-070-b/spec.md",
        "docs/SPEC-KIT-070-b/contracts/api.md",
    ],
)
def test_a_fork_reference_resolves_by_id_number_name_or_path(
    fork_repo: Path, tmp_path: Path, ref: str
) -> None:
    ws = open_workspace(fork_repo, tmp_path / "home")
    packet = ws.layout.resolve(ref)
    assert (packet.id, packet.number, packet.folder.name) == ("SPEC-KIT-070", 70, "SPEC-KIT-070-b")
    absolute = ws.layout.resolve(str(fork_repo / "docs" / "SPEC-KIT-070-b" / "spec.md"))
    assert absolute.folder == packet.folder


def test_a_file_is_no_spec_and_the_error_says_what_exists(fork_repo: Path, tmp_path: Path) -> None:
    ws = open_workspace(fork_repo, tmp_path / "home")
    with pytest.raises(SpeckitError) as caught:
        ws.layout.resolve("SPEC-KIT-099")
    message = caught.value.message
    assert "no SPEC 'SPEC-KIT-099' in docs/" in message
    assert "the SPECs here are SPEC-KIT-065-a, SPEC-KIT-070-b" in message
    assert "docs/SPEC-KIT-099.md is a file, not a SPEC folder" in message
    with pytest.raises(SpeckitError, match="no SPEC"):
        ws.layout.resolve("../../etc/passwd")
    with pytest.raises(SpeckitError, match="no SPEC"):
        ws.layout.resolve("/etc/hosts.md")


def test_two_fork_folders_with_one_id_the_exact_or_first_wins(
    fork_repo: Path, tmp_path: Path
) -> None:
    (fork_repo / "docs" / "SPEC-KIT-070-a-copy").mkdir()
    ws = open_workspace(fork_repo, tmp_path / "home")
    packet = ws.layout.resolve("SPEC-KIT-070")
    assert packet.folder.name == "SPEC-KIT-070-a-copy"
    assert "using SPEC-KIT-070-a-copy" in packet.warnings[0]
    assert ws.layout.resolve("SPEC-KIT-070-b").warnings == ()


def test_other_fork_areas_are_specs_too(fork_repo: Path, tmp_path: Path) -> None:
    (fork_repo / "docs" / "SPEC-OPS-004-integrated-coder-hooks").mkdir()
    ws = open_workspace(fork_repo, tmp_path / "home")
    assert ws.layout.resolve("SPEC-OPS-004").id == "SPEC-OPS-004"
    assert [p.id for p in ws.layout.specs()] == ["SPEC-KIT-065", "SPEC-KIT-070", "SPEC-OPS-004"]


@pytest.mark.parametrize(
    "ref", ["001", "1", "001-user-auth", "specs/001-user-auth", "specs/001-user-auth/plan.md"]
)
def test_a_github_reference_resolves(github_repo: Path, tmp_path: Path, ref: str) -> None:
    ws = open_workspace(github_repo, tmp_path / "home")
    assert ws.layout.kind is LayoutKind.GITHUB
    packet = ws.layout.resolve(ref)
    assert (packet.id, packet.number) == ("001-user-auth", 1)


def test_several_github_features_with_one_number_is_an_error(
    github_repo: Path, tmp_path: Path
) -> None:
    (github_repo / "specs" / "001-other").mkdir()
    ws = open_workspace(github_repo, tmp_path / "home")
    with pytest.raises(SpeckitError, match="matches several SPEC folders"):
        ws.layout.resolve("001")
    assert ws.layout.resolve("001-other").id == "001-other"


def test_the_current_github_feature(
    github_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SPECIFY_FEATURE_DIRECTORY", raising=False)
    monkeypatch.delenv("SPECIFY_FEATURE", raising=False)
    layout = GithubLayout(github_repo)
    assert layout.current() == "specs/001-user-auth"
    monkeypatch.setenv("SPECIFY_FEATURE_DIRECTORY", "specs/009-x")
    assert layout.current() == "specs/009-x"
    monkeypatch.delenv("SPECIFY_FEATURE_DIRECTORY")
    (github_repo / ".specify" / "feature.json").write_text("{not json")
    (github_repo / ".git" / "HEAD").write_text("ref: refs/heads/003-payments\n")
    assert layout.current() == "003"
    monkeypatch.setenv("SPECIFY_FEATURE", "004-search")
    assert layout.current() == "004"
    monkeypatch.delenv("SPECIFY_FEATURE")
    (github_repo / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    assert layout.current() is None
    (github_repo / ".specify" / "feature.json").unlink()
    os.mkfifo(github_repo / ".specify" / "feature.json")
    (github_repo / ".git" / "HEAD").unlink()
    os.mkfifo(github_repo / ".git" / "HEAD")
    assert layout.current() is None  # FIFOs are not read (a read would hang)
    assert ForkLayout(github_repo).current() is None


def test_auto_detection_and_the_setting(fork_repo: Path, github_repo: Path, tmp_path: Path) -> None:
    assert open_workspace(fork_repo, tmp_path / "h1").layout.kind is LayoutKind.FORK
    assert open_workspace(github_repo, tmp_path / "h2").layout.kind is LayoutKind.GITHUB
    only_specs = tmp_path / "only-specs"
    (only_specs / "specs" / "004-thing").mkdir(parents=True)
    assert open_workspace(only_specs, tmp_path / "h3").layout.kind is LayoutKind.GITHUB
    forced = open_workspace(github_repo, tmp_path / "h4", '[speckit]\nlayout = "fork"\n')
    assert forced.layout.kind is LayoutKind.FORK
    forced = open_workspace(fork_repo, tmp_path / "h5", '[speckit]\nlayout = "github"\n')
    assert forced.layout.kind is LayoutKind.GITHUB
    assert forced.evidence_dir == fork_repo / ".specify" / "evidence"
    assert open_workspace(fork_repo, tmp_path / "h6").evidence_dir == (
        fork_repo / "docs" / "SPEC-OPS-004-integrated-coder-hooks" / "evidence"
    )


def test_a_symlinked_spec_folder_out_of_the_project_is_not_resolved_by_path(
    fork_repo: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside" / "SPEC-KIT-080-x"
    outside.mkdir(parents=True)
    os.symlink(outside, fork_repo / "docs" / "SPEC-KIT-080-x")
    ws = open_workspace(fork_repo, tmp_path / "home")
    with pytest.raises(SpeckitError, match="no SPEC"):
        ws.layout.resolve("docs/SPEC-KIT-080-x/spec.md")


def test_the_root_is_found_above_the_folder(fork_repo: Path) -> None:
    deep = fork_repo / "docs" / "SPEC-KIT-070-b"
    assert find_root(deep) == fork_repo
