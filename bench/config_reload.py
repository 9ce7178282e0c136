"""Config hot reload: from writing config.toml to the ``configReloaded`` event (in process, the
watcher the language server uses). ``python -m bench.config_reload [--runs 15]``"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from pathlib import Path
from typing import Any

from bench.common import make_home, summary
from codex_lsp.core import ConfigSources, ConversationManager, FrontEnd
from codex_lsp.protocol.events import EventEnvelope
from codex_lsp.protocol.requests import NewConversationParams

SETTLE_S = 0.3
PAUSE_S = 0.2


async def measure(runs: int) -> dict[str, Any]:
    """Median and p99 of write → event over ``runs`` edits."""
    home = make_home("http://127.0.0.1:9/v1")
    os.environ.update(home.env)
    got = asyncio.Event()
    latencies: list[float] = []
    written = 0.0

    def sink(event: EventEnvelope) -> None:
        if event.msg.type == "configReloaded":
            latencies.append((time.perf_counter() - written) * 1000)
            got.set()

    sources = ConfigSources(home=home.path, default_cwd=home.workspace, watch=True)
    manager = ConversationManager(FrontEnd(sink), sources)
    await manager.new_conversation(NewConversationParams())
    await asyncio.sleep(SETTLE_S)
    config = Path(home.path) / "config.toml"
    base = config.read_text()
    for run in range(runs):
        got.clear()
        written = time.perf_counter()
        config.write_text(f"project_doc_max_bytes = {1000 + run}\n" + base)
        await asyncio.wait_for(got.wait(), 10)
        await asyncio.sleep(PAUSE_S)
    await manager.shutdown_all()
    return {"write_to_event_ms": summary(latencies)}


def main() -> None:
    """Print the result as JSON."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    print(json.dumps(asyncio.run(measure(parser.parse_args().runs))))


if __name__ == "__main__":
    main()
