"""Fixtures of the spec-kit tests: real repositories in temporary folders (the fork's layout and
GitHub's), a codex-lsp home with a config.toml, and the workspace spec-kit sees there."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from codex_lsp.config.loader import load_layered
from codex_lsp.speckit.workspace import Workspace
from codex_lsp.store.speckit_runs import SpeckitRuns

TRACKER = (
    "# SPEC Tracker\n\n"
    "| Order | Task ID | Title | Status | Owners | PRD | Branch | PR | Last Validation | Evidence "
    "| Notes |\n"
    "|-------|-------|-------|-------|-------|-------|-------|-------|-------|-------|-------|\n"
    "| 2 | SPEC-KIT-070 | B | In Progress | ana | docs/SPEC-KIT-070-b/PRD.md | spec-070 | #12 | "
    "2025-11-01 | | two |\n"
    "| 1 | SPEC-KIT-065 | A | Done | bo | docs/SPEC-KIT-065-a/PRD.md | | | | | one |\n"
)

SPEC_071 = """# Spec: Login

**SPEC-ID**: SPEC-KIT-071
**Feature**: Login

## User Scenarios

### P1

Users sign in with OAuth2.

## Requirements

### Functional

- **FR-001**: The system MUST redirect to the identity provider within 200 ms.
- **FR-002**: The system MUST reject an expired token with HTTP 401.

## Success Criteria

- 99% of sign-ins complete in under 2 s.
"""


def write_home(home: Path, toml: str = "") -> Path:
    """A codex-lsp home whose config.toml holds ``toml``."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(toml, encoding="utf-8")
    return home


def open_workspace(root: Path, home: Path, toml: str = "") -> Workspace:
    """The workspace at ``root`` with the config ``toml`` (written to ``home``)."""
    write_home(home, toml)
    config = load_layered(home=home, workspace=root).config
    return Workspace.open(root, config, home)


def make_fork_repo(root: Path) -> Path:
    """The issue's repository at ``root``: SPEC-KIT-065-a/ and SPEC-KIT-070-b/ folders, a
    *file* docs/SPEC-KIT-099.md, and SPEC.md with the 11-column tracker."""
    (root / ".git").mkdir(parents=True)
    for name in ("SPEC-KIT-065-a", "SPEC-KIT-070-b"):
        (root / "docs" / name).mkdir(parents=True)
        (root / "docs" / name / "spec.md").write_text(f"# Spec: {name}\n", encoding="utf-8")
    (root / "docs" / "SPEC-KIT-099.md").write_text("not a packet\n", encoding="utf-8")
    (root / "SPEC.md").write_text(TRACKER, encoding="utf-8")
    return root


def make_fork_spec(fork_repo: Path) -> Path:
    """SPEC-KIT-071-login in ``fork_repo``, holding a real spec.md and PRD.md."""
    folder = fork_repo / "docs" / "SPEC-KIT-071-login"
    folder.mkdir()
    (folder / "spec.md").write_text(SPEC_071, encoding="utf-8")
    (folder / "PRD.md").write_text(
        "# PRD: Login\n\n**SPEC-ID**: SPEC-KIT-071\n\n## Problem Statement\n\nUsers cannot sign "
        "in.\n\n## Acceptance Criteria\n\n- Given a user, when they sign in, then they land on "
        "the dashboard.\n\n## Test Strategy\n\nEnd-to-end tests against a fake provider.\n\n"
        "## Non-Functional Requirements\n\n- **NFR-001**: p95 sign-in under 2 s.\n",
        encoding="utf-8",
    )
    return folder


@pytest.fixture
def fork_repo(tmp_path: Path) -> Path:
    """The issue's repository (:func:`make_fork_repo`)."""
    return make_fork_repo(tmp_path / "fork")


@pytest.fixture
def fork_spec(fork_repo: Path) -> Path:
    """``fork_repo`` with SPEC-KIT-071-login (:func:`make_fork_spec`)."""
    return make_fork_spec(fork_repo)


@pytest.fixture
def github_repo(tmp_path: Path) -> Path:
    """A GitHub spec-kit repository: .specify/ with feature.json → specs/001-user-auth."""
    root = tmp_path / "gh"
    (root / ".git").mkdir(parents=True)
    (root / ".specify" / "memory").mkdir(parents=True)
    (root / ".specify" / "memory" / "constitution.md").write_text(
        "# Demo Constitution\n\n**Version**: 1.2.0\n", encoding="utf-8"
    )
    (root / ".specify" / "feature.json").write_text(
        '{"feature_directory": "specs/001-user-auth"}', encoding="utf-8"
    )
    feature = root / "specs" / "001-user-auth"
    feature.mkdir(parents=True)
    (feature / "spec.md").write_text(
        "# Feature Specification: User auth\n\n## Requirements *(mandatory)*\n\n"
        "- **FR-001**: System MUST let users sign in with email and password.\n",
        encoding="utf-8",
    )
    return root


@pytest.fixture
async def runs(tmp_path: Path) -> AsyncIterator[SpeckitRuns]:
    """A fresh store file with the spec-kit tables."""
    store = await SpeckitRuns.open(tmp_path / "state.db")
    yield store
    await store.close()
