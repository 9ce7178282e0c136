"""The change capture shell commands get for undo, on a generated git repository of 100,000
files (tracked, some untracked, an ignored folder): the baseline built once (in the background
in the server), then what capture adds to each command (``begin`` + ``end`` around a real
command that changes a few files), median over the runs; and a command in a read-only sandbox
(no capture at all), and the full stat scan used when inotify's queue overflowed.

``python -m bench.shell_capture [--files 100000] [--runs 21]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from codex_lsp.core.workspace_watch import Window, WorkspaceWatch


def make_repo(files: int) -> Path:
    """``files`` small files in folders like a real repository, committed; an ignored
    ``build/`` with 1,000 more, and 100 untracked."""
    root = Path(tempfile.mkdtemp(prefix="capture-bench-"))
    per_folder = 100
    for d in range(files // per_folder):
        folder = root / f"pkg{d % 37}" / f"module_{d}"
        folder.mkdir(parents=True, exist_ok=True)
        for f in range(per_folder):
            (folder / f"file_{f}.py").write_text(f"x = {f}\n")
    (root / ".gitignore").write_text("build/\n")
    git = ["git", "-c", "user.email=b@b", "-c", "user.name=b"]
    subprocess.run([*git, "init", "-q"], cwd=root, check=True)
    subprocess.run([*git, "add", "-A"], cwd=root, check=True)
    subprocess.run([*git, "commit", "-qm", "tree"], cwd=root, check=True)
    (root / "build").mkdir()
    for f in range(1000):
        (root / "build" / f"out_{f}.o").write_text("o\n")
    for f in range(100):
        (root / "pkg0" / f"scratch_{f}.txt").write_text("u\n")
    return root


async def _measure(root: Path, runs: int) -> dict[str, Any]:
    watch = WorkspaceWatch(root)
    started = time.perf_counter()
    await watch.prepare()
    baseline_ms = (time.perf_counter() - started) * 1000
    captured: list[float] = []
    changed = 0
    for run in range(runs):
        script = (
            f"echo 'x = {run}' > pkg1/module_1/file_1.py; echo new > pkg2/made_{run}.py; "
            f"rm -f pkg3/module_3/file_{run}.py; echo b > build/out_{run}.o"
        )
        started = time.perf_counter()
        window = await watch.begin()
        begin_s = time.perf_counter() - started
        command = await asyncio.create_subprocess_exec("bash", "-c", script, cwd=root)
        await command.wait()
        started = time.perf_counter()
        changes = await watch.end(window)
        captured.append((begin_s + time.perf_counter() - started) * 1000)
        changed = len(changes)
    started = time.perf_counter()
    with watch._lock:
        overflow = Window(overflow=True)
        watch._settle(overflow)
    full_scan_ms = (time.perf_counter() - started) * 1000
    watch.close()
    return {
        "baseline_ms": baseline_ms,
        "per_command_median_ms": statistics.median(captured),
        "per_command_max_ms": max(captured),
        "files_changed_per_command": changed,
        "read_only_command_ms": 0.0,  # no watch is made: turn.run_command skips the capture
        "overflow_full_scan_ms": full_scan_ms,
    }


def measure(files: int, runs: int = 21) -> dict[str, Any]:
    """Baseline, per-command capture and the overflow fallback on a ``files``-file repo."""
    root = make_repo(files)
    try:
        return {"files": files, **asyncio.run(_measure(root, runs))}
    finally:
        shutil.rmtree(root)


def main() -> None:
    """Print the result as JSON."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    print(json.dumps(measure(args.files, args.runs)))


if __name__ == "__main__":
    main()
