"""The chat webview in headless Chromium: ``python -m bench.webview_render [--turns N]``.

Bundles the webview (``vscode-extension/src/webview/main.ts``) and ``bench/webview_render.ts``
with the repository's esbuild into a page with the panel's own skeleton and style sheet (and a
stand-in dark theme: inside VS Code the theme supplies the variables), opens it in Debian's
chromium through Playwright, and reports: the time from a stored conversation's data reaching
the extension to the panel drawn and answering input (target: 150 ms at 500 turns), and the cost
per streamed event at 1,000 tokens/s with that history present (target: under 1 ms). Needs
``npm ci`` at the root, playwright and chromium (``make peers`` as root installs it).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
EXTENSION = ROOT / "vscode-extension"
THEME = {
    "font-family": "sans-serif",
    "font-size": "13px",
    "editor-font-family": "monospace",
    "editor-font-size": "13px",
    "foreground": "#cccccc",
    "descriptionForeground": "#9d9d9d",
    "sideBar-background": "#181818",
    "editorWidget-background": "#202020",
    "textCodeBlock-background": "#2b2b2b",
    "button-background": "#0078d4",
    "button-foreground": "#ffffff",
    "button-secondaryBackground": "#313131",
    "button-secondaryForeground": "#cccccc",
    "focusBorder": "#0078d4",
    "textLink-foreground": "#4daafc",
    "panel-border": "#2b2b2b",
    "input-background": "#313131",
    "input-foreground": "#cccccc",
    "errorForeground": "#f85149",
    "testing-iconPassed": "#73c991",
    "progressBar-background": "#0078d4",
    "gitDecoration-addedResourceForeground": "#81b88b",
    "gitDecoration-deletedResourceForeground": "#c74e39",
    "terminal-ansiRed": "#f14c4c",
}
"""A stand-in for the variables VS Code's Dark Modern theme sets (the page needs some)."""


def page(folder: Path) -> Path:
    """Build the page into ``folder``; its path."""
    esbuild = ROOT / "node_modules" / ".bin" / "esbuild"
    for entry, out in (
        (EXTENSION / "src" / "webview" / "main.ts", "webview.js"),
        (ROOT / "bench" / "webview_render.ts", "bench.js"),
    ):
        subprocess.run(
            [
                str(esbuild),
                str(entry),
                "--bundle",
                "--platform=browser",
                "--format=iife",
                f"--outfile={folder / out}",
                "--log-level=warning",
            ],
            check=True,
        )
    skeleton = (EXTENSION / "src" / "shared" / "panelHtml.ts").read_text(encoding="utf-8")
    body = re.search(r"PANEL_BODY = `(.*)`;", skeleton, re.S)
    assert body is not None, "src/shared/panelHtml.ts has no PANEL_BODY"
    theme = "".join(f"--vscode-{k}: {v}; " for k, v in THEME.items())
    html = (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='UTF-8'><style>:root {{ {theme}}}"
        f"</style><link rel='stylesheet' href='{EXTENSION / 'media' / 'chat.css'}'></head><body>"
        f"{body[1]}<script>window.acquireVsCodeApi = () => ({{ postMessage() {{}} }});</script>"
        "<script src='webview.js'></script><script src='bench.js'></script></body></html>"
    )
    (folder / "index.html").write_text(html, encoding="utf-8")
    return folder / "index.html"


async def measure(turns: int, tokens: int, runs: int) -> list[dict[str, Any]]:
    """``runs`` fresh pages, each opening ``turns`` turns and streaming ``tokens`` tokens."""
    from playwright.async_api import async_playwright

    chromium = shutil.which("chromium")
    if chromium is None:
        raise SystemExit("needs Debian's chromium (apt-get install chromium)")
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        index = page(Path(tmp))
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=chromium, args=["--no-sandbox", "--disable-dev-shm-usage"]
            )
            try:
                for _ in range(runs):
                    tab = await browser.new_page(viewport={"width": 420, "height": 900})
                    await tab.goto(index.as_uri())
                    results.append(await tab.evaluate(f"runBench({turns}, {tokens})"))
                    await tab.close()
            finally:
                await browser.close()
    return results


def run(turns: int = 500, tokens: int = 1000, runs: int = 5) -> dict[str, Any]:
    """The median run by time to interactive, and every run."""
    results = asyncio.run(measure(turns, tokens, runs))
    ordered = sorted(results, key=lambda r: r["interactive_ms"])
    return {"median": ordered[len(ordered) // 2], "runs": results}


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--turns", type=int, default=500)
    parser.add_argument("--tokens", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    result = run(args.turns, args.tokens, args.runs)
    print(
        "| run | host: replay + view + copy | webview: draw | interactive | per event | "
        "worst frame |"
    )
    print("|---|---|---|---|---|---|")
    for n, r in enumerate(result["runs"], 1):
        print(
            f"| {n} | {r['host_ms']:.1f} ms | {r['webview_ms']:.1f} ms | "
            f"**{r['interactive_ms']:.1f} ms** | **{r['per_event_ms'] * 1000:.0f} µs** | "
            f"{r['worst_frame_ms']:.1f} ms |"
        )
    print(json.dumps(result["median"]))


if __name__ == "__main__":
    main()
