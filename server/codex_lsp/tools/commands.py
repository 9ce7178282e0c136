"""Where a tool's command runs: a :class:`CommandRunner` gets the argv already wrapped in the
sandbox and returns how it ended. :func:`run_locally` is a local subprocess (every front end's
default); the ACP front end can run it in its client's terminal instead."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from codex_lsp.exec.runner import ExecResult, OutputSink, run_command


class CommandRunner(Protocol):
    """Runs one command for the tool call ``call_id``; raises ``OSError`` when it cannot start.
    A cancelled caller must find the command stopped."""

    async def __call__(
        self,
        argv: list[str],
        cwd: Path,
        *,
        call_id: str,
        timeout_s: float,
        on_output: OutputSink | None,
        env: dict[str, str] | None,
    ) -> ExecResult:
        """Run ``argv`` in ``cwd`` and report its end."""
        ...


async def run_locally(
    argv: list[str],
    cwd: Path,
    *,
    call_id: str,
    timeout_s: float,
    on_output: OutputSink | None,
    env: dict[str, str] | None,
) -> ExecResult:
    """A subprocess of this server, its output streamed (see :func:`run_command`)."""
    return await run_command(argv, cwd, timeout_s=timeout_s, on_output=on_output, env=env)
