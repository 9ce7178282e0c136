"""A parallel spec-kit stage on a real language server: ``/speckit.audit`` typed into a
conversation of ``codex-lsp`` (a subprocess), four agents (three proposing side by side, then the
arbiter; ``--proposers 4`` for four at once), each on its own scripted model server that takes
1 s to answer. Measured in the same
run, from the events the client receives:

- the fan-out's overhead: the time from the first proposer asked to the last one answered, minus
  the slowest proposer's own time (asked → answered). Target: under 150 ms.
- the stage's overhead: the whole stage (started → completed) minus its critical path (the
  slowest proposer's own time plus the arbiter's).
- the server's peak resident memory while the four agents run. Target: under 150 MiB.

``python -m bench.speckit_fanout [--runs 3] [--delay 1.0] [--proposers 3]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import threading
import time
from contextlib import ExitStack
from typing import Any

from bench.common import make_home
from bench.lsp_client import BenchClient, server_argv
from bench.rss import rss_mib
from codex_lsp.testing import Answer, FakeModelServer, Reply, Stall

NAMES = ("gemini", "claude", "gpt_codex", "code", "qwen")
ARBITER = "gpt_pro"
SPEC = "# Spec: Login\n\n**SPEC-ID**: SPEC-KIT-001\n\n## Requirements\n\n- **FR-001**: sign in.\n"
SAMPLE_S = 0.05


def _audit(agent: str) -> dict[str, Any]:
    return {
        "stage": "audit",
        "agent": agent,
        "implementation_review": f"{agent} reviewed the change",
        "security_concerns": [],
        "quality_checks": [{"item": "tests", "status": "pass"}],
        "risks": [],
        "recommendation": "go",
        "conditions_for_approval": [],
        "consensus": {"agreements": ["ships"], "conflicts": []},
    }


def _config(servers: dict[str, FakeModelServer], main: str, key_env: str) -> str:
    """Each agent on its own server; the audit stage runs them all, ``gpt_pro`` arbitrating."""
    parts = [
        'model = "fake-model"\nmodel_provider = "fake"\napproval_policy = "never"\n',
        f'[model_providers.fake]\nname = "fake"\nbase_url = "{main}"\nwire_api = "responses"\n'
        f'env_key = "{key_env}"\n',
    ]
    for name, server in servers.items():
        parts.append(
            f'[model_providers.{name}]\nname = "{name}"\nbase_url = "{server.base_url}"\n'
            f'wire_api = "responses"\nenv_key = "{key_env}"\n'
        )
        parts.append(f'[[agents]]\nname = "{name}"\nprovider = "{name}"\nmodel = "{name}-model"\n')
    names = ", ".join(f'"{n}"' for n in servers)
    parts.append(
        f'[speckit]\narbiter = "{ARBITER}"\nbudget_usd = 0\n[speckit.stages]\naudit = [{names}]\n'
    )
    return "\n".join(parts)


class _Sampler:
    """The peak VmRSS of a process, sampled on a thread."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_mib(self.pid))
            self._stop.wait(SAMPLE_S)

    def __enter__(self) -> _Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(2)


def _figures(events: list[tuple[dict[str, Any], int]], proposers: list[str]) -> dict[str, float]:
    """Overheads in ms from one stage's events (with their receive times)."""
    asked: dict[str, int] = {}
    answered: dict[str, int] = {}
    start = end = 0
    for msg, ns in events:
        kind = msg["type"]
        if kind == "speckitStageStarted":
            start = ns
        elif kind == "speckitAgentStarted":
            asked[msg["agent"]] = ns
        elif kind == "speckitAgentAnswered":
            answered[msg["agent"]] = ns
        elif kind == "speckitStageCompleted":
            end = ns
    own = {a: (answered[a] - asked[a]) / 1e6 for a in asked}
    slowest = max(own[a] for a in proposers)
    fanout = (max(answered[a] for a in proposers) - min(asked[a] for a in proposers)) / 1e6
    return {
        "slowest_agent_ms": slowest,
        "fanout_wall_ms": fanout,
        "fanout_overhead_ms": fanout - slowest,
        "stage_wall_ms": (end - start) / 1e6,
        "stage_overhead_ms": (end - start) / 1e6 - slowest - own[ARBITER],
    }


async def measure(runs: int, delay_s: float, proposers: int = 3) -> dict[str, Any]:
    """``runs`` audit stages of ``proposers`` agents side by side and the arbiter; the median
    overheads and the peak memory."""
    names = list(NAMES[:proposers])
    events: list[tuple[dict[str, Any], int]] = []
    done = asyncio.Event()

    def listener(message: dict[str, Any], received_ns: int) -> None:
        msg = (message.get("params") or {}).get("msg") or {}
        if msg.get("type", "").startswith("speckit"):
            events.append((msg, received_ns))
        if msg.get("type") in ("taskComplete", "turnAborted"):
            done.set()

    with ExitStack() as stack:
        main = stack.enter_context(FakeModelServer())
        servers = {n: stack.enter_context(FakeModelServer()) for n in (*names, ARBITER)}
        for name, server in servers.items():
            server.default_reply = Reply((Stall(delay_s), Answer(_audit(name))))
        home = make_home(main.base_url)
        key_env = next(k for k in home.env if k.startswith("FAKE"))
        (home.path / "config.toml").write_text(_config(servers, main.base_url, key_env))
        folder = home.workspace / "docs" / "SPEC-KIT-001-login"
        folder.mkdir(parents=True)
        (folder / "spec.md").write_text(SPEC)
        (home.workspace / ".git").mkdir()
        client = await BenchClient.spawn(server_argv(), home.env, listener)
        results, peaks = [], []
        try:
            await client.initialize(str(home.workspace))
            await asyncio.sleep(1.0)
            idle = rss_mib(client.proc.pid)
            conversation = (await client.request("codex/newConversation", {}))["conversationId"]
            for _ in range(runs):
                events.clear()
                done.clear()
                with _Sampler(client.proc.pid) as sampler:
                    await client.request(
                        "codex/userInput",
                        {
                            "conversationId": conversation,
                            "items": [{"type": "text", "text": "/speckit.audit SPEC-KIT-001"}],
                        },
                    )
                    await asyncio.wait_for(done.wait(), 60)
                peaks.append(sampler.peak)
                completed = [m for m, _ in events if m["type"] == "speckitStageCompleted"]
                if not completed or completed[0]["status"] != "ok":
                    raise RuntimeError(f"the stage did not succeed: {completed}")
                results.append(_figures(events, names))
        finally:
            await client.close()
    keys = results[0]
    return {
        "runs": runs,
        "proposers": proposers,
        "agent_delay_s": delay_s,
        **{k: statistics.median(r[k] for r in results) for k in keys},
        "fanout_overhead_ms_max": max(r["fanout_overhead_ms"] for r in results),
        "fanout_over_scripted_delay_ms": statistics.median(r["fanout_wall_ms"] for r in results)
        - delay_s * 1000,
        "idle_rss_mib": idle,
        "peak_rss_mib": max(peaks),
    }


def main() -> None:
    """Print the figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--delay", type=float, default=1.0)
    parser.add_argument("--proposers", type=int, default=3, choices=range(1, len(NAMES) + 1))
    args = parser.parse_args()
    started = time.monotonic()
    figures = asyncio.run(measure(args.runs, args.delay, args.proposers))
    figures["bench_s"] = round(time.monotonic() - started, 1)
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
