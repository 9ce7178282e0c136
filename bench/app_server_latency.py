"""Per-token latency of ``codex app-server`` on the same timestamped stream codex-lsp is measured
on (``bench.token_latency``), alternating the two, one conversation at 1,000 tok/s: from the
model server writing an SSE frame to the client reading the matching notification.

``python -m bench.app_server_latency --codex PATH [--tokens 1000] [--runs 3]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import token_latency
from bench.common import make_home, summary
from bench.exec_turn import install_codex
from bench.model_process import ModelProcess

TURN_TIMEOUT_S = 120


def _codex_home(base_url: str) -> Path:
    home = Path(tempfile.mkdtemp(prefix="codex-app-server-"))
    (home / "config.toml").write_text(
        'model = "fake-model"\nmodel_provider = "fake"\napproval_policy = "never"\n'
        'sandbox_mode = "workspace-write"\n[model_providers.fake]\nname = "fake"\n'
        f'base_url = "{base_url}"\nwire_api = "responses"\nenv_key = "FAKE_KEY"\n'
    )
    return home


async def app_server_latency(codex: Path, tokens: int) -> dict[str, Any]:
    """One turn of ``codex app-server`` (JSON-RPC lines on stdio) on the timestamped stream."""
    latencies: list[float] = []
    with ModelProcess(tokens, 0.001) as base_url:
        home = make_home(base_url)
        env = {**home.env, "CODEX_HOME": str(_codex_home(base_url)), "FAKE_KEY": "x"}
        proc = await asyncio.create_subprocess_exec(
            str(codex),
            "app-server",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
            env=env,
            cwd=home.workspace,
            limit=2**24,
        )
        assert proc.stdin is not None and proc.stdout is not None
        stdin, stdout = proc.stdin, proc.stdout
        next_id = 0

        async def send(method: str, params: dict[str, Any], notify: bool = False) -> Any:
            nonlocal next_id
            message: dict[str, Any] = {"method": method, "params": params}
            if not notify:
                next_id += 1
                message["id"] = next_id
            stdin.write((json.dumps(message) + "\n").encode())
            await stdin.drain()
            if notify:
                return None
            while True:
                line = json.loads(await stdout.readline())
                if line.get("id") == message["id"]:
                    return line.get("result")

        try:
            await send("initialize", {"clientInfo": {"name": "bench", "version": "0"}})
            await send("initialized", {}, notify=True)
            thread = await send("thread/start", {"cwd": str(home.workspace)})
            await send(
                "turn/start",
                {"threadId": thread["thread"]["id"], "input": [{"type": "text", "text": "go"}]},
            )
            async with asyncio.timeout(TURN_TIMEOUT_S):
                while True:
                    raw = await stdout.readline()
                    received = time.perf_counter_ns()
                    if not raw:
                        break
                    line = json.loads(raw)
                    method = line.get("method")
                    if method == "item/agentMessage/delta":
                        sent = int(line["params"]["delta"].split()[0])
                        latencies.append((received - sent) / 1e6)
                    elif method == "turn/completed":
                        break
        finally:
            stdin.close()
            proc.kill()
            await proc.wait()
    return {"tokens": len(latencies), "latency_ms": summary(latencies)}


async def measure(codex: Path, tokens: int, runs: int) -> dict[str, Any]:
    """Alternate codex-lsp and the app-server ``runs`` times; medians of the per-run p50/p99."""
    ours: list[dict[str, Any]] = []
    theirs: list[dict[str, Any]] = []
    for _ in range(runs):
        ours.append((await token_latency.measure(tokens, 1))["latency_ms"])
        theirs.append((await app_server_latency(codex, tokens))["latency_ms"])

    def med(rows: list[dict[str, Any]], key: str) -> float:
        return statistics.median(r[key] for r in rows)

    return {
        "runs": runs,
        "tokens": tokens,
        "codex_lsp_p50_ms": med(ours, "median"),
        "codex_lsp_p99_ms": med(ours, "p99"),
        "app_server_p50_ms": med(theirs, "median"),
        "app_server_p99_ms": med(theirs, "p99"),
        "p50_ratio": med(ours, "median") / med(theirs, "median"),
        "per_run": {"codex_lsp": ours, "app_server": theirs},
    }


def main() -> None:
    """Print the comparison as JSON."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--codex", type=Path)
    parser.add_argument("--install-codex", type=Path, metavar="DIR")
    parser.add_argument("--tokens", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    codex = args.codex or install_codex(args.install_codex or Path("/tmp/codex-peer"))
    print(json.dumps(asyncio.run(measure(codex, args.tokens, args.runs)), indent=1))


if __name__ == "__main__":
    main()
