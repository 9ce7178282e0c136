"""``python -m codex_lsp.testing SCRIPT.json``: the scripted model server as a process, for test
suites in other languages (the VS Code extension's bridge tests).

The script is a JSON list of replies, each ``{"text": ...}`` or ``{"tool": NAME, "arguments":
{...}}`` with an optional ``"match"`` (the reply answers only a request whose body contains it),
``"callId"``, ``"delayS"`` (seconds between frames) and ``"stop"`` (``max_tokens`` or
``refusal``), or ``{"error": STATUS}`` for an HTTP error answer.
The server prints its base URL on the first line of stdout, serves until stdin closes, then
prints the JSON bodies of the requests it received (one JSON list) and exits.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from codex_lsp.testing.fake_model import FakeModelServer
from codex_lsp.testing.script import ErrorReply, Reply, Scripted, Text, ToolCall


def _reply(entry: dict[str, Any]) -> Scripted:
    if "error" in entry:
        return ErrorReply(int(entry["error"]), str(entry.get("message", "error")))
    step = (
        ToolCall(str(entry["tool"]), entry.get("arguments", {}), call_id=entry.get("callId"))
        if "tool" in entry
        else Text(str(entry.get("text", "")))
    )
    return Reply(
        (step,),
        match=entry.get("match"),
        frame_delay_s=float(entry.get("delayS", 0.0)),
        stop=entry.get("stop"),
    )


def main() -> None:
    """Serve the script given as the first argument."""
    script = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    with FakeModelServer() as server:
        server.enqueue(*(_reply(e) for e in script))
        print(server.base_url, flush=True)
        sys.stdin.read()
        print(json.dumps([r.body for r in server.requests]), flush=True)


if __name__ == "__main__":
    main()
