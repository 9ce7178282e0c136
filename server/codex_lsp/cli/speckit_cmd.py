"""spec-kit headless: ``codex-lsp speckit <command> … [--json]`` and the ``/speckit.*`` text
``codex-lsp exec`` is given. Both go through :func:`codex_lsp.speckit.route` and answer the
native commands (and usage errors) here, without a conversation or a model request; a command
that runs on agents is typed into a headless conversation, as ``exec`` does with any prompt,
where :mod:`codex_lsp.speckit.front` carries it out. Exit status: 0 done, 1 failed, 2 bad usage
or configuration."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from codex_lsp.config.loader import load_layered
from codex_lsp.errors import CodexError, ConfigError
from codex_lsp.speckit import RouteError, route
from codex_lsp.speckit.dispatch import NeedsAgents, execute
from codex_lsp.speckit.status import open_runs
from codex_lsp.speckit.workspace import Workspace, find_root

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
AGENTS = "agents"
"""What :func:`_run` answers for a command its stage's agents carry out."""


async def _run(
    text: str, cwd: Path, overrides: dict[str, Any], as_json: bool, name: str
) -> int | str | None:
    """The exit code of a command answered here, :data:`AGENTS` for one that runs on agents,
    None for text that is no spec-kit command."""
    try:
        loaded = load_layered(overrides, workspace=cwd)
        workspace = Workspace.open(find_root(cwd), loaded.config)
    except ConfigError as exc:
        if route(text) is None:
            return None
        print(f"{name}: {exc.message}", file=sys.stderr)
        return EXIT_USAGE
    routed = route(text, current=workspace.layout.current())
    if routed is None:
        return None
    if isinstance(routed, RouteError):
        print(f"{name}: {routed.message}", file=sys.stderr)
        return EXIT_USAGE
    runs = None
    try:
        runs = await open_runs(workspace)
        result = await execute(routed, workspace, runs)
    except CodexError as exc:
        print(f"{name}: {exc.message}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        if runs is not None:
            await runs.close()
    if isinstance(result, NeedsAgents):
        return AGENTS
    print(result.render(as_json or routed.json))
    return EXIT_OK if result.ok else EXIT_FAILED


def run_slash(text: str, cwd: Path, overrides: dict[str, Any], as_json: bool) -> int | None:
    """``codex-lsp exec "/speckit.status SPEC-KIT-071"``: the exit code, or None when ``text``
    is no spec-kit command or one that runs on agents (then exec runs it in a conversation)."""
    if not text.lstrip().startswith("/"):
        return None
    code = asyncio.run(_run(text, cwd.resolve(), overrides, as_json, "codex-lsp exec"))
    return code if isinstance(code, int) else None


def run_speckit(args: argparse.Namespace, overrides: dict[str, Any]) -> int:
    """``codex-lsp speckit <command> [args…]``: answered here, or (a command that runs on
    agents) in a headless conversation whose final message (Markdown, or JSON with
    ``--json``) goes to stdout."""
    name = args.name.removeprefix("/").removeprefix("speckit.")
    text = " ".join([f"/speckit.{name}", *args.args])
    cwd = Path(args.cwd or ".").resolve()
    code = asyncio.run(_run(text, cwd, overrides, False, "codex-lsp speckit"))
    if code is None:
        print(f"codex-lsp speckit: {name!r} is no spec-kit command", file=sys.stderr)
        return EXIT_USAGE
    if code == AGENTS:
        from codex_lsp.cli.exec_cmd import run_headless

        return run_headless(text, cwd, overrides)
    assert isinstance(code, int)
    return code
