"""Resuming ``/speckit.auto`` after a restart, on a real language server: the store holds a run
that stopped at implement (its server gone); ``codex-lsp`` (a subprocess) is started on the
repository, and the client does what an editor's user does at once: on the server's
"Resume /speckit.auto SPEC-KIT-001" notification it runs ``codex-lsp.speckit.auto``. Timed from
``initialized`` to the first model request an implement agent's scripted server receives.
Target: under 1 s. Also the server's CPU time (user + system, every thread) over that span,
which a loaded machine moves far less than the wall time.

``python -m bench.speckit_resume [--runs 5]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from bench.common import KEY_ENV, make_home, summary
from bench.lsp_client import BenchClient, server_argv
from codex_lsp.speckit.auto import AutoState
from codex_lsp.store.speckit_runs import SpeckitRuns
from codex_lsp.testing import FakeModelServer, Reply, Stall

AGENTS = ("gemini", "claude", "gpt_codex", "gpt_pro")
SPEC = "# Spec: Login\n\n**SPEC-ID**: SPEC-KIT-001\n\n## Requirements\n\n- **FR-001**: sign in.\n"
TASKS = "# Tasks\n\n- [ ] T001 Add the client\n  - **Validation**: `echo ok`\n"


def _config(servers: dict[str, FakeModelServer], key_env: str) -> str:
    parts = []
    for name, server in servers.items():
        parts.append(
            f'[model_providers.{name}]\nname = "{name}"\nbase_url = "{server.base_url}"\n'
            f'wire_api = "responses"\nenv_key = "{key_env}"\n'
        )
        parts.append(f'[[agents]]\nname = "{name}"\nprovider = "{name}"\nmodel = "{name}-model"\n')
    return "\n".join(parts) + "\n[speckit]\nbudget_usd = 0\n"


async def _stopped_run(root: Path, db: Path) -> None:
    """A run at implement whose server is gone (no owner)."""
    runs = await SpeckitRuns.open(db)
    try:
        state = AutoState.start("SPEC-KIT-001", "implement", "")
        await runs.auto.claim(
            root,
            "SPEC-KIT-001",
            fresh=True,
            new_id="bench",
            new_state=state.to_json(),
            conversation_id=None,
        )
        await runs.auto.save("bench", "interrupted", {**state.to_json(), "status": "interrupted"})
        await runs.auto.release("bench")
    finally:
        await runs.close()


def _cpu_ms(pid: int) -> float:
    """The process's user + system time so far (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


async def once(base: Path) -> tuple[float, float]:
    """One restart: ms from ``initialized`` to the first agent request, and the server's CPU
    ms over it."""
    with ExitStack() as stack:
        main = stack.enter_context(FakeModelServer())
        servers = {n: stack.enter_context(FakeModelServer()) for n in AGENTS}
        for server in servers.values():
            server.default_reply = Reply((Stall(30),))
        home = make_home(main.base_url)
        with (home.path / "config.toml").open("a") as config:
            config.write("\n" + _config(servers, KEY_ENV))
        root = base / "repo"
        folder = root / "docs" / "SPEC-KIT-001-login"
        folder.mkdir(parents=True)
        (root / ".git").mkdir()
        (folder / "spec.md").write_text(SPEC)
        (folder / "plan.md").write_text("# Plan\n\n1. The client\n")
        (folder / "tasks.md").write_text(TASKS)
        await _stopped_run(root, home.path / "state.db")
        tasks: set[asyncio.Task[Any]] = set()
        client: BenchClient | None = None

        def listener(message: dict[str, Any], _received: int) -> None:
            text = (message.get("params") or {}).get("message", "")
            if message.get("method") == "window/showMessage" and "Resume /speckit.auto" in text:
                assert client is not None
                task = asyncio.ensure_future(
                    client.request(
                        "workspace/executeCommand",
                        {"command": "codex-lsp.speckit.auto", "arguments": ["SPEC-KIT-001"]},
                    )
                )
                tasks.add(task)

        client = await BenchClient.spawn(server_argv(), home.env, listener)
        try:
            await client.request(
                "initialize",
                {"processId": None, "rootUri": root.as_uri(), "capabilities": {}},
            )
            started, cpu = time.perf_counter(), _cpu_ms(client.proc.pid)
            client.notify("initialized", {})
            async with asyncio.timeout(30):
                # the agents' servers run on their own threads: polled, 1 ms apart
                while not any(s.requests for s in servers.values()):  # noqa: ASYNC110
                    await asyncio.sleep(0.001)
            return (time.perf_counter() - started) * 1000, _cpu_ms(client.proc.pid) - cpu
        finally:
            client.proc.kill()
            await client.proc.wait()
            for task in tasks:
                task.cancel()


async def measure(runs: int = 5) -> dict[str, Any]:
    """``runs`` restarts, each on a fresh repository and store."""
    samples = [
        await once(Path(tempfile.mkdtemp(prefix="speckit-resume-bench-"))) for _ in range(runs)
    ]
    return {
        "runs": runs,
        "initialized_to_first_request_ms": summary([wall for wall, _ in samples]),
        "server_cpu_ms": summary([cpu for _, cpu in samples]),
    }


def main() -> None:
    """Print the figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(measure(args.runs)), indent=2))


if __name__ == "__main__":
    main()
