"""spec-kit's part of ``codex-lsp doctor``: the SPEC layout of the workspace and the agents each
stage will use (core's checks cannot know spec-kit, which sits above the core)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from codex_lsp.config.loader import LoadedConfig
from codex_lsp.errors import CodexError
from codex_lsp.speckit.agents import stage_agents
from codex_lsp.speckit.workspace import Workspace, find_root

Report = Callable[[str, str, str], None]


def report_speckit(loaded: LoadedConfig, cwd: Path, report: Report) -> None:
    """The spec-kit layout of ``cwd`` and the agents each stage will use."""
    try:
        workspace = Workspace.open(find_root(cwd), loaded.config)
        count = len(workspace.layout.specs())
    except CodexError as exc:
        report("FAIL", "speckit", exc.message)
        return
    layout = workspace.layout.kind.value
    report("ok", "speckit", f"{layout} layout at {workspace.root}: {count} SPEC(s)")
    for plan in stage_agents(loaded.config).values():
        runnable = plan.native or bool(plan.agents)
        report("ok" if runnable else "warn", "speckit", plan.describe())
