"""A minimal asyncio LSP client over a subprocess's stdio, for benchmarks: it adds as little as
possible on the receive side so the figures are the server's."""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Callable
from typing import Any, Self

from bench.common import codex_lsp_command

Listener = Callable[[dict[str, Any], int], None]


class RpcPeer:
    """A JSON-RPC peer for benchmarks: sends requests, routes responses, answers the other
    side's requests with ``null``, and hands each notification to ``listener`` together with the
    ``perf_counter_ns`` at which it was read. Subclasses frame the messages (``_write``,
    ``_read``)."""

    request_timeout_s = 30.0
    stream_limit = 64 * 1024

    def __init__(self, proc: asyncio.subprocess.Process, listener: Listener | None = None) -> None:
        self.proc = proc
        self.listener = listener
        self._next_id = 0
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def spawn(
        cls, argv: list[str], env: dict[str, str], listener: Listener | None = None
    ) -> Self:
        """Start the server process."""
        proc = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
            env=env,
            limit=cls.stream_limit,
        )
        return cls(proc, listener)

    async def request(self, method: str, params: Any) -> Any:
        """Send a request and wait for its result."""
        self._next_id += 1
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[self._next_id] = future
        self._write({"jsonrpc": "2.0", "id": self._next_id, "method": method, "params": params})
        return await asyncio.wait_for(future, self.request_timeout_s)

    def notify(self, method: str, params: Any) -> None:
        """Send a notification."""
        self._write({"jsonrpc": "2.0", "method": method, "params": params})

    def _route(self, message: dict[str, Any], received: int) -> None:
        """A response to its request, a request of the server's answered ``null``, a
        notification to the listener."""
        if "id" in message and "method" not in message:
            future = self._pending.pop(message["id"], None)
            if future is not None and not future.done():
                future.set_result(message.get("result", message.get("error")))
        elif "id" in message:
            self._write({"jsonrpc": "2.0", "id": message["id"], "result": None})
        elif self.listener is not None:
            self.listener(message, received)

    def _write(self, message: dict[str, Any]) -> None:
        raise NotImplementedError

    async def _read(self) -> None:
        raise NotImplementedError


class BenchClient(RpcPeer):
    """The LSP client: Content-Length framing, ``initialize`` and ``shutdown``."""

    def _write(self, message: dict[str, Any]) -> None:
        body = json.dumps(message).encode()
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))

    async def _read(self) -> None:
        """Read what has arrived in one piece and stamp every message in it with that moment,
        so parsing one message does not count against the next (an editor reads the same way)."""
        stdout = self.proc.stdout
        assert stdout is not None
        buffer = b""
        while True:
            chunk = await stdout.read(1 << 16)
            if not chunk:
                return
            received = time.perf_counter_ns()
            buffer += chunk
            while True:
                head_end = buffer.find(b"\r\n\r\n")
                if head_end < 0:
                    break
                length = _content_length(buffer[:head_end])
                if len(buffer) < head_end + 4 + length:
                    break
                body = buffer[head_end + 4 : head_end + 4 + length]
                buffer = buffer[head_end + 4 + length :]
                self._route(json.loads(body), received)

    async def initialize(self, root: str) -> Any:
        """``initialize`` + ``initialized``."""
        result = await self.request(
            "initialize",
            {"processId": os.getpid(), "rootUri": f"file://{root}", "capabilities": {}},
        )
        self.notify("initialized", {})
        return result

    async def close(self) -> None:
        """``shutdown`` + ``exit``, then wait for the process."""
        try:
            await self.request("shutdown", None)
            self.notify("exit", None)
            await asyncio.wait_for(self.proc.wait(), 10)
        except (TimeoutError, ConnectionError):
            self.proc.kill()
        self._reader.cancel()


def _content_length(headers: bytes) -> int:
    for line in headers.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    raise ValueError(f"no Content-Length in {headers!r}")


def server_argv() -> list[str]:
    """How to start codex-lsp: as a user does, see :func:`bench.common.codex_lsp_command`."""
    return codex_lsp_command()
