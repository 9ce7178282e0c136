"""Retries a model request with exponential backoff and jitter, honouring ``Retry-After``.

Each retry is announced with a :class:`Retrying` event before the wait, so a client can show
"reconnecting 2/5". Permanent errors (400, 401, 403, 404, context window, an answer that is not
the API's) are raised at once; a broken stream (dropped, stalled, a line that is not JSON) counts
against ``stream_max_retries``, any other retryable failure against ``request_max_retries``.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator

from codex_lsp.config.model import ModelProviderInfo
from codex_lsp.errors import (
    InvalidResponseError,
    ProviderError,
    ProviderHTTPError,
    StreamDroppedError,
)
from codex_lsp.providers.base import ModelClient, Prompt, ResponseEvent, Retrying

BASE_DELAY_S = 0.2
MAX_DELAY_S = 60.0


def backoff_delay(attempt: int, retry_after: float | None = None) -> float:
    """Seconds to wait before retry number ``attempt`` (1-based)."""
    if retry_after is not None:
        return min(retry_after, MAX_DELAY_S)
    delay = BASE_DELAY_S * (2 ** (attempt - 1))
    jittered: float = delay * random.uniform(0.9, 1.1)
    return min(jittered, MAX_DELAY_S)


async def stream_with_retries(
    client: ModelClient, prompt: Prompt, info: ModelProviderInfo
) -> AsyncIterator[ResponseEvent]:
    """Yield the events of one model response, retrying retryable failures."""
    attempts = {"request": 0, "stream": 0}
    while True:
        try:
            async for event in client.stream(prompt):
                yield event
            return
        except ProviderError as exc:
            dropped = isinstance(exc, StreamDroppedError | InvalidResponseError)
            kind = "stream" if dropped else "request"
            limit = info.stream_max_retries if dropped else info.request_max_retries
            attempts[kind] += 1
            attempt = attempts[kind]
            if not exc.retryable or attempt > limit:
                raise
            retry_after = exc.retry_after if isinstance(exc, ProviderHTTPError) else None
            delay = backoff_delay(attempt, retry_after)
            yield Retrying(
                message=f"{exc.message}; reconnecting {attempt}/{limit} in {delay:.1f}s",
                error_info=exc.error_info,
                attempt=attempt,
                max_attempts=limit,
                delay_s=delay,
            )
            await asyncio.sleep(delay)
