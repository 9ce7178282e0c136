"""Server-sent events decoding over an httpx response (the WHATWG event-stream format)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx


@dataclass(frozen=True)
class SSEFrame:
    """One dispatched event: its ``event`` name (``message`` by default) and joined data."""

    event: str
    data: str


async def iter_sse(response: httpx.Response) -> AsyncIterator[SSEFrame]:
    """Yield each event of ``response`` as soon as its terminating blank line arrives."""
    event = ""
    data: list[str] = []
    async for line in response.aiter_lines():
        if not line:
            if data:
                yield SSEFrame(event or "message", "\n".join(data))
            event, data = "", []
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            data.append(value)
        elif name == "event":
            event = value
    if data:
        yield SSEFrame(event or "message", "\n".join(data))
