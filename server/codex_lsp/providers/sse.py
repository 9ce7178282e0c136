"""Server-sent events decoding (the WHATWG event-stream format), bounded: a provider that sends
an endless line or event gets an :class:`InvalidResponseError`, not the server's memory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import NamedTuple

from codex_lsp.errors import InvalidResponseError
from codex_lsp.providers.quote import quote

MAX_EVENT_CHARS = 16 * 1024 * 1024
"""The largest event (or line) accepted; real events are a few kilobytes."""


class SSEFrame(NamedTuple):
    """One dispatched event: its ``event`` name (``message`` by default) and joined data."""

    event: str
    data: str


class SSEDecoder:
    """Turns text chunks, cut anywhere, into events as their terminating blank line arrives.
    Lines end with CRLF, LF or CR; comments and unknown fields are skipped. ``foreign`` is the
    first line that is no event-stream field (a page, random bytes), if any."""

    __slots__ = (
        "_cr",
        "_data",
        "_event",
        "_partial",
        "_partial_size",
        "_size",
        "_started",
        "dispatched",
        "foreign",
        "provider_id",
    )

    def __init__(self, provider_id: str) -> None:
        self.provider_id = provider_id
        self._partial: list[str] = []
        self._partial_size = 0
        self._event = ""
        self._data: list[str] = []
        self._size = 0
        self._started = False
        self._cr = False
        self.dispatched = 0
        self.foreign: str | None = None

    def feed(self, chunk: str) -> list[SSEFrame]:
        """The events ``chunk`` completes."""
        if not self._started and chunk:
            chunk = chunk.removeprefix("\ufeff")
            self._started = True
        if self._cr and chunk.startswith("\n"):
            chunk = chunk[1:]  # the LF of a CRLF split across chunks
        self._cr = chunk.endswith("\r")
        self._partial.append(chunk)
        self._partial_size += len(chunk)
        if "\n" not in chunk and "\r" not in chunk:
            self._check(self._partial_size)  # a line still being received
            return []
        text = "".join(self._partial)
        lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        rest = lines.pop()
        self._partial, self._partial_size = [rest], len(rest)
        frames: list[SSEFrame] = []
        for line in lines:
            frame = self._line(line)
            if frame is not None:
                frames.append(frame)
        return frames

    def close(self) -> list[SSEFrame]:
        """The last event, when the stream ended without its blank line."""
        rest = "".join(self._partial)
        self._partial, self._partial_size = [], 0
        return [f for f in (self._line(rest), self._line("")) if f is not None]

    def _line(self, line: str) -> SSEFrame | None:
        if not line:
            frame = (
                SSEFrame(self._event or "message", "\n".join(self._data)) if self._data else None
            )
            self._event, self._data, self._size = "", [], 0
            self.dispatched += frame is not None
            return frame
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            self._size += len(value) + 1
            self._check(self._size)
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name not in ("id", "retry") and self.foreign is None:
            self.foreign = line
        return None

    def _check(self, size: int) -> None:
        if size > MAX_EVENT_CHARS:
            raise InvalidResponseError(
                f"{self.provider_id}: an event of the stream is larger than "
                f"{MAX_EVENT_CHARS // (1024 * 1024)} MiB; the endpoint is not sending model events"
            )


async def iter_sse(provider_id: str, chunks: AsyncIterator[str]) -> AsyncIterator[SSEFrame]:
    """Yield each event of the text ``chunks`` as soon as its terminating blank line arrives."""
    decoder = SSEDecoder(provider_id)
    async for chunk in chunks:
        for frame in decoder.feed(chunk):
            yield frame
    for frame in decoder.close():
        yield frame
    if not decoder.dispatched and decoder.foreign is not None:
        raise InvalidResponseError(
            f"{provider_id}: the endpoint sent text that is not an event stream: "
            f"{quote(decoder.foreign)}"
        )
