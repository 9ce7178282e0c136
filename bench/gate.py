"""The benchmark gate CI runs: a fast subset measured against baselines in the same run, failing
when a ratio regresses past its margin (ratios, not absolute times, so a noisy machine does not
make it flake; the limits sit well above the spread seen across runs: exec 1.67-2.75 wall and
1.38-1.75 CPU (user + system time, which a loaded machine moves far less than wall time), 200-file
apply_patch 1.86-2.88, cold start 1.03-1.07, token p50 0.28-0.47 ms, ACP / LSP cold start
0.17-0.25, ACP / LSP token p50 0.90-1.02). Comparisons with the Codex CLI run when ``CODEX_BIN``
is set.

``python -m bench.gate``; exit 1 when a figure is past its limit.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from bench import acp, cold_start, exec_turn, patch_apply, token_latency

RUNS = 5
LIMITS = {
    "cold start / bare pygls": 1.5,
    "exec turn / codex exec": 3.5,
    "exec turn CPU / codex exec CPU": 2.0,
    "apply_patch 200 files / codex": 5.0,
    "token p50 ms (1 conversation, 1,000 tok/s)": 5.0,
    "acp cold start / lsp": 1.1,
    "acp token p50 / lsp (1,000 tok/s)": 1.5,
}


def measure(codex: Path | None) -> dict[str, float]:
    """The gated figures."""
    figures = {"cold start / bare pygls": cold_start.measure(RUNS)["ratio_median"]}
    latency = asyncio.run(token_latency.measure(300, 1))
    figures["token p50 ms (1 conversation, 1,000 tok/s)"] = latency["latency_ms"]["median"]
    figures["acp cold start / lsp"] = acp.cold_start(RUNS)["ratio_median"]
    figures["acp token p50 / lsp (1,000 tok/s)"] = acp.tokens(300, 1)["p50_ratio"]
    if codex is not None:
        turn = exec_turn.measure(RUNS, codex)
        figures["exec turn / codex exec"] = turn["time_ratio_median"]
        figures["exec turn CPU / codex exec CPU"] = turn["cpu_ratio_median"]
        many = patch_apply.measure_case("200 files", patch_apply.many_files_case, RUNS, codex)
        figures["apply_patch 200 files / codex"] = many["cli_ratio"]
    return figures


def main() -> int:
    """Print each figure against its limit; 1 when any is past it."""
    codex_bin = os.environ.get("CODEX_BIN")
    codex = Path(codex_bin) if codex_bin and Path(codex_bin).exists() else None
    if codex is None:
        print("bench gate: CODEX_BIN is not set; the comparisons with the Codex CLI are skipped")
    failed = 0
    for name, value in measure(codex).items():
        limit = LIMITS[name]
        verdict = "ok" if value <= limit else "REGRESSED"
        failed += verdict != "ok"
        print(f"bench gate: {verdict:<9} {name}: {value:.2f} (limit {limit})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
