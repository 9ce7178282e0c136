"""A minimal asyncio ACP client over a subprocess's stdio (newline-delimited JSON-RPC), the
counterpart of :mod:`bench.lsp_client`: as little as possible on the receive side, so the figures
are the agent's."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from bench.common import codex_lsp_command
from bench.lsp_client import RpcPeer

REQUEST_TIMEOUT_S = 120.0


class AcpBenchClient(RpcPeer):
    """Sends requests, routes responses, answers the agent's requests with ``null``, and hands
    each notification to ``listener`` with the ``perf_counter_ns`` at which it was read."""

    request_timeout_s = REQUEST_TIMEOUT_S
    stream_limit = 64 * 1024 * 1024

    def _write(self, message: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(message).encode() + b"\n")

    async def _read(self) -> None:
        stdout = self.proc.stdout
        assert stdout is not None
        while line := await stdout.readline():
            self._route(json.loads(line), time.perf_counter_ns())

    async def initialize(self) -> Any:
        """``initialize`` with no client capabilities."""
        return await self.request("initialize", {"protocolVersion": 1, "clientCapabilities": {}})

    async def close(self) -> None:
        """Close stdin and wait for the process."""
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            await asyncio.wait_for(self.proc.wait(), 15)
        except TimeoutError:
            self.proc.kill()
        self._reader.cancel()


def agent_argv() -> list[str]:
    """How to start ``codex-lsp acp`` with this interpreter."""
    return codex_lsp_command("acp")
