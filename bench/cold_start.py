"""Language server cold start: process start to the ``initialize`` result, codex-lsp beside a
bare pygls server measured alternately in the same run.

``python -m bench.cold_start [--runs 15]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from bench.common import make_home, summary
from bench.lsp_client import BenchClient, server_argv

BASELINE = [sys.executable, str(Path(__file__).with_name("baseline_server.py"))]


async def _once(argv: list[str], env: dict[str, str], root: str) -> float:
    started = time.perf_counter()
    client = await BenchClient.spawn(argv, env)
    await client.initialize(root)
    elapsed = time.perf_counter() - started
    await client.close()
    return elapsed


def measure(runs: int) -> dict[str, Any]:
    """Medians of both servers and their ratio."""
    home = make_home("http://127.0.0.1:9/v1")
    ours, base = [], []
    for _ in range(runs):
        ours.append(asyncio.run(_once(server_argv(), home.env, str(home.workspace))))
        base.append(asyncio.run(_once(BASELINE, home.env, str(home.workspace))))
    return {
        "codex_lsp_s": summary(ours),
        "bare_pygls_s": summary(base),
        "ratio_median": statistics.median(ours) / statistics.median(base),
    }


def main() -> None:
    """Print the result as JSON."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    print(json.dumps(measure(parser.parse_args().runs)))


if __name__ == "__main__":
    main()
