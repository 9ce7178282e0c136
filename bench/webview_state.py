"""The VS Code panel's per-event cost: ``python -m bench.webview_state [--runs N]``.

Bundles ``bench/webview_state.ts`` with the repository's esbuild and runs it with node: the
extension's reducer and the copy posted to the webview per streamed event (the delta from the
last posted view, which the bridge posts; the panel view and the whole state it replaced, for
comparison), three tabs of 10, 100 and 500 turns each, against decoding the event itself (same
run). Needs ``npm ci`` at the root.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def run(runs: int = 20) -> dict[str, Any]:
    """Build and run the node benchmark; its JSON result."""
    esbuild = ROOT / "node_modules" / ".bin" / "esbuild"
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "webview_state.js"
        subprocess.run(
            [
                str(esbuild),
                str(ROOT / "bench" / "webview_state.ts"),
                "--bundle",
                "--platform=node",
                f"--outfile={out}",
                "--log-level=warning",
            ],
            check=True,
        )
        done = subprocess.run(
            ["node", str(out), str(runs)], check=True, capture_output=True, text=True, timeout=600
        )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def main() -> None:
    """Print the figures as a table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    result = run(parser.parse_args().runs)
    print(
        "| turns per tab (3 tabs) | decode event (baseline) | reduce | delta + its copy (posted) "
        "| copy of the panel view (before) | copy of the whole state (before that) "
        "| (reduce+delta)/decode |"
    )
    print("|---|---|---|---|---|---|---|")
    for row in result["sizes"]:
        ratio = (row["reduce_us"] + row["delta_us"]) / max(row["decode_us"], 1e-9)
        print(
            f"| {row['turns']} | {row['decode_us']:.1f} µs | {row['reduce_us']:.1f} µs | "
            f"{row['delta_us']:.1f} µs | {row['clone_us']:.1f} µs | "
            f"{row['whole_state_us']:.1f} µs | {ratio:.1f}x |"
        )


if __name__ == "__main__":
    main()
