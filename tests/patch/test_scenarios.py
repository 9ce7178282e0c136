"""Portable apply_patch scenarios: ``scenarios/NNN_name/{input/, expected/, patch.txt}``.

Each scenario copies ``input/`` to a temporary folder, applies ``patch.txt`` there, and expects
the folder to equal ``expected/`` byte for byte. The expected trees were produced by running the
Codex CLI's own apply_patch (0.169.0) on the inputs; when that binary is available
(``CODEX_BIN``, or ``codex`` on PATH) the differential test also compares exit codes and output.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from codex_lsp.patch.files import apply_hunks
from codex_lsp.patch.model import PatchError
from codex_lsp.patch.parser import parse_patch

SCENARIOS = sorted(p for p in (Path(__file__).parent / "scenarios").iterdir() if p.is_dir())
CODEX_BIN = os.environ.get("CODEX_BIN") or shutil.which("codex")


def tree(root: Path) -> dict[str, bytes]:
    """Every file below ``root`` by relative path."""
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def _prepare(scenario: Path, work: Path) -> str:
    shutil.copytree(scenario / "input", work, dirs_exist_ok=True)
    return (scenario / "patch.txt").read_bytes().decode("utf-8")


def test_there_are_many_scenarios() -> None:
    assert len(SCENARIOS) >= 50


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda p: p.name)
def test_scenario(scenario: Path, tmp_path: Path) -> None:
    patch = _prepare(scenario, tmp_path)
    failed = False
    try:
        apply_hunks(parse_patch(patch), tmp_path)
    except PatchError:
        failed = True
    assert failed == ("fail" in scenario.name)
    assert tree(tmp_path) == tree(scenario / "expected")


def _run(argv: list[str], cwd: Path) -> tuple[int, str, str]:
    result = subprocess.run(argv, cwd=cwd, check=False, capture_output=True, text=True, timeout=30)
    return result.returncode, result.stdout, result.stderr.replace(str(cwd), "<cwd>")


@pytest.mark.slow
@pytest.mark.skipif(
    CODEX_BIN is None, reason="the Codex CLI is not installed (set CODEX_BIN to its binary)"
)
@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda p: p.name)
def test_same_outcome_as_codex(scenario: Path, tmp_path: Path) -> None:
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    patch = _prepare(scenario, ours)
    _prepare(scenario, theirs)
    assert CODEX_BIN is not None
    expected = _run([CODEX_BIN, "--codex-run-as-apply-patch", patch], theirs)
    got = _run([sys.executable, "-m", "codex_lsp", "apply-patch", patch], ours)
    assert got == expected
    assert tree(ours) == tree(theirs)
