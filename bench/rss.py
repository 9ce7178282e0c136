"""Memory of the language server: resident set size once idle after ``initialize``, and with 20
open conversations that have each run a turn. ``python -m bench.rss [--conversations 20]``"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
from typing import Any

from bench.common import make_home
from bench.lsp_client import BenchClient, server_argv
from bench.model_process import ModelProcess

SETTLE_S = 1.0


def rss_mib(pid: int) -> float:
    """VmRSS of ``pid`` in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


async def measure(conversations: int) -> dict[str, Any]:
    """RSS idle, and after ``conversations`` conversations each ran a 50-token turn."""
    done: dict[str, asyncio.Event] = {}

    def listener(message: dict[str, Any], received_ns: int) -> None:
        params = message.get("params") or {}
        if (params.get("msg") or {}).get("type") == "taskComplete":
            done[params["conversationId"]].set()

    with ModelProcess(50, 0.0005) as base_url:
        home = make_home(base_url)
        client = await BenchClient.spawn(server_argv(), home.env, listener)
        try:
            await client.initialize(str(home.workspace))
            await asyncio.sleep(SETTLE_S)
            idle = rss_mib(client.proc.pid)
            for _ in range(conversations):
                result = await client.request("codex/newConversation", {})
                done[result["conversationId"]] = asyncio.Event()
                await client.request(
                    "codex/userInput",
                    {
                        "conversationId": result["conversationId"],
                        "items": [{"type": "text", "text": "go"}],
                    },
                )
            await asyncio.wait_for(asyncio.gather(*(e.wait() for e in done.values())), 120)
            await asyncio.sleep(SETTLE_S)
            busy = rss_mib(client.proc.pid)
        finally:
            await client.close()
    return {"idle_mib": round(idle, 1), "conversations": conversations, "open_mib": round(busy, 1)}


def main() -> None:
    """Print the figures as JSON."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--conversations", type=int, default=20)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(measure(args.conversations))))


if __name__ == "__main__":
    main()
