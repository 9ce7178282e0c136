"""What the sandbox costs a command, and how fast output streams.

- Start-up of ``true`` through the runner, alternating in the same run: **direct** (no launcher,
  the floor), **unsandboxed** (danger-full-access: supervised by the launcher), **sandboxed**
  (workspace-write: namespaces, placeholders, Landlock, seccomp), the same in a folder with
  ``.git``, and sandboxed with the launcher exec'd as a new interpreter (what the fork server
  saves; the path an ACP client's terminal takes). Medians, and each one's difference from and
  ratio to the direct start.
- Output: a command printing 100 MiB through the runner with the client-event path (each chunk
  becomes a serialised ``execCommandOutputDelta``); MB/s drained, and what reaches the client
  (capped at 1 MiB per stream, so a command that prints gigabytes cannot exhaust memory).

``python -m bench.sandbox_overhead [--runs 30]``
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from codex_lsp.exec import spawn
from codex_lsp.exec.runner import run_command
from codex_lsp.exec.sandbox import sandboxed_argv
from codex_lsp.protocol.events import ExecCommandOutputDeltaEvent
from codex_lsp.protocol.items import ExecOutputStream
from codex_lsp.protocol.policies import DangerFullAccess, WorkspaceWrite

OUTPUT_BYTES = 100 * 1024 * 1024


@contextlib.contextmanager
def _exec_launcher() -> Iterator[None]:
    """Commands exec the launcher instead of asking the fork server (as before it existed)."""
    available = spawn.available
    spawn.available = lambda: False  # type: ignore[assignment]
    try:
        yield
    finally:
        spawn.available = available  # type: ignore[assignment]


async def _time_true(argv: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    result = await run_command(argv, cwd, timeout_s=10)
    elapsed = (time.perf_counter() - started) * 1000
    assert result.exit_code == 0, result
    return elapsed


async def _startup(runs: int, cwd: Path) -> dict[str, Any]:
    repo = cwd / "repo"
    (repo / ".git").mkdir(parents=True, exist_ok=True)
    kinds = {
        "direct": (["true"], cwd),
        "unsandboxed": (sandboxed_argv(["true"], DangerFullAccess(), cwd), cwd),
        "sandboxed": (sandboxed_argv(["true"], WorkspaceWrite(), cwd), cwd),
        "sandboxed_in_git_repo": (sandboxed_argv(["true"], WorkspaceWrite(), repo), repo),
    }
    samples: dict[str, list[float]] = {kind: [] for kind in [*kinds, "sandboxed_exec_launcher"]}
    for argv, folder in kinds.values():
        await _time_true(argv, folder)  # warm-up: the fork server starts with the first one
    for _ in range(runs):
        for kind, (argv, folder) in kinds.items():
            samples[kind].append(await _time_true(argv, folder))
        with _exec_launcher():
            argv, folder = kinds["sandboxed"]
            samples["sandboxed_exec_launcher"].append(await _time_true(argv, folder))
    medians = {kind: statistics.median(values) for kind, values in samples.items()}
    direct = medians["direct"]
    return {
        "median_ms": medians,
        "over_direct_ms": {k: v - direct for k, v in medians.items() if k != "direct"},
        "ratio_to_direct": {k: v / direct for k, v in medians.items() if k != "direct"},
        "sandboxed_over_unsandboxed_ms": medians["sandboxed"] - medians["unsandboxed"],
        "runs": runs,
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
