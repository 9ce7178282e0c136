"""``codex-lsp doctor``: one verdict line per check (:mod:`codex_lsp.core.doctor`: config,
provider, API, store, each MCP server, editor files, sandbox; then spec-kit's agents per stage),
exit 1 when any check fails."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

from codex_lsp.config.loader import load_layered
from codex_lsp.config.secrets import redact
from codex_lsp.core.doctor import diagnose
from codex_lsp.errors import CodexError
from codex_lsp.speckit.doctor import report_speckit


def run_doctor(overrides: dict[str, Any], cwd: Path) -> int:
    """Print the checks; 1 when any failed."""
    failed = False

    def report(verdict: str, area: str, detail: str) -> None:
        nonlocal failed
        failed = failed or verdict == "FAIL"
        print(f"{verdict:<4}  {area:<9} {redact(detail)}", flush=True)

    asyncio.run(diagnose(lambda: load_layered(overrides, workspace=cwd), report))
    with contextlib.suppress(CodexError):  # the config check has said what is wrong with it
        report_speckit(load_layered(overrides, workspace=cwd), cwd, report)
    return 1 if failed else 0
