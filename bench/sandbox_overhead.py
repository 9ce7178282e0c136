"""What the sandbox costs a command, and how fast output streams.

- Start-up: ``true`` unsandboxed vs under the workspace-write sandbox (Landlock + seccomp via the
  launcher), alternating in the same run; medians and the difference; and in a folder with
  ``.git`` (which adds the read-only bind mount in a private mount namespace).
- Output: a command printing 100 MiB through the runner with the client-event path (each chunk
  becomes a serialised ``execCommandOutputDelta``); MB/s drained, and what reaches the client
  (capped at 1 MiB per stream, so a command that prints gigabytes cannot exhaust memory).

``python -m bench.sandbox_overhead [--runs 30]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from codex_lsp.exec.runner import run_command
from codex_lsp.exec.sandbox import sandboxed_argv
from codex_lsp.protocol.events import ExecCommandOutputDeltaEvent
from codex_lsp.protocol.items import ExecOutputStream
from codex_lsp.protocol.policies import DangerFullAccess, WorkspaceWrite

OUTPUT_BYTES = 100 * 1024 * 1024


async def _startup(runs: int, cwd: Path) -> dict[str, float]:
    plain, boxed, in_repo = [], [], []
    repo = cwd / "repo"
    (repo / ".git").mkdir(parents=True, exist_ok=True)
    for _ in range(runs):
        started = time.perf_counter()
        await run_command(sandboxed_argv(["true"], WorkspaceWrite(), repo), repo, timeout_s=10)
        in_repo.append((time.perf_counter() - started) * 1000)
        for policy, bucket in ((DangerFullAccess(), plain), (WorkspaceWrite(), boxed)):
            started = time.perf_counter()
            result = await run_command(sandboxed_argv(["true"], policy, cwd), cwd, timeout_s=10)
            bucket.append((time.perf_counter() - started) * 1000)
            assert result.exit_code == 0
    return {
        "unsandboxed_ms": statistics.median(plain),
        "sandboxed_ms": statistics.median(boxed),
        "overhead_ms": statistics.median(boxed) - statistics.median(plain),
        "sandboxed_in_git_repo_ms": statistics.median(in_repo),
    }


async def _output(cwd: Path) -> dict[str, float]:
    sent = 0

    def on_output(stream: ExecOutputStream, chunk: str) -> None:
        nonlocal sent
        event = ExecCommandOutputDeltaEvent(
            turn_id="t", item_id="i", call_id="c", stream=stream, chunk=chunk
        )
        sent += len(event.to_wire_json())

    argv = sandboxed_argv(
        ["bash", "-c", f"head -c {OUTPUT_BYTES} /dev/zero | tr '\\0' 'x'"], WorkspaceWrite(), cwd
    )
    started = time.perf_counter()
    result = await run_command(argv, cwd, timeout_s=120, on_output=on_output)
    elapsed = time.perf_counter() - started
    return {
        "printed_mib": OUTPUT_BYTES / 2**20,
        "seconds": elapsed,
        "drain_mib_per_s": OUTPUT_BYTES / 2**20 / elapsed,
        "kept_mib": len(result.stdout) / 2**20,
        "sent_to_client_mib": sent / 2**20,
    }


def measure(runs: int) -> dict[str, Any]:
    """Both figures."""
    cwd = Path(tempfile.mkdtemp(prefix="sandbox-bench-"))
    return {"startup": asyncio.run(_startup(runs, cwd)), "output": asyncio.run(_output(cwd))}


def main() -> None:
    """Print the result as JSON."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    print(json.dumps(measure(parser.parse_args().runs)))


if __name__ == "__main__":
    main()
