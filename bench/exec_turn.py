"""One headless turn, process start to exit: ``codex-lsp exec`` beside the Codex CLI's
``codex exec`` on the same scripted model server, runs alternating; wall time and peak RSS.

The Codex CLI comes from the npm registry (``@openai/codex``) into a scratch folder outside the
repository; pass its binary with ``--codex`` or let ``--install-codex DIR`` install it.

``python -m bench.exec_turn [--runs 10] [--codex PATH | --install-codex DIR]``
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import codex_lsp_command, make_home, summary
from codex_lsp.testing import FakeModelServer, Reply, Text

CODEX_VERSION = "0.169.0"
CODEX_BIN = "node_modules/@openai/codex-linux-x64/vendor/x86_64-unknown-linux-musl/bin/codex"


def install_codex(folder: Path) -> Path:
    """``npm install @openai/codex`` into ``folder`` (once) and return the native binary."""
    binary = folder / CODEX_BIN
    if not binary.exists():
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["npm", "install", "--silent", f"@openai/codex@{CODEX_VERSION}"], cwd=folder, check=True
        )
    return binary


def _run(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float, float]:
    """Wall seconds, peak RSS (MiB) and CPU seconds (user + system, every thread) of one
    process. CPU time moves far less than wall time on a shared machine: both are reported."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{argv[0]} exited {proc.returncode}")
    return elapsed, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def _codex_home(base_url: str) -> Path:
    home = Path(tempfile.mkdtemp(prefix="codex-home-", dir=Path.home()))
    (home / "config.toml").write_text(
        'model = "fake-model"\nmodel_provider = "fake"\napproval_policy = "never"\n'
        'sandbox_mode = "workspace-write"\n[model_providers.fake]\nname = "fake"\n'
        f'base_url = "{base_url}"\nwire_api = "responses"\nenv_key = "FAKE_KEY"\n'
    )
    return home


def measure(runs: int, codex: Path | None) -> dict[str, Any]:
    """Alternate both tools ``runs`` times each on the same one-message turn, after one
    uncounted run of each (the first start reads the files from disk; the others do not).

    Besides the ratio of the medians, ``cpu_ratio_paired`` is the median of each pair's ratio:
    the two runs of a pair are seconds apart, so a burst of load on the machine mostly falls on
    both, and that median moves least from one run of the benchmark to the next."""
    ours_t, ours_m, ours_c, peer_t, peer_m, peer_c = [], [], [], [], [], []
    with FakeModelServer() as server:
        server.default_reply = Reply((Text("The answer is 42."),))
        home = make_home(server.base_url)
        ours_argv = codex_lsp_command("exec", "--skip-git-repo-check", "hi")
        codex_home = _codex_home(server.base_url) if codex else None
        peer_env = {**home.env, "CODEX_HOME": str(codex_home), "FAKE_KEY": "x"}
        peer_argv = [str(codex), "exec", "--skip-git-repo-check", "hi"]
        for run in range(runs + 1):
            t, m, c = _run(ours_argv, home.env, home.workspace)
            if run:
                ours_t.append(t)
                ours_m.append(m)
                ours_c.append(c)
            if codex and codex_home:
                t, m, c = _run(peer_argv, peer_env, home.workspace)
                if run:
                    peer_t.append(t)
                    peer_m.append(m)
                    peer_c.append(c)
    result: dict[str, Any] = {
        "codex_lsp_s": summary(ours_t),
        "codex_lsp_peak_mib": summary(ours_m),
        "codex_lsp_cpu_s": summary(ours_c),
    }
    if peer_t:
        paired = sorted(o / p for o, p in zip(ours_c, peer_c, strict=True))
        result.update(
            codex_s=summary(peer_t),
            codex_peak_mib=summary(peer_m),
            codex_cpu_s=summary(peer_c),
            cpu_ratio_median=statistics.median(ours_c) / statistics.median(peer_c),
            cpu_ratios=paired,
            cpu_ratio_paired=statistics.median(paired),
            cpu_ratio_paired_low=statistics.quantiles(paired, n=4)[0],
            time_ratio_median=statistics.median(ours_t) / statistics.median(peer_t),
            memory_ratio_median=statistics.median(ours_m) / statistics.median(peer_m),
        )
    return result


def main() -> None:
    """Print the result as JSON."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--codex", type=Path, help="the codex binary")
    parser.add_argument(
        "--install-codex", type=Path, metavar="DIR", help="npm-install the Codex CLI here"
    )
    args = parser.parse_args()
    codex = args.codex or (install_codex(args.install_codex) if args.install_codex else None)
    print(json.dumps(measure(args.runs, codex)))


if __name__ == "__main__":
    main()
