"""A repository that plants Python modules where the server starts: ``python -m codex_lsp``
(the VS Code extension's fallback, with the workspace as its working directory) must import
codex-lsp's own modules and their real dependencies, never the repository's."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import subprocess_env

PLANT = "open({mark!r}, 'w').write('the repository ran code in the server')\n"


def _run(argv: list[str], workspace: Path, home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *argv],
        check=False,
        cwd=workspace,
        env=subprocess_env(home),
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    folder = tmp_path / "repo"
    folder.mkdir()
    return folder


def test_a_planted_dependency_is_not_imported_by_python_m(workspace: Path, tmp_path: Path) -> None:
    """A ``pydantic.py`` at the repository's root: ``-m`` put the folder first on the path."""
    mark = tmp_path / "planted-ran"
    (workspace / "pydantic.py").write_text(PLANT.format(mark=str(mark)))
    result = _run(["-m", "codex_lsp", "config", "show"], workspace, tmp_path / "home")
    assert result.returncode == 0, result.stderr
    assert "model" in result.stdout
    assert not mark.exists()


def test_the_editor_s_command_line_cannot_have_codex_lsp_itself_planted(
    workspace: Path, tmp_path: Path
) -> None:
    """A ``codex_lsp`` package at the repository's root: with ``-P`` (what the VS Code
    extension runs, and its probe) the installed one is imported; without it, the planted one
    would be, which is what this test's plant shows first."""
    mark = tmp_path / "planted-ran"
    (workspace / "codex_lsp").mkdir()
    (workspace / "codex_lsp" / "__init__.py").write_text(PLANT.format(mark=str(mark)))
    (workspace / "codex_lsp" / "__main__.py").write_text("")
    home = tmp_path / "home"
    _run(["-m", "codex_lsp", "--version"], workspace, home)
    assert mark.exists(), "the plant does not reach a plain -m: this test would prove nothing"
    mark.unlink()
    result = _run(["-P", "-m", "codex_lsp", "--version"], workspace, home)
    assert result.returncode == 0 and result.stdout.startswith("codex-lsp "), result.stderr
    probe = _run(["-P", "-c", "import codex_lsp"], workspace, home)
    assert probe.returncode == 0, probe.stderr
    assert not mark.exists()
