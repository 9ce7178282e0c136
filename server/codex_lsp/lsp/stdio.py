"""Serves LSP over stdin/stdout with asyncio pipe transports, so writing an event never blocks
the event loop (pygls's own stdio writer does a blocking write and flush per message)."""

from __future__ import annotations

import asyncio
import sys
import threading
from typing import Any, BinaryIO

from pygls.io_ import StdoutWriter, run_async
from pygls.lsp.server import LanguageServer

READ_LIMIT = 64 * 1024 * 1024


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


async def _open_writer(stdout: BinaryIO) -> Any:
    loop = asyncio.get_running_loop()
    try:
        transport, _ = await loop.connect_write_pipe(asyncio.Protocol, stdout)
    except (ValueError, OSError):
        return StdoutWriter(stdout)  # a regular file: blocking writes are all there is
    return PipeWriter(transport)


async def serve(
    server: LanguageServer, stdin: BinaryIO | None = None, stdout: BinaryIO | None = None
) -> None:
    """Run the message loop until the client closes stdin or sends ``exit``."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=READ_LIMIT)
    await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader), stdin or sys.stdin.buffer
    )
    server.protocol.set_writer(await _open_writer(stdout or sys.stdout.buffer))
    server._stop_event = threading.Event()
    await run_async(
        stop_event=server._stop_event,
        reader=reader,
        protocol=server.protocol,
        error_handler=server.report_server_error,
    )
