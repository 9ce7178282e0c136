"""The ACP front end against the language server, in the same run, alternating:

- cold start: process start to the ``initialize`` answer (``codex-lsp acp`` vs ``codex-lsp``);
- added latency per streamed token at 1,000 tok/s, one session: from the model server writing
  an SSE frame to the client reading the matching ``agent_message_chunk`` (ACP) or
  ``agentMessageDelta`` event (LSP), as :mod:`bench.token_latency` measures it.

``python -m bench.acp [--runs 9] [--tokens 1000] [--token-runs 3]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from typing import Any

from bench import token_latency
from bench.acp_client import AcpBenchClient, agent_argv
from bench.common import make_home, summary
from bench.lsp_client import BenchClient, server_argv
from bench.model_process import ModelProcess


async def _acp_cold(env: dict[str, str]) -> float:
    started = time.perf_counter()
    client = await AcpBenchClient.spawn(agent_argv(), env)
    await client.initialize()
    elapsed = time.perf_counter() - started
    await client.close()
    return elapsed


async def _lsp_cold(env: dict[str, str], root: str) -> float:
    started = time.perf_counter()
    client = await BenchClient.spawn(server_argv(), env)
    await client.initialize(root)
    elapsed = time.perf_counter() - started
    await client.close()
    return elapsed


def cold_start(runs: int) -> dict[str, Any]:
    """Medians of both front ends' cold start and their ratio (ACP / LSP)."""
    home = make_home("http://127.0.0.1:9/v1")
    acp, lsp = [], []
    for _ in range(runs):
        acp.append(asyncio.run(_acp_cold(home.env)))
        lsp.append(asyncio.run(_lsp_cold(home.env, str(home.workspace))))
    return {
        "acp_s": summary(acp),
        "lsp_s": summary(lsp),
        "ratio_median": statistics.median(acp) / statistics.median(lsp),
    }


async def acp_tokens(tokens: int, frame_delay_s: float = 0.001) -> dict[str, Any]:
    """One ACP session streaming ``tokens`` timestamped deltas at 1/``frame_delay_s`` tok/s."""
    latencies_ms: list[float] = []

    def listener(message: dict[str, Any], received_ns: int) -> None:
        update = (message.get("params") or {}).get("update") or {}
        if update.get("sessionUpdate") == "agent_message_chunk":
            sent_ns = int(update["content"]["text"].split()[0])
            latencies_ms.append((received_ns - sent_ns) / 1e6)

    with ModelProcess(tokens, frame_delay_s) as base_url:
        home = make_home(base_url)
        client = await AcpBenchClient.spawn(agent_argv(), home.env, listener)
        try:
            await client.initialize()
            session = await client.request(
                "session/new", {"cwd": str(home.workspace), "mcpServers": []}
            )
            answer = await client.request(
                "session/prompt",
                {"sessionId": session["sessionId"], "prompt": [{"type": "text", "text": "go"}]},
            )
            assert answer == {"stopReason": "end_turn"}, answer
        finally:
            await client.close()
    return {"tokens": tokens, "latency_ms": summary(latencies_ms), "samples_ms": latencies_ms}


def tokens(count: int, runs: int) -> dict[str, Any]:
    """Per-token p50 over LSP and over ACP, alternating ``runs`` times; the ratio of the
    medians of the runs' p50s (ACP / LSP)."""
    acp_p50, lsp_p50, acp_p99, lsp_p99 = [], [], [], []
    for _ in range(runs):
        lsp = asyncio.run(token_latency.measure(count, 1))["latency_ms"]
        acp = asyncio.run(acp_tokens(count))["latency_ms"]
        lsp_p50.append(lsp["median"])
        acp_p50.append(acp["median"])
        lsp_p99.append(lsp["p99"])
        acp_p99.append(acp["p99"])
    return {
        "tokens": count,
        "runs": runs,
        "acp_p50_ms": acp_p50,
        "lsp_p50_ms": lsp_p50,
        "acp_p99_ms": acp_p99,
        "lsp_p99_ms": lsp_p99,
        "p50_ratio": statistics.median(acp_p50) / statistics.median(lsp_p50),
    }


def main() -> None:
    """Print both results as JSON lines."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--tokens", type=int, default=1000)
    parser.add_argument("--token-runs", type=int, default=3)
    args = parser.parse_args()
    print(json.dumps({"cold_start": cold_start(args.runs)}))
    print(json.dumps({"token_latency": tokens(args.tokens, args.token_runs)}))


if __name__ == "__main__":
    main()
