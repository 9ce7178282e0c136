"""A minimal asyncio ACP client over a subprocess's stdio (newline-delimited JSON-RPC), the
counterpart of :mod:`bench.lsp_client`: as little as possible on the receive side, so the figures
are the agent's."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Callable
from typing import Any

Listener = Callable[[dict[str, Any], int], None]
REQUEST_TIMEOUT_S = 120.0


class AcpBenchClient:
    """Sends requests, routes responses, answers the agent's requests with ``null``, and hands
    each notification to ``listener`` with the ``perf_counter_ns`` at which it was read."""

    def __init__(self, proc: asyncio.subprocess.Process, listener: Listener | None = None) -> None:
        self.proc = proc
        self.listener = listener
        self._next_id = 0
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def spawn(
        cls, argv: list[str], env: dict[str, str], listener: Listener | None = None
    ) -> AcpBenchClient:
        """Start the agent process."""
        proc = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
            env=env,
            limit=64 * 1024 * 1024,
        )
        return cls(proc, listener)

    def _write(self, message: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(message).encode() + b"\n")

    async def request(self, method: str, params: Any) -> Any:
        """Send a request and wait for its result (or error object)."""
        self._next_id += 1
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[self._next_id] = future
        self._write({"jsonrpc": "2.0", "id": self._next_id, "method": method, "params": params})
        return await asyncio.wait_for(future, REQUEST_TIMEOUT_S)

    async def _read(self) -> None:
        stdout = self.proc.stdout
        assert stdout is not None
        while line := await stdout.readline():
            received = time.perf_counter_ns()
            message = json.loads(line)
            if "id" in message and "method" not in message:
                future = self._pending.pop(message["id"], None)
                if future is not None and not future.done():
                    future.set_result(message.get("result", message.get("error")))
            elif "id" in message:
                self._write({"jsonrpc": "2.0", "id": message["id"], "result": None})
            elif self.listener is not None:
                self.listener(message, received)

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
    return [sys.executable, "-m", "codex_lsp", "acp"]
