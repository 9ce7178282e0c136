"""apply_patch throughput: a 1,000-hunk patch on a 100,000-line file and a 200-file patch.

In process: parse + compute (``plan_hunks``), the time to build the editor's minimal
WorkspaceEdit from the patch's own edits (``to_text_edits``), and the generic diff undo uses
(``line_edits``, new → old), and the undo bookkeeping a turn pays (record every touched file
before, snapshot it after). End to end: ``codex-lsp apply-patch`` beside Codex's own
apply_patch (``codex --codex-run-as-apply-patch``) on fresh copies, alternating, medians and ratio.
The package's bytecode is compiled first, as an installed package's is (pip compiles it at install):
a checkout run under ``PYTHONDONTWRITEBYTECODE`` would otherwise compile every module it imports on
every run (~12 ms of CPU for the apply-patch command).

``python -m bench.patch_apply [--runs 7] [--codex PATH]``
"""

from __future__ import annotations

import argparse
import compileall
import json
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import codex_lsp
from bench.common import codex_lsp_command
from codex_lsp.core.turn_diff import TurnDiffTracker
from codex_lsp.lsp.text_edits import line_edits, to_text_edits
from codex_lsp.patch.files import FilePlan, plan_hunks, read_disk
from codex_lsp.patch.parser import parse_patch


def big_file_case(root: Path) -> str:
    """A 100,000-line file and a patch of 1,000 hunks spread through it."""
    (root / "big.txt").write_text("".join(f"row {i}\n" for i in range(100_000)))
    hunks = "".join(
        f"@@\n row {i}\n-row {i + 1}\n+ROW {i + 1}\n row {i + 2}\n" for i in range(0, 100_000, 100)
    )
    return f"*** Begin Patch\n*** Update File: big.txt\n{hunks}*** End Patch\n"


def many_files_case(root: Path) -> str:
    """200 files of 200 lines and a patch changing each in two places."""
    sections = []
    for f in range(200):
        (root / f"file{f}.txt").write_text("".join(f"f{f} line {i}\n" for i in range(200)))
        sections.append(
            f"*** Update File: file{f}.txt\n@@\n f{f} line 10\n-f{f} line 11\n+F{f} LINE 11\n"
            f"@@\n f{f} line 150\n-f{f} line 151\n+F{f} LINE 151\n"
        )
    return "*** Begin Patch\n" + "".join(sections) + "*** End Patch\n"


def _median_time(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _undo_bookkeeping(plans: list[FilePlan], root: Path) -> object:
    """What a turn pays for undo: record each touched file before, snapshot it after."""
    tracker = TurnDiffTracker(root, read_disk)
    tracker.record([p.target for p in plans])
    return tracker.snapshot("turn")


def _cli(argv: list[str], source: Path) -> float:
    work = Path(tempfile.mkdtemp(prefix="patch-bench-"))
    shutil.copytree(source, work, dirs_exist_ok=True)
    started = time.perf_counter()
    subprocess.run(argv, cwd=work, check=True, stdout=subprocess.DEVNULL)
    elapsed = time.perf_counter() - started
    shutil.rmtree(work)
    return elapsed


def measure_case(
    name: str, build: Callable[[Path], str], runs: int, codex: Path | None
) -> dict[str, Any]:
    """In-process and end-to-end figures for one case."""
    compileall.compile_dir(Path(codex_lsp.__file__).parent, quiet=1)  # as an installed package
    source = Path(tempfile.mkdtemp(prefix=f"patch-{name}-"))
    patch = build(source)
    compute_s = _median_time(lambda: plan_hunks(parse_patch(patch), source), runs)
    plans = plan_hunks(parse_patch(patch), source)
    edit_s = _median_time(lambda: [to_text_edits(p.old or "", p.edits or ()) for p in plans], runs)
    diff_s = _median_time(lambda: [line_edits(p.new or "", p.old or "") for p in plans], runs)
    bookkeeping_s = _median_time(lambda: _undo_bookkeeping(plans, source), runs)
    ours, theirs = [], []
    for _ in range(runs):
        ours.append(_cli(codex_lsp_command("apply-patch", patch), source))
        if codex:
            theirs.append(_cli([str(codex), "--codex-run-as-apply-patch", patch], source))
    result: dict[str, Any] = {
        "case": name,
        "patch_bytes": len(patch),
        "parse_and_compute_ms": compute_s * 1000,
        "workspace_edit_ms": edit_s * 1000,
        "undo_diff_ms": diff_s * 1000,
        "undo_bookkeeping_ms": bookkeeping_s * 1000,
        "cli_codex_lsp_ms": statistics.median(ours) * 1000,
    }
    if theirs:
        result["cli_codex_ms"] = statistics.median(theirs) * 1000
        result["cli_ratio"] = statistics.median(ours) / statistics.median(theirs)
    shutil.rmtree(source)
    return result


def run(runs: int, codex: Path | None) -> list[dict[str, Any]]:
    """Both cases."""
    return [
        measure_case("1000 hunks, 100k-line file", big_file_case, runs, codex),
        measure_case("200 files", many_files_case, runs, codex),
    ]


def main() -> None:
    """Print one JSON line per case."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--codex", type=Path)
    args = parser.parse_args()
    for row in run(args.runs, args.codex):
        print(json.dumps(row))


if __name__ == "__main__":
    main()
