"""Added latency per streamed token: from the fake model server writing an SSE frame to the
client reading the matching ``codex/event`` over LSP. Each delta's text is the server's
``perf_counter_ns`` at write time (CLOCK_MONOTONIC, comparable across processes). The model
server runs in its own process.

``--rate`` is tokens per second *per conversation*; by default the aggregate is 1,000 tok/s
shared by the conversations (a real model streams 50-100 tok/s), and ``--stress`` also runs
every conversation at 1,000 tok/s. Each stream keeps to its own clock (independent streams); the
client stamps every message with the moment its bytes arrived. ``--compare N --runs R`` alternates
1 and N conversations (1,000 tok/s in total) R times and reports the medians, their ratios and
the server's CPU time per token (which a loaded machine moves far less than the latency).

``python -m bench.token_latency [--tokens 1000] [--conversations 1 5 20] [--stress]``
``python -m bench.token_latency --compare 20 --runs 5 [--tokens 1000]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
from pathlib import Path
from typing import Any

from bench.common import make_home, summary
from bench.lsp_client import BenchClient, server_argv
from bench.model_process import ModelProcess


async def measure(
    tokens: int, conversations: int, frame_delay_s: float = 0.001, stagger: bool = True
) -> dict[str, Any]:
    """Stream ``tokens`` deltas at 1/``frame_delay_s`` per second into each conversation; with
    ``stagger`` the conversations start evenly spread over one frame period (tokens arrive
    evenly, as independent streams do), else all at once (bursts)."""
    latencies_ms: list[float] = []
    done: dict[str, asyncio.Event] = {}
    streaming: set[str] = set()
    # the server's CPU time over the tokens between every stream running and the first ending
    window: list[tuple[float, int]] = []

    def listener(message: dict[str, Any], received_ns: int) -> None:
        params = message.get("params") or {}
        msg = params.get("msg") or {}
        if msg.get("type") == "agentMessageDelta":
            sent_ns = int(msg["delta"].split()[0])
            latencies_ms.append((received_ns - sent_ns) / 1e6)
            streaming.add(params["conversationId"])
            if not window and len(streaming) == conversations:
                window.append((_cpu_s(client.proc.pid), len(latencies_ms)))
        elif msg.get("type") == "taskComplete":
            if len(window) == 1:
                window.append((_cpu_s(client.proc.pid), len(latencies_ms)))
            done[params["conversationId"]].set()

    with ModelProcess(tokens, frame_delay_s) as base_url:
        home = make_home(base_url)
        client = await BenchClient.spawn(server_argv(), home.env, listener)
        try:
            await client.initialize(str(home.workspace))
            ids = []
            for _ in range(conversations):
                result = await client.request("codex/newConversation", {})
                if "conversationId" not in result:
                    raise RuntimeError(f"codex/newConversation failed: {result}")
                ids.append(result["conversationId"])
                done[result["conversationId"]] = asyncio.Event()
            for conv in ids:
                await client.request(
                    "codex/userInput",
                    {"conversationId": conv, "items": [{"type": "text", "text": "go"}]},
                )
                if stagger:
                    await asyncio.sleep(frame_delay_s / conversations)
            await asyncio.wait_for(asyncio.gather(*(done[c].wait() for c in ids)), 120)
        finally:
            await client.close()
    return {
        "tokens": tokens,
        "conversations": conversations,
        "staggered": stagger,
        "latency_ms": summary(latencies_ms),
        "server_cpu_us_per_token": (window[1][0] - window[0][0])
        / max(1, window[1][1] - window[0][1])
        * 1e6,
        "samples_ms": latencies_ms,
    }


def _cpu_s(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def compare(tokens: int, conversations: int, runs: int) -> dict[str, Any]:
    """Alternate 1 and ``conversations`` conversations at 1,000 tok/s in total, ``runs`` times:
    medians of each run's p50 and p99, their ratios to the one conversation of the same runs,
    and the server's CPU time per token."""
    single: list[dict[str, Any]] = []
    many: list[dict[str, Any]] = []
    for _ in range(runs):
        single.append(asyncio.run(measure(tokens, 1, frame_delay_s=0.001)))
        many.append(asyncio.run(measure(tokens, conversations, frame_delay_s=conversations / 1000)))

    def medians(results: list[dict[str, Any]]) -> dict[str, float]:
        return {
            "p50_ms": statistics.median(r["latency_ms"]["median"] for r in results),
            "p99_ms": statistics.median(r["latency_ms"]["p99"] for r in results),
            "cpu_us_per_token": statistics.median(r["server_cpu_us_per_token"] for r in results),
        }

    one, n = medians(single), medians(many)
    return {
        "tokens": tokens,
        "conversations": conversations,
        "runs": runs,
        "one": one,
        "many": n,
        "p50_ratio": n["p50_ms"] / one["p50_ms"],
        "p99_ratio": n["p99_ms"] / one["p99_ms"],
        "per_run": [
            {
                k: (r["latency_ms"]["median"], r["latency_ms"]["p99"])
                for k, r in (("one", a), ("many", b))
            }
            for a, b in zip(single, many, strict=True)
        ],
        "samples_ms": many[-1]["samples_ms"],
    }


def run(tokens: int, conversations: list[int], stress: bool) -> list[dict[str, Any]]:
    """Aggregate 1,000 tok/s per conversation count; with ``stress``, also the largest count
    with aligned bursts and with every conversation at 1,000 tok/s."""
    results = []
    for count in conversations:
        result = asyncio.run(measure(tokens, count, frame_delay_s=count / 1000))
        results.append({**result, "aggregate_tokens_per_s": 1000})
    if stress:
        count = max(conversations)
        result = asyncio.run(measure(tokens, count, frame_delay_s=count / 1000, stagger=False))
        results.append({**result, "aggregate_tokens_per_s": 1000})
        result = asyncio.run(measure(tokens, count, frame_delay_s=0.001))
        results.append({**result, "aggregate_tokens_per_s": 1000 * count})
    return results


def main() -> None:
    """Print one JSON result per run."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--tokens", type=int, default=1000)
    parser.add_argument("--conversations", type=int, nargs="+", default=[1, 5, 20])
    parser.add_argument("--stress", action="store_true")
    parser.add_argument("--compare", type=int, metavar="N", help="1 vs N conversations")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if args.compare:
        result = compare(args.tokens, args.compare, args.runs)
        result.pop("samples_ms")
        print(json.dumps(result))
        return
    for result in run(args.tokens, args.conversations, args.stress):
        print(json.dumps(result))


if __name__ == "__main__":
    main()
