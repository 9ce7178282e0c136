"""Added latency per streamed token: from the fake model server writing an SSE frame to the
client reading the matching ``codex/event`` over LSP. Each delta's text is the server's
``perf_counter_ns`` at write time (CLOCK_MONOTONIC, comparable across processes). The model
server runs in its own process.

``--rate`` is tokens per second *per conversation*; by default the aggregate is 1,000 tok/s
shared by the conversations (a real model streams 50-100 tok/s), and ``--stress`` also runs
every conversation at 1,000 tok/s.

``python -m bench.token_latency [--tokens 1000] [--conversations 1 5 20] [--stress]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
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

    def listener(message: dict[str, Any], received_ns: int) -> None:
        params = message.get("params") or {}
        msg = params.get("msg") or {}
        if msg.get("type") == "agentMessageDelta":
            sent_ns = int(msg["delta"].split()[0])
            latencies_ms.append((received_ns - sent_ns) / 1e6)
        elif msg.get("type") == "taskComplete":
            done[params["conversationId"]].set()

    with ModelProcess(tokens, frame_delay_s) as base_url:
        home = make_home(base_url)
        client = await BenchClient.spawn(server_argv(), home.env, listener)
        try:
            await client.initialize(str(home.workspace))
            ids = []
            for _ in range(conversations):
                result = await client.request("codex/newConversation", {})
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
        "samples_ms": latencies_ms,
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
    args = parser.parse_args()
    for result in run(args.tokens, args.conversations, args.stress):
        print(json.dumps(result))


if __name__ == "__main__":
    main()
