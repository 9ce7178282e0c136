"""Runs every benchmark and writes ``bench/results/results.{json,md}`` (not committed).

``python -m bench.run [--quick] [--codex PATH | --install-codex DIR]`` (``make bench``). The Codex
CLI comparison runs when a codex binary is given or installed; without one, codex-lsp's own
figures are still measured.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import shutil
import statistics
import time
from pathlib import Path
from typing import Any

from bench import (
    acp,
    app_server_latency,
    cold_start,
    config_reload,
    exec_turn,
    file_search,
    mcp_roundtrip,
    patch_apply,
    rss,
    sandbox_overhead,
    speckit_fanout,
    speckit_gates,
    speckit_resume,
    speckit_status,
    store,
    token_latency,
    webview_render,
    webview_state,
)
from bench.plots import write_plots

RESULTS = Path(__file__).with_name("results")


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def render(results: dict[str, Any]) -> str:
    """The Markdown table of ``results``."""
    lines = [f"# Benchmark results ({results['date']}, {results['machine']})", ""]
    cold = results["cold_start"]
    lines += [
        "| figure | codex-lsp | baseline | ratio |",
        "|---|---|---|---|",
        f"| cold start to `initialize` result (median) | {_ms(cold['codex_lsp_s']['median'])} | "
        f"bare pygls {_ms(cold['bare_pygls_s']['median'])} | {cold['ratio_median']:.2f} |",
    ]
    turn = results["exec_turn"]
    if "codex_s" in turn:
        lines.append(
            f"| one `exec` turn, start to exit (median) | {_ms(turn['codex_lsp_s']['median'])} | "
            f"`codex exec` {_ms(turn['codex_s']['median'])} | {turn['time_ratio_median']:.2f} |"
        )
        lines.append(
            f"| CPU time of that turn (median) | {_ms(turn['codex_lsp_cpu_s']['median'])} | "
            f"`codex exec` {_ms(turn['codex_cpu_s']['median'])} | {turn['cpu_ratio_median']:.2f} |"
        )
        lines.append(
            f"| peak RSS of that turn (median) | {turn['codex_lsp_peak_mib']['median']:.0f} MiB | "
            f"`codex exec` {turn['codex_peak_mib']['median']:.0f} MiB | "
            f"{turn['memory_ratio_median']:.2f} |"
        )
    else:
        lines.append(
            f"| one `exec` turn (median) | {_ms(turn['codex_lsp_s']['median'])} | (no codex) | |"
        )
    lines += ["", "| token latency run | p50 | p99 | max |", "|---|---|---|---|"]
    for run in results["token_latency"]:
        lat = run["latency_ms"]
        shape = "staggered" if run["staggered"] else "aligned bursts"
        label = (
            f"{run['conversations']} conv., {run['aggregate_tokens_per_s']} tok/s total, {shape}"
        )
        lines.append(
            f"| {label} | {lat['median']:.2f} ms | {lat['p99']:.2f} ms | {lat['max']:.2f} ms |"
        )
    compare = results["token_compare"]
    one, many = compare["one"], compare["many"]
    lines.append(
        f"\n{compare['conversations']} conversations against 1, alternating "
        f"({compare['runs']} runs each, 1,000 tok/s in total, medians): p50 "
        f"{many['p50_ms']:.2f} vs {one['p50_ms']:.2f} ms ({compare['p50_ratio']:.2f}x), p99 "
        f"{many['p99_ms']:.2f} vs {one['p99_ms']:.2f} ms ({compare['p99_ratio']:.2f}x); server "
        f"CPU per token {many['cpu_us_per_token']:.0f} vs {one['cpu_us_per_token']:.0f} µs."
    )
    lines += [
        "",
        "| apply_patch case | compute | WorkspaceEdit | CLI | Codex CLI | ratio |",
        "|---|---|---|---|---|---|",
    ]
    for case in results["patch_apply"]:
        peer = (
            f"{case['cli_codex_ms']:.0f} ms | {case['cli_ratio']:.2f}"
            if "cli_codex_ms" in case
            else "— | —"
        )
        lines.append(
            f"| {case['case']} | {case['parse_and_compute_ms']:.0f} ms | "
            f"{case['workspace_edit_ms']:.0f} ms | {case['cli_codex_lsp_ms']:.0f} ms | {peer} |"
        )
    startup = results["sandbox_overhead"]["startup"]
    lines += ["", "| `true` through the runner | median | over direct |", "|---|---|---|"]
    for kind, median in startup["median_ms"].items():
        over = startup["over_direct_ms"].get(kind)
        lines.append(f"| {kind} | {median:.1f} ms | {'' if over is None else f'{over:+.1f} ms'} |")
    search = results["file_search"]
    lines += [
        "",
        f"Fuzzy file search, {search['files']} files: first listing {search['listing_ms']:.0f} ms; "
        f"cold queries median {search['cold_query_median_ms']:.1f} ms "
        f"(max {search['cold_query_max_ms']:.1f}); "
        f"typing median {search['typing_median_ms']:.1f} ms (max {search['typing_max_ms']:.1f}).",
    ]
    reload = results["config_reload"]["write_to_event_ms"]
    lines.append(
        f"Config reload, write to event: median {reload['median']:.0f} ms "
        f"(p99 {reload['p99']:.0f})."
    )
    lines += _store_lines(results["store"])
    memory = results["rss"]
    lines.append(
        f"\nLanguage server RSS: idle {memory['idle_mib']} MiB; with {memory['conversations']} "
        f"open conversations {memory['open_mib']} MiB."
    )
    if "app_server" in results:
        peer = results["app_server"]
        lines.append(
            f"Per-token latency, 1 conversation at 1,000 tok/s: codex-lsp p50 "
            f"{peer['codex_lsp_p50_ms']:.2f} / p99 {peer['codex_lsp_p99_ms']:.2f} ms; `codex "
            f"app-server` p50 {peer['app_server_p50_ms']:.2f} / p99 "
            f"{peer['app_server_p99_ms']:.2f} ms (ratio {peer['p50_ratio']:.2f})."
        )
    front = results["acp"]
    cold, tok = front["cold_start"], front["token_latency"]
    lines.append(
        f"\nACP front end against LSP, same run: cold start {_ms(cold['acp_s']['median'])} vs "
        f"{_ms(cold['lsp_s']['median'])} (ratio {cold['ratio_median']:.2f}); per-token p50 at "
        f"1,000 tok/s {statistics.median(tok['acp_p50_ms']):.2f} vs "
        f"{statistics.median(tok['lsp_p50_ms']):.2f} ms (ratio {tok['p50_ratio']:.2f})."
    )
    mcp = results["mcp_roundtrip"]
    lines.append(
        f"\nMCP tool call round trip (median of {mcp['calls']}): through the manager "
        f"{mcp['manager_ms']['median']:.2f} ms, SDK directly {mcp['direct_sdk_ms']['median']:.2f} "
        f"ms: {mcp['added_ms_median']:.2f} ms added."
    )
    spec = results["speckit_status"]
    lines.append(
        f"\n`/speckit.status` in process, {spec['specs']} SPECs and their evidence: one SPEC p50 "
        f"{spec['one_spec_ms']['median']:.1f} ms (p99 {spec['one_spec_ms']['p99']:.1f}), all of "
        f"them p50 {spec['overview_ms']['median']:.1f} ms (target p50 < 50 ms)."
    )
    fan = results["speckit_fanout"]
    lines.append(
        f"\nA parallel spec-kit stage, three agents of {fan['agent_delay_s']:g} s each, then the "
        f"arbiter: the fan-out took {fan['fanout_wall_ms']:.0f} ms against the slowest agent's "
        f"{fan['slowest_agent_ms']:.0f} ms ({fan['fanout_overhead_ms']:.0f} ms added, target < 150 "
        f"ms); the server's peak memory {fan['peak_rss_mib']:.0f} MiB (target < 150 MiB)."
    )
    gates = results["speckit_gates"]
    resume = results["speckit_resume"]["initialized_to_first_request_ms"]
    lines.append(
        f"\nQuality-gate diagnostics ({gates['issues']} issues, a {gates['lines']}-line spec.md): "
        f"publishing p50 {gates['publish_ms']['median']:.1f} ms, the code-action request p50 "
        f"{gates['code_action_ms']['median']:.1f} ms (target < 20 ms); resuming /speckit.auto "
        f"after a restart: the first model request {resume['median']:.0f} ms after `initialized` "
        "(target < 1 s)."
    )
    lines.append("\nVS Code panel, per streamed event (3 tabs; `python -m bench.webview_state`):")
    for row in results["webview_state"]["sizes"]:
        lines.append(
            f"- {row['turns']} turns per tab: decode {row['decode_us']:.1f} µs, reduce "
            f"{row['reduce_us']:.1f} µs, delta posted {row['delta_us']:.0f} µs (the panel view "
            f"{row['clone_us']:.0f} µs, the whole state {row['whole_state_us']:.0f} µs)"
        )
    if "webview_render" in results:
        median = results["webview_render"]["median"]
        lines.append(
            f"- 500 stored turns opened in the webview (chromium): interactive in "
            f"{median['interactive_ms']:.0f} ms; streaming costs "
            f"{median['per_event_ms'] * 1000:.0f} µs per event (`python -m bench.webview_render`)"
        )
    return "\n".join(lines) + "\n"


def _store_lines(figures: dict[str, Any]) -> list[str]:
    append, durable, lst = figures["append"], figures["durable_write"], figures["list"]
    load = figures["resume"]["load_s"]["median"]
    return [
        "",
        "| store figure | codex-lsp | sqlite3 alone (same run) | ratio |",
        "|---|---|---|---|",
        f"| append, items/s (with an event each) | {append['items_per_s']} | | |",
        f"| one durable write (median) | {durable['codex_lsp_ms']['median']:.2f} ms | "
        f"{durable['sqlite3_ms']['median']:.3f} ms | {durable['ratio_median']:.1f} |",
        f"| list page of 50 in 10,000 (median) | {lst['codex_lsp_ms']['median']:.2f} ms | "
        f"{lst['sqlite3_ms']['median']:.2f} ms | {lst['ratio_median']:.1f} |",
        f"| one conversation's row (median) | {lst['get_one_ms']['median']:.2f} ms | | |",
        f"| resume read, 10,000 items + 10,000 events (median) | {load * 1000:.0f} ms | | |",
    ]


def main() -> None:
    """Run, write, print the Markdown."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer runs and tokens")
    parser.add_argument("--codex", type=Path)
    parser.add_argument("--install-codex", type=Path, metavar="DIR")
    args = parser.parse_args()
    runs, tokens = (5, 300) if args.quick else (15, 1000)
    codex = args.codex or (
        exec_turn.install_codex(args.install_codex) if args.install_codex else None
    )
    results = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, Python {platform.python_version()}",
        "cold_start": cold_start.measure(runs),
        "exec_turn": exec_turn.measure(runs, codex),
        "token_latency": token_latency.run(tokens, [1, 5, 20], stress=True),
        "token_compare": token_latency.compare(tokens, 20, 3 if args.quick else 5),
        "patch_apply": patch_apply.run(runs, codex),
        "sandbox_overhead": sandbox_overhead.measure(4 * runs),
        "file_search": file_search.measure(20_000 if args.quick else 100_000),
        "config_reload": asyncio.run(config_reload.measure(runs)),
        "store": asyncio.run(store.measure(10_000, 10_000, runs)),
        "mcp_roundtrip": asyncio.run(mcp_roundtrip.measure(300)),
        "rss": asyncio.run(rss.measure(20)),
        "speckit_status": asyncio.run(speckit_status.measure(200, 50)),
        "speckit_fanout": asyncio.run(speckit_fanout.measure(3, 1.0)),
        "speckit_gates": asyncio.run(speckit_gates.measure(2000, 50, 50)),
        "speckit_resume": asyncio.run(speckit_resume.measure(3)),
        "webview_state": webview_state.run(5 if args.quick else 20),
        "acp": {
            "cold_start": acp.cold_start(runs),
            "token_latency": acp.tokens(tokens, 3),
        },
    }
    if shutil.which("chromium"):
        results["webview_render"] = webview_render.run(runs=3 if args.quick else 5)
    if codex:
        results["app_server"] = asyncio.run(app_server_latency.measure(codex, tokens, 3))
    RESULTS.mkdir(exist_ok=True)
    samples = {
        f"{r['conversations']} conv., {r['aggregate_tokens_per_s']} tok/s"
        + ("" if r["staggered"] else ", bursts"): r.pop("samples_ms")
        for r in results["token_latency"]
    }
    samples["20 conv. (alternating with 1)"] = results["token_compare"].pop("samples_ms")
    (RESULTS / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    write_plots(results, samples, RESULTS)
    markdown = render(results)
    (RESULTS / "results.md").write_text(markdown)
    print(markdown)


if __name__ == "__main__":
    main()
