"""``codex-lsp acp``: the ACP agent on stdio.

Start-up is two-phase, like the language server's: the SDK's schema and the core take about a
second to import, so ``initialize`` (plain data, :mod:`codex_lsp.acp.capabilities`) is answered
while :mod:`codex_lsp.acp.agent` loads on a worker thread; every other message waits for it and
is then served by the SDK in arrival order.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import sys
from types import ModuleType
from typing import Any

from codex_lsp.acp.capabilities import initialize_result
from codex_lsp.acp.stdio import LineTransport, claim_stdout
from codex_lsp.background import create_task

AGENT_MODULE = "codex_lsp.acp.agent"


def _load_agent() -> ModuleType:
    """The agent module, and the shell parser's tables (built once, off the event loop)."""
    module = importlib.import_module(AGENT_MODULE)
    importlib.import_module("codex_lsp.exec.shell_parse").parser()
    return module


async def _serve(out_fd: int, overrides: dict[str, Any]) -> None:
    transport = await LineTransport.open(0, out_fd)
    loading = create_task(asyncio.to_thread(_load_agent), name="acp-load-agent")
    early: list[dict[str, Any]] = []
    initialize: dict[str, Any] | None = None
    while True:
        receive = create_task(transport.receive(), name="acp-receive")
        await asyncio.wait({receive, loading}, return_when=asyncio.FIRST_COMPLETED)
        if not receive.done():
            receive.cancel()  # the agent is loaded; an unread line stays in the buffer
        try:
            message = await receive
        except asyncio.CancelledError:
            break
        if message is None:  # the client is done: serve what it sent, then stop
            break
        if message.get("method") == "initialize" and "id" in message and initialize is None:
            initialize = message.get("params") if isinstance(message.get("params"), dict) else {}
            transport.send_nowait(
                {"jsonrpc": "2.0", "id": message["id"], "result": initialize_result()}
            )
        else:
            early.append(message)
    transport.unread(early)
    module = await loading
    await module.serve(transport, overrides, initialize)


def run_acp(overrides: dict[str, Any]) -> int:
    """Entry point of ``codex-lsp acp``: serve until the client closes stdin."""
    out_fd = claim_stdout()
    logging.basicConfig(
        stream=sys.stderr, level=logging.WARNING, format="codex-lsp acp: %(levelname)s %(message)s"
    )
    try:
        asyncio.run(_serve(out_fd, overrides))
    except KeyboardInterrupt:
        return 130
    return 0
