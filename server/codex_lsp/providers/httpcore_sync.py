"""The part of anyio that httpcore's connection pool calls, on plain asyncio.

Under asyncio httpcore takes its locks, events and cancellation shields from anyio, and the
first of them imports anyio's asyncio backend (sockets, streams, task groups: ~15 ms of every
`codex-lsp exec`, whose one turn makes one request). :func:`install` points httpcore at this
module instead, for this process:

- ``Lock`` and ``Event`` are asyncio's: anyio's are the same FIFO lock and flag on asyncio,
  and cancellation reaches both through ``Task.cancel``.
- ``CancelScope(shield=True)`` does nothing while anyio's asyncio backend is not loaded: an
  anyio shield only holds off anyio cancel scopes (a plain ``Task.cancel`` goes through it),
  and without the backend no such scope exists. Once something loaded it (an MCP session),
  the shield is anyio's own.
- ``fail_after`` and ``Semaphore`` (waiting for a free connection of a full pool, HTTP/2) are
  anyio's own.
"""

from __future__ import annotations

import asyncio
import math
import sys
from contextlib import AbstractContextManager, nullcontext

from httpcore import _synchronization

_ANYIO_ASYNCIO = "anyio._backends._asyncio"

Lock = asyncio.Lock
Event = asyncio.Event


def CancelScope(
    *, deadline: float = math.inf, shield: bool = False
) -> AbstractContextManager[object]:
    """A shield (the one scope httpcore opens): anyio's when any anyio scope can exist."""
    if shield and deadline == math.inf and _ANYIO_ASYNCIO not in sys.modules:
        return nullcontext()
    import anyio

    return anyio.CancelScope(deadline=deadline, shield=shield)


def fail_after(delay: float | None, shield: bool = False) -> AbstractContextManager[object]:
    """anyio's: raises ``TimeoutError`` after ``delay`` (a wait for a pool connection)."""
    import anyio

    return anyio.fail_after(delay, shield)


def Semaphore(initial_value: int, *, max_value: int | None = None) -> object:
    """anyio's semaphore."""
    import anyio

    return anyio.Semaphore(initial_value, max_value=max_value)


def install() -> None:
    """Make httpcore's async locks, events and shields this module's (idempotent)."""
    # httpcore looks its ``anyio`` global up at every call, so replacing it is enough
    vars(_synchronization)["anyio"] = sys.modules[__name__]
