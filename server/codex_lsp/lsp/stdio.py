"""Serves LSP over stdin/stdout with asyncio pipe transports, so writing an event never blocks
the event loop (pygls's own stdio writer does a blocking write and flush per message), and our
own reader (:mod:`codex_lsp.lsp.framing`, :mod:`codex_lsp.lsp.connection`) instead of pygls's.

:func:`serve` returns as soon as the client is gone: ``exit``, the end of stdin, a closed stdout,
or SIGTERM / SIGINT / SIGHUP. A second signal ends the process at once.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any, BinaryIO

from pygls.io_ import StdoutWriter

from codex_lsp.background import create_task
from codex_lsp.lifecycle import on_signals, report
from codex_lsp.lsp.connection import Connection
from codex_lsp.lsp.framing import FrameReader
from codex_lsp.lsp.wire import CodexProtocol


class PipeWriter:
    """pygls writer over an asyncio write transport: ``write`` only buffers."""

    def __init__(self, transport: asyncio.WriteTransport) -> None:
        self._transport = transport

    def write(self, data: bytes) -> None:
        """Queue ``data`` for the client."""
        if not self._transport.is_closing():
            self._transport.write(data)

    def close(self) -> None:
        """Flush and close."""
        self._transport.close()


class _WatchedPipe(asyncio.Protocol):
    """Write-pipe protocol that notices when the client closes its end."""

    def __init__(self, lost: asyncio.Event) -> None:
        self._lost = lost

    def connection_lost(self, exc: Exception | None) -> None:
        """The client closed stdout (or we did)."""
        self._lost.set()


async def _open_writer(stdout: BinaryIO, lost: asyncio.Event) -> Any:
    loop = asyncio.get_running_loop()
    try:
        transport, _ = await loop.connect_write_pipe(lambda: _WatchedPipe(lost), stdout)
    except (ValueError, OSError):
        return StdoutWriter(stdout)  # a regular file: blocking writes are all there is
    return PipeWriter(transport)


async def serve(
    protocol: CodexProtocol, stdin: BinaryIO | None = None, stdout: BinaryIO | None = None
) -> int:
    """Run the message loop until the client is gone; returns the exit code (0 after
    ``shutdown`` + ``exit`` or the end of stdin, 1 for ``exit`` without ``shutdown``, 128 +
    the signal number after a signal)."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader), stdin or sys.stdin.buffer
    )
    stdout_lost = asyncio.Event()
    protocol.set_writer(await _open_writer(stdout or sys.stdout.buffer, stdout_lost))
    signalled: asyncio.Future[int] = loop.create_future()

    def on_signal(signum: int) -> None:
        if not signalled.done():
            signalled.set_result(128 + signum)

    on_signals(loop, on_signal)
    reading = create_task(Connection(protocol).run(FrameReader(reader)), name="lsp-read")
    lost = create_task(stdout_lost.wait(), name="lsp-stdout-lost")
    waiters: set[asyncio.Future[Any]] = {reading, signalled, lost}
    done, _ = await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    for waiter in (reading, lost):
        waiter.cancel()
    if signalled in done:
        return signalled.result()
    if reading not in done:
        report("the client closed stdout: shutting down")
        return 0
    failure = reading.exception()
    if failure is not None:
        report(f"reading stdin failed ({failure}): shutting down")
        return 1
    return reading.result()
