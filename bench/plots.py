"""PNG plots of a benchmark run (matplotlib, from the ``bench`` extra): the per-token latency
distributions, and codex-lsp against its same-run baselines."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def write_plots(
    results: dict[str, Any], samples: dict[str, list[float]], folder: Path
) -> list[Path]:
    """Write the plots into ``folder``; returns their paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written: list[Path] = []
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for label, values in samples.items():
        ordered = sorted(values)
        if not ordered:
            continue
        ax.plot(ordered, [i / len(ordered) for i in range(len(ordered))], label=label)
    ax.set_xscale("log")
    ax.set_xlabel("added latency per token (ms, log scale)")
    ax.set_ylabel("share of tokens at or below")
    ax.set_title("model server write → client notification")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    path = folder / "token_latency_cdf.png"
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    written.append(path)

    patches = {case["case"]: case.get("cli_ratio") for case in results.get("patch_apply", [])}
    startup = results.get("sandbox_overhead", {}).get("startup", {})
    turn = results["exec_turn"]
    ratios = {  # figure: (ratio, its target or None)
        "cold start / bare pygls": (results["cold_start"]["ratio_median"], 1.05),
        "exec turn / codex exec (wall)": (turn.get("time_ratio_median"), 1.2),
        "exec turn / codex exec (CPU)": (turn.get("cpu_ratio_median"), 1.2),
        "exec peak RSS / codex exec": (turn.get("memory_ratio_median"), 1.0),
        "apply_patch 1,000 hunks / codex": (patches.get("1000 hunks, 100k-line file"), 1.5),
        "apply_patch 200 files / codex": (patches.get("200 files"), 1.5),
        "token p50 / codex app-server": (results.get("app_server", {}).get("p50_ratio"), 1.0),
        "token p50, 20 conv. / 1 conv.": (results["token_compare"]["p50_ratio"], None),
        "token p99, 20 conv. / 1 conv.": (results["token_compare"]["p99_ratio"], None),
        "MCP call / direct SDK": (results["mcp_roundtrip"]["ratio_median"], None),
    }
    shown = {k: v for k, v in ratios.items() if v[0] is not None}
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(shown) + 1.5))
    ax.barh(list(shown), [v[0] for v in shown.values()], color="#4c78a8")
    ax.axvline(1.0, color="black", linewidth=1)
    ax.set_xlabel("codex-lsp / baseline (median, same run; lower is better; | = target)")
    for y, (value, target) in enumerate(shown.values()):
        ax.text(value, y, f" {value:.2f}", va="center")
        if target is not None:
            ax.plot([target, target], [y - 0.4, y + 0.4], color="#e45756", linewidth=2)
    path = folder / "ratios.png"
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    written.append(path)
    if startup:
        over = startup["over_direct_ms"]
        fig, ax = plt.subplots(figsize=(8, 0.45 * len(over) + 1.5))
        ax.barh(list(over), list(over.values()), color="#4c78a8")
        ax.axvline(5.0, color="#e45756", linewidth=2, label="target: 5 ms over direct")
        ax.set_xlabel("`true` through the runner: ms over a direct start (median, same run)")
        for y, value in enumerate(over.values()):
            ax.text(value, y, f" {value:.1f}", va="center")
        ax.legend(fontsize=8)
        path = folder / "sandbox_startup.png"
        fig.tight_layout()
        fig.savefig(path, dpi=120)
        plt.close(fig)
        written.append(path)
    return written
