"""MCP tool-call round trip: through codex-lsp's manager (the connection the model's calls use,
with its timeout and error handling, plus the argument check against the tool's schema) vs the
SDK's ClientSession called directly, each on its own server process, alternating.
``python -m bench.mcp_roundtrip [--calls 300]``"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from mcp import ClientSession, StdioServerParameters, stdio_client

from bench.common import summary
from codex_lsp.config.model import McpServerConfig
from codex_lsp.mcp.manager import McpManager
from codex_lsp.mcp.schema import argument_problems

SERVER = Path(__file__).with_name("mcp_echo_server.py")


async def measure(calls: int) -> dict[str, Any]:
    """Median per-call times of both paths and what the manager adds."""
    manager = McpManager()
    manager.configure({"bench": McpServerConfig(command=sys.executable, args=[str(SERVER)])})
    await manager.wait_started(30)
    connection = manager.connection("bench")
    tool = manager.tools()["bench__add"]
    ours: list[float] = []
    direct: list[float] = []
    params = StdioServerParameters(command=sys.executable, args=[str(SERVER)])
    try:
        async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            for n in range(calls):
                args = {"a": n, "b": 1}
                t = time.perf_counter()
                assert argument_problems(tool.tool.input_schema, args) is None
                await connection.call_tool("add", args)
                ours.append(time.perf_counter() - t)
                t = time.perf_counter()
                await session.call_tool("add", args)
                direct.append(time.perf_counter() - t)
    finally:
        await manager.shutdown()
    skip = min(20, calls // 10)  # warm-up
    ours, direct = ours[skip:], direct[skip:]
    return {
        "calls": len(ours),
        "manager_ms": {k: v * 1000 for k, v in summary(ours).items() if k != "n"},
        "direct_sdk_ms": {k: v * 1000 for k, v in summary(direct).items() if k != "n"},
        "added_ms_median": (statistics.median(ours) - statistics.median(direct)) * 1000,
        "ratio_median": statistics.median(ours) / statistics.median(direct),
    }


def main() -> None:
    """Print the figures as JSON."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(measure(args.calls)), indent=1))


if __name__ == "__main__":
    main()
