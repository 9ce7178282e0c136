"""Shared benchmark plumbing: a codex-lsp home pointing at the fake model server, statistics."""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

KEY_ENV = "FAKE_MODEL_KEY"


def codex_lsp_command(*args: str) -> list[str]:
    """The command line a user runs: the ``codex-lsp`` script installed beside this interpreter
    (as ``codex`` is the binary the Codex CLI installs), else ``python -m codex_lsp``."""
    script = Path(sys.executable).with_name("codex-lsp")
    return [str(script), *args] if script.exists() else [sys.executable, "-m", "codex_lsp", *args]


@dataclass(frozen=True)
class Home:
    """A temporary CODEX_LSP_HOME and the environment that selects it."""

    path: Path
    workspace: Path
    env: dict[str, str]


def make_home(base_url: str, wire_api: str = "responses") -> Home:
    """A home whose config uses the fake server as provider ``fake``."""
    root = Path(tempfile.mkdtemp(prefix="codex-lsp-bench-"))
    home = root / "home"
    workspace = root / "ws"
    home.mkdir()
    workspace.mkdir()
    (home / "config.toml").write_text(
        f'model = "fake-model"\nmodel_provider = "fake"\napproval_policy = "never"\n'
        f'sandbox_mode = "workspace-write"\n[model_providers.fake]\nname = "fake"\n'
        f'base_url = "{base_url}"\nwire_api = "{wire_api}"\nenv_key = "{KEY_ENV}"\n'
    )
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "TMPDIR", "PYTHONPATH")}
    env.update({"HOME": str(root), "CODEX_LSP_HOME": str(home), KEY_ENV: "sk-bench"})
    return Home(home, workspace, env)


def percentile(values: list[float], p: float) -> float:
    """The ``p``-th percentile (0-100) by nearest rank."""
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


def summary(values: list[float]) -> dict[str, float]:
    """Median, p99, min, max of ``values``."""
    return {
        "median": statistics.median(values),
        "p99": percentile(values, 99),
        "min": min(values),
        "max": max(values),
        "n": float(len(values)),
    }
