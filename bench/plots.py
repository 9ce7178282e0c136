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

    ratios = {
        "cold start / bare pygls": results["cold_start"]["ratio_median"],
        "exec turn / codex exec": results["exec_turn"].get("time_ratio_median"),
        "exec peak RSS / codex exec": results["exec_turn"].get("memory_ratio_median"),
        "MCP call / direct SDK": results["mcp_roundtrip"]["ratio_median"],
        "token p50 / codex app-server": results.get("app_server", {}).get("p50_ratio"),
    }
    shown = {k: v for k, v in ratios.items() if v is not None}
    fig, ax = plt.subplots(figsize=(8, 4))
    ax.barh(list(shown), list(shown.values()), color="#4c78a8")
    ax.axvline(1.0, color="black", linewidth=1)
    ax.set_xlabel("codex-lsp / baseline (median, same run; lower is better)")
    for y, value in enumerate(shown.values()):
        ax.text(value, y, f" {value:.2f}", va="center")
    path = folder / "ratios.png"
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    written.append(path)
    return written
