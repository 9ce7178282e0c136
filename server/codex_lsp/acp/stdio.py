"""ACP's framing on stdio: one JSON-RPC message per line, nothing else on stdout.

:func:`claim_stdout` keeps the real stdout for the protocol alone (fd 1 and ``sys.stdout`` then
point at stderr, so a stray ``print``, a library's output or a child inheriting fd 1 cannot
corrupt the stream). :class:`LineTransport` is the SDK's message transport over it: writes never
block the event loop and go out in the order they are made (a session's updates therefore always
precede the answer to its prompt), and lines that are not JSON-RPC messages get the JSON-RPC
error they deserve instead of being dropped, or crashing the connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import sys
import threading
from collections import deque
from typing import Any

log = logging.getLogger(__name__)

READ_LIMIT = 64 * 1024 * 1024
"""The largest message accepted (an image in a prompt is sent inline)."""
PARSE_ERROR = -32700
INVALID_REQUEST = -32600
HANDLED_NOTIFICATIONS = frozenset({"session/cancel"})
"""Notifications the agent acts on; others (``$/cancel_request``, unknown ones) are ignored, as
the protocol asks, without the SDK logging each as an error."""


def claim_stdout() -> int:
    """A private duplicate of stdout for the protocol; fd 1 and ``sys.stdout`` become stderr."""
    sys.stdout.flush()
    protocol_fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return protocol_fd


def error_frame(code: int, message: str, request_id: Any = None) -> dict[str, Any]:
    """A JSON-RPC error response."""
    return {"jsonrpc": "2.0", "id": request_id, "error": {"code": code, "message": message}}


class LineTransport:
    """The ``acp`` SDK's Transport over a line reader and a write pipe."""

    def __init__(self, reader: asyncio.StreamReader, write: Any) -> None:
        self._reader = reader
        self._write = write
        self._unread: deque[dict[str, Any]] = deque()
        self._closed = False

    @classmethod
    async def open(cls, in_fd: int, out_fd: int) -> LineTransport:
        """Read ``in_fd`` and write ``out_fd`` (pipes, or files and terminals)."""
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader(limit=READ_LIMIT)
        stdin = os.fdopen(in_fd, "rb", buffering=0, closefd=False)
        try:
            await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), stdin)
        except ValueError:  # a regular file: read it on a thread
            _feed_from_thread(loop, reader, stdin)
        out = os.fdopen(out_fd, "wb", buffering=0)
        try:
            pipe, _ = await loop.connect_write_pipe(asyncio.Protocol, out)
            write: Any = pipe.write
        except ValueError:  # a regular file or a terminal: small blocking writes are all there is
            write = out.write
        return cls(reader, write)

    # ---------------------------------------------------------------- outgoing
    def write_json(self, text: str) -> None:
        """Send one message already encoded as JSON (one line, no newline in it)."""
        if not self._closed:
            self._write(text.encode() + b"\n")

    def send_nowait(self, message: dict[str, Any]) -> None:
        """Send one message now."""
        self.write_json(json.dumps(message, ensure_ascii=False, separators=(",", ":")))

    async def send(self, message: dict[str, Any]) -> None:
        """The SDK's send: written at once, so the order of calls is the order on the wire."""
        self.send_nowait(message)

    # ---------------------------------------------------------------- incoming
    def unread(self, messages: list[dict[str, Any]]) -> None:
        """Give ``messages`` back: :meth:`receive` returns them first, in order."""
        self._unread.extendleft(reversed(messages))

    async def receive(self) -> dict[str, Any] | None:
        """The next JSON-RPC message (``None`` at end of input). Bad lines are answered here."""
        while True:
            if self._unread:
                return self._unread.popleft()
            line = await self._read_line()
            if line is None:
                return None
            message = self._parse(line)
            if message is not None:
                return message

    async def _read_line(self) -> bytes | None:
        while True:
            try:
                return await self._reader.readuntil(b"\n")
            except asyncio.IncompleteReadError as exc:
                return exc.partial or None
            except asyncio.LimitOverrunError:
                await self._skip_long_line()
                self.send_nowait(
                    error_frame(
                        INVALID_REQUEST,
                        f"message larger than {READ_LIMIT // (1024 * 1024)} MiB ignored; "
                        "send smaller prompts (attach big files as resource links)",
                    )
                )

    async def _skip_long_line(self) -> None:
        """Drop the rest of a line over the limit."""
        while True:
            try:
                await self._reader.readuntil(b"\n")
                return
            except asyncio.LimitOverrunError as exc:
                await self._reader.readexactly(exc.consumed)
            except asyncio.IncompleteReadError:
                return

    def _parse(self, line: bytes) -> dict[str, Any] | None:
        text = line.strip()
        if not text:
            return None
        try:
            message = json.loads(text)
        except ValueError as exc:
            self.send_nowait(error_frame(PARSE_ERROR, f"parse error: not JSON ({exc})"))
            return None
        if not isinstance(message, dict):
            kind = "a batch (JSON array)" if isinstance(message, list) else type(message).__name__
            self.send_nowait(
                error_frame(INVALID_REQUEST, f"invalid request: {kind}; send one JSON object")
            )
            return None
        method = message.get("method")
        if "id" not in message and method is not None and method not in HANDLED_NOTIFICATIONS:
            log.debug("ignoring notification %r", method)
            return None
        return message

    async def close(self) -> None:
        """Stop writing."""
        self._closed = True


def _feed_from_thread(
    loop: asyncio.AbstractEventLoop, reader: asyncio.StreamReader, source: Any
) -> None:
    def pump() -> None:
        with contextlib.suppress(Exception):
            while chunk := source.read(65536):
                loop.call_soon_threadsafe(reader.feed_data, chunk)
        loop.call_soon_threadsafe(reader.feed_eof)

    threading.Thread(target=pump, name="acp-stdin", daemon=True).start()
