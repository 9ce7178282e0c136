"""The benchmark gate CI runs: a fast subset measured against baselines in the same run, failing
when a ratio regresses past its margin (ratios, not absolute times, so a noisy machine does not
make it flake; the limits sit above the spread seen across runs: 200-file apply_patch
1.86-2.88, cold start 1.03-1.07, token p50 0.28-0.47 ms, ACP / LSP cold start 0.17-0.25, ACP /
LSP token p50 0.90-1.02). Comparisons with the Codex CLI run when ``CODEX_BIN`` is set.

The headless turn is held to 1.6x ``codex exec`` on CPU time (user + system, every thread),
not on wall time. On the shared 2-core machine the wall time of the same build swings by
30-50 % between runs (wall ratios of 1.27-2.88 were measured for one build within minutes),
because it counts the time the process waits for a core; CPU time counts the work the turn
does. Even CPU time grows with the load (cache contention weighs more on an interpreter than on a
native binary: our turn's CPU time went from 0.30 to 0.52 s, Codex's from 0.20 to 0.28 s), so
the figure is the lower quartile of the per-pair ratios of ``EXEC_RUNS`` alternating pairs (a
pair's two runs, seconds apart, see the same load): it passes 1.6 only when at least a quarter
of the pairs did, and a change that makes every turn do more work moves it as much as the
median. Over eighteen runs on the loaded machine (load average 6.5-11) it was 1.32-1.65, while
the median of the pairs was 1.48-1.76 and the wall ratio 1.27-2.92 (docs/performance.md); three
of those measurements, at load averages of 9-10, were past 1.6. So any figure past its
limit is measured again (``CONFIRMATIONS`` times) and the gate fails only when none came back
under it: a burst of load pushes one measurement over, a regression pushes all of them. Wall
time keeps a loose limit that only a hang or a gross regression passes.

``python -m bench.gate``; exit 1 when a figure is past its limit.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable
from pathlib import Path

from bench import acp, cold_start, exec_turn, patch_apply, token_latency

RUNS = 5
EXEC_RUNS = 9
"""The headless turn's alternating pairs (its CPU ratio is held closer than the others)."""
CONFIRMATIONS = 2
"""How many more times a figure past its limit is measured before the gate fails."""
LIMITS = {
    "cold start / bare pygls": 1.5,
    "exec turn / codex exec": 3.5,
    "exec turn CPU / codex exec CPU": 1.6,
    "apply_patch 200 files / codex": 5.0,
    "token p50 ms (1 conversation, 1,000 tok/s)": 5.0,
    "acp cold start / lsp": 1.1,
    "acp token p50 / lsp (1,000 tok/s)": 1.5,
}


Probe = Callable[[], dict[str, float]]
"""Measures some of the gated figures together (one benchmark can give several)."""


def probes(codex: Path | None) -> list[Probe]:
    """The gated benchmarks; those against the Codex CLI only with its binary."""

    def start() -> dict[str, float]:
        return {"cold start / bare pygls": cold_start.measure(RUNS)["ratio_median"]}

    def tokens() -> dict[str, float]:
        latency = asyncio.run(token_latency.measure(300, 1))
        return {"token p50 ms (1 conversation, 1,000 tok/s)": latency["latency_ms"]["median"]}

    def front_ends() -> dict[str, float]:
        return {
            "acp cold start / lsp": acp.cold_start(RUNS)["ratio_median"],
            "acp token p50 / lsp (1,000 tok/s)": acp.tokens(300, 1)["p50_ratio"],
        }

    found: list[Probe] = [start, tokens, front_ends]
    if codex is not None:
        peer = codex

        def turn() -> dict[str, float]:
            result = exec_turn.measure(EXEC_RUNS, peer)
            return {
                "exec turn / codex exec": result["time_ratio_median"],
                "exec turn CPU / codex exec CPU": result["cpu_ratio_paired_low"],
            }

        def patch() -> dict[str, float]:
            many = patch_apply.measure_case("200 files", patch_apply.many_files_case, RUNS, peer)
            return {"apply_patch 200 files / codex": many["cli_ratio"]}

        found += [turn, patch]
    return found


def confirmed(probe: Probe) -> dict[str, float]:
    """``probe``'s figures; one past its limit is measured again, up to ``CONFIRMATIONS``
    times, and its best value kept: a burst of load can push one measurement over, a
    regression pushes every one."""
    figures = probe()
    for _ in range(CONFIRMATIONS):
        past = [f"{name}: {value:.2f}" for name, value in figures.items() if value > LIMITS[name]]
        if not past:
            break
        print(f"bench gate: measuring again ({', '.join(past)})", flush=True)
        again = probe()
        figures = {name: min(value, again[name]) for name, value in figures.items()}
    return figures


def main() -> int:
    """Print each figure against its limit; 1 when any is past it."""
    codex_bin = os.environ.get("CODEX_BIN")
    codex = Path(codex_bin) if codex_bin and Path(codex_bin).exists() else None
    if codex is None:
        print("bench gate: CODEX_BIN is not set; the comparisons with the Codex CLI are skipped")
    failed = 0
    for probe in probes(codex):
        for name, value in confirmed(probe).items():
            limit = LIMITS[name]
            verdict = "ok" if value <= limit else "REGRESSED"
            failed += verdict != "ok"
            print(f"bench gate: {verdict:<9} {name}: {value:.2f} (limit {limit})", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
