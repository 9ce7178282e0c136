"""``write_stdin`` poll round trip with no new output, in the server: a conversation starts a
terminal (``cat`` on a PTY, silent) through the scripted model, then the tool registry
dispatches ``write_stdin`` polls to it the way a turn's step does (argument parsing, the
conversation's terminal, the wait, the answer in Codex's format). A poll waits its yield time
by definition (Codex's minimum, 250 ms), so the figure is what the server adds to it: the round
trip minus the yield time asked for. ``python -m bench.write_stdin_poll [--polls 40]``"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from typing import Any

from bench.common import KEY_ENV, make_home, summary
from codex_lsp.core import ConfigSources, ConversationManager, FrontEnd
from codex_lsp.core.turn import TurnRunner
from codex_lsp.protocol.events import EventEnvelope
from codex_lsp.protocol.history import FunctionCall, FunctionCallOutput
from codex_lsp.protocol.items import TextInput
from codex_lsp.protocol.ops import UserInputOp
from codex_lsp.protocol.requests import NewConversationParams
from codex_lsp.testing import FakeModelServer, Reply, Text, ToolCall
from codex_lsp.tools.unified_exec import MIN_YIELD_MS

TARGET_MS = 5.0


async def measure(polls: int) -> dict[str, Any]:
    """Per-poll round trips and what the server adds to the yield time."""
    with FakeModelServer() as model:
        home = make_home(model.base_url)
        with (home.path / "config.toml").open("a") as config:
            config.write("[tools]\nunified_exec = true\n")
        os.environ.update({k: home.env[k] for k in ("HOME", "CODEX_LSP_HOME", KEY_ENV)})
        done = asyncio.Event()

        def sink(event: EventEnvelope) -> None:
            if event.msg.type == "taskComplete":
                done.set()

        model.enqueue(
            Reply((ToolCall("exec_command", {"cmd": "cat", "tty": True, "yield_time_ms": 250}),)),
            Reply((Text("started"),)),
        )
        manager = ConversationManager(
            FrontEnd(sink), ConfigSources(home=home.path, default_cwd=home.workspace)
        )
        try:
            conv = await manager.new_conversation(NewConversationParams())
            conv.submit(UserInputOp(items=[TextInput(text="start cat")]))
            await asyncio.wait_for(done.wait(), 30)
            (terminal,) = conv.terminals.running()
            runner = TurnRunner(conv.parts, "bench", conv.ctx)
            arguments = json.dumps({"session_id": terminal.id, "yield_time_ms": MIN_YIELD_MS})
            walls: list[float] = []
            for n in range(-1, polls):  # the first one takes what the shell's start printed
                call = FunctionCall(call_id=f"poll-{n}", name="write_stdin", arguments=arguments)
                started = time.perf_counter()
                output = await conv.parts.seams.tools.dispatch(runner, call)
                assert isinstance(output, FunctionCallOutput)
                if n < 0:
                    continue
                walls.append(time.perf_counter() - started)
                assert f"session ID {terminal.id}" in output.output, output.output
                assert output.output.endswith("Output:\n"), output.output  # nothing new
        finally:
            await manager.shutdown_all()
    added = [(w - MIN_YIELD_MS / 1000) * 1000 for w in walls]
    stats = summary(added)
    return {
        "polls": len(added),
        "yield_ms": MIN_YIELD_MS,
        "round_trip_ms_median": (sorted(walls)[len(walls) // 2]) * 1000,
        "added_ms": {k: v for k, v in stats.items() if k != "n"},
        "target_ms": TARGET_MS,
        "met": stats["median"] < TARGET_MS,
    }


def main() -> None:
    """Print the figures as JSON."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--polls", type=int, default=40)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(measure(args.polls)), indent=1))


if __name__ == "__main__":
    main()
