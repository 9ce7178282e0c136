"""Every test here gets its own ``$CODEX_LSP_HOME`` (the sandbox keeps its placeholder registry
there and hides it from commands), never the real one."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def own_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """``$CODEX_LSP_HOME`` in the test's temp dir."""
    home = tmp_path / "codex-lsp-home"
    monkeypatch.setenv("CODEX_LSP_HOME", str(home))
    return home
