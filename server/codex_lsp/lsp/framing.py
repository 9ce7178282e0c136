"""LSP base-protocol framing: ``Content-Length`` headers and bodies out of a byte stream.

pygls's reader expects exactly ``Content-Length: N\\r\\n``; anything else (a lower-case name, LF
line ends, a wrong length) leaves it desynchronised and the server deaf. This reader accepts
what HTTP-style headers allow (any case, LF or CRLF, other headers ignored), bounds the header
section and the body, and after a bad frame reports the problem and resynchronises on the next
``Content-Length`` header, so one bad frame costs one message, never the connection. A body that
stops arriving short of its ``Content-Length`` but is a whole JSON object already is taken as it
is after a pause, so a client awaiting the answer to a frame whose length was too long gets it.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass

HEADER_SECTION_MAX = 8 * 1024
BODY_MAX = 64 * 1024 * 1024
READ_CHUNK = 64 * 1024
BODY_STALL_S = 2.0  # no byte of an unfinished body for this long: it is all there will be
EXCERPT_MAX = 60

_LENGTH_NAME = b"content-length"
_HEADER_START = re.compile(rb"content-length", re.IGNORECASE)
_DIGITS = re.compile(rb"[0-9]{1,19}")
_TOKEN = re.compile(rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


@dataclass(frozen=True)
class Frame:
    """One message body, as the headers delimited it; ``missing`` bytes short when the client
    stopped sending before its ``Content-Length`` was reached."""

    body: bytes
    missing: int = 0


@dataclass(frozen=True)
class FrameError:
    """A frame that could not be read; the reader has skipped it."""

    message: str


def excerpt(data: bytes) -> str:
    """A short printable form of ``data`` for an error message."""
    text = repr(bytes(data[:EXCERPT_MAX]))[2:-1]
    return text + ("…" if len(data) > EXCERPT_MAX else "")


def _complete_object(data: bytes) -> bool:
    try:
        return isinstance(json.loads(data), dict)
    except (ValueError, RecursionError):
        return False


def header_start(data: bytes | bytearray, start: int = 0) -> int:
    """Where the next ``Content-Length`` header begins in ``data`` (any case), or -1."""
    found = _HEADER_START.search(data, start)
    return found.start() if found else -1


class FrameReader:
    """Reads frames from an asyncio stream with bounded memory."""

    def __init__(
        self,
        stream: asyncio.StreamReader,
        *,
        header_max: int = HEADER_SECTION_MAX,
        body_max: int = BODY_MAX,
        stall_s: float = BODY_STALL_S,
    ) -> None:
        self._stream = stream
        self._header_max = header_max
        self._body_max = body_max
        self._stall_s = stall_s
        self._buffer = bytearray()
        self._eof = False
        self._resync = False

    def unread(self, data: bytes) -> None:
        """Put ``data`` back in front of the stream (the start of a frame a too-long
        ``Content-Length`` swallowed)."""
        self._buffer[:0] = data

    async def next(self) -> Frame | FrameError | None:
        """The next frame; a :class:`FrameError` for a bad one (the following call resumes at
        the next header); None once the stream has ended."""
        if self._resync and not await self._skip_to_header():
            return None
        self._resync = False
        headers = await self._headers()
        if headers is None or isinstance(headers, FrameError):
            return headers
        length, end = headers
        if length > self._body_max:
            del self._buffer[:end]
            self._resync = True
            return FrameError(
                f"a message of {length} bytes is over the limit of {self._body_max} bytes; "
                "it was skipped"
            )
        while len(self._buffer) < end + length:
            try:
                more = await asyncio.wait_for(self._fill(), self._stall_s)
            except TimeoutError:
                body = bytes(self._buffer[end:])
                if not _complete_object(body):
                    continue  # a slow writer: a prefix of a JSON object is never a whole one
                self._buffer.clear()  # a Content-Length too long; the client awaits the answer
                return Frame(body, missing=length - len(body))
            if not more:
                got = len(self._buffer) - end
                self._buffer.clear()
                return FrameError(
                    f"the input ended in the middle of a message ({got} of {length} bytes)"
                )
        body = bytes(self._buffer[end : end + length])
        del self._buffer[: end + length]
        return Frame(body)

    async def _headers(self) -> tuple[int, int] | FrameError | None:
        """Parse one header section: ``(content length, offset of the body)``."""
        pos = 0
        length: int | None = None
        seen_header = False
        while True:
            newline = self._buffer.find(b"\n", pos)
            if newline < 0:
                if len(self._buffer) > self._header_max:
                    return self._bad(
                        f"a header section is longer than {self._header_max} bytes", pos + 1
                    )
                if not await self._fill():
                    rest = bytes(self._buffer).strip()
                    self._buffer.clear()
                    if rest:
                        return FrameError(f"the input ended inside a header: {excerpt(rest)}")
                    return None
                continue
            start, pos = pos, newline + 1
            line = bytes(self._buffer[start:newline]).removesuffix(b"\r")
            if pos > self._header_max:
                return self._bad(
                    f"a header section is longer than {self._header_max} bytes", start + 1
                )
            if not line.strip():
                if not seen_header:  # blank lines between messages are harmless
                    del self._buffer[:pos]
                    pos = 0
                    continue
                if length is None:
                    return self._bad("a message has no Content-Length header", pos)
                return length, pos
            seen_header = True
            name, colon, value = line.partition(b":")
            name = name.strip()
            if not colon or not _TOKEN.fullmatch(name):
                return self._bad(f"{excerpt(line)!r} is not a header line", start + 1)
            if name.lower() != _LENGTH_NAME:
                inside = header_start(line, 1)
                if inside >= 0:  # the rest of a broken frame, then the next header
                    return self._bad(f"{excerpt(line)!r} is not a header line", start + inside)
                continue  # Content-Type and any other header are ignored
            value = value.strip()
            if not _DIGITS.fullmatch(value):
                return self._bad(
                    f"Content-Length must be a number of bytes, not {excerpt(value)!r}", start + 1
                )
            if length is not None and int(value) != length:
                return self._bad("a message has two different Content-Length headers", start + 1)
            length = int(value)

    def _bad(self, problem: str, resume_at: int) -> FrameError:
        """Report a broken header section; the next read looks for a header from
        ``resume_at`` on (just inside a bad line: the next frame may start in it, after the
        rest of a truncated one)."""
        del self._buffer[:resume_at]
        self._resync = True
        return FrameError(f"{problem}; skipped to the next Content-Length header")

    async def _skip_to_header(self) -> bool:
        """Drop bytes up to the next ``Content-Length`` header; False at the end of input."""
        keep = len(_LENGTH_NAME) - 1
        while True:
            found = header_start(self._buffer)
            if found >= 0:
                del self._buffer[:found]
                return True
            if len(self._buffer) > keep:
                del self._buffer[: len(self._buffer) - keep]
            if not await self._fill():
                self._buffer.clear()
                return False

    async def _fill(self) -> bool:
        """Read more input; False at its end."""
        if self._eof:
            return False
        chunk = await self._stream.read(READ_CHUNK)
        if not chunk:
            self._eof = True
            return False
        self._buffer += chunk
        return True
