"""Fuzzy file search on a generated 100,000-file tree: the first (cold) listing, then per-query
latency for cold queries and for a query typed one character at a time.

``python -m bench.file_search [--files 100000]``
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from codex_lsp.tools.file_search import FileIndex, search

QUERIES = ["file_5_99", "mod12fil", "pkg3/module_5", "zzz", "f", "readme"]
TYPED = "module_42/file_7"


def make_tree(files: int) -> Path:
    """``files`` empty files spread over folders like a real repository."""
    root = Path(tempfile.mkdtemp(prefix="search-bench-"))
    per_folder = 100
    for d in range(files // per_folder):
        folder = root / f"pkg{d % 37}" / f"module_{d}"
        folder.mkdir(parents=True, exist_ok=True)
        for f in range(per_folder):
            (folder / f"file_{f}_{d}.py").touch()
    return root


def measure(files: int, runs: int = 7) -> dict[str, Any]:
    """Cold listing, cold queries, and keystrokes."""
    root = make_tree(files)
    try:
        index = FileIndex()
        started = time.perf_counter()
        index.listing(root)
        listing_ms = (time.perf_counter() - started) * 1000
        cold = {}
        for query in QUERIES:
            times = []
            for _ in range(runs):
                index.listing(root).last_hits = None
                started = time.perf_counter()
                search(query, [root], 50, index)
                times.append((time.perf_counter() - started) * 1000)
            cold[query] = statistics.median(times)
        index.listing(root).last_hits = None
        typed = []
        for end in range(1, len(TYPED) + 1):
            started = time.perf_counter()
            search(TYPED[:end], [root], 50, index)
            typed.append((time.perf_counter() - started) * 1000)
        return {
            "files": files,
            "listing_ms": listing_ms,
            "cold_query_ms": cold,
            "cold_query_median_ms": statistics.median(cold.values()),
            "cold_query_max_ms": max(cold.values()),
            "typing_median_ms": statistics.median(typed),
            "typing_max_ms": max(typed),
        }
    finally:
        shutil.rmtree(root)


def main() -> None:
    """Print the result as JSON."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=100_000)
    print(json.dumps(measure(parser.parse_args().files)))


if __name__ == "__main__":
    main()
