"""The HTTP side every provider client shares: auth headers, opening a streaming POST, and
mapping httpx failures and error bodies to :mod:`codex_lsp.errors` (httpx errors stop here)."""

from __future__ import annotations

import email.utils
import json
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from codex_lsp.config.model import ModelProviderInfo
from codex_lsp.errors import (
    ContextWindowExceededError,
    NoProviderError,
    ProviderConnectionError,
    ProviderHTTPError,
    StreamDroppedError,
    StreamIdleTimeoutError,
)
from codex_lsp.providers.redact import redact

_CONTEXT_MARKERS = ("context_length_exceeded", "prompt is too long", "maximum context length")


class ProviderHttp:
    """An httpx client bound to one provider, with its key, headers and timeouts."""

    def __init__(self, provider_id: str, info: ModelProviderInfo) -> None:
        if not info.base_url:
            raise NoProviderError(
                f"model provider {provider_id!r} has no base_url: set "
                f"[model_providers.{provider_id}] base_url in config.toml"
            )
        self.provider_id = provider_id
        self.info = info
        self.api_key = _api_key(provider_id, info)
        self.base_url = info.base_url.rstrip("/")
        timeout = httpx.Timeout(
            connect=10.0, read=info.stream_idle_timeout_ms / 1000, write=30.0, pool=30.0
        )
        # A plain-http endpoint (Ollama, vLLM on localhost) needs no TLS context; building one
        # loads the whole CA bundle (~80 ms of every `exec`). https keeps full verification.
        verify = self.base_url.startswith("https://")
        self._client = httpx.AsyncClient(timeout=timeout, verify=verify)

    def headers(self) -> dict[str, str]:
        """Static, environment-provided and content headers (auth is added by each wire)."""
        out = {"content-type": "application/json", "accept": "text/event-stream"}
        out.update(self.info.http_headers)
        for header, env in self.info.env_http_headers.items():
            value = os.environ.get(env)
            if value:
                out[header] = value
        return out

    @asynccontextmanager
    async def post_stream(
        self, path: str, body: dict[str, Any], headers: dict[str, str]
    ) -> AsyncIterator[httpx.Response]:
        """POST ``body`` and yield the streaming response once it is known to be a 2xx."""
        url = f"{self.base_url}{path}"
        secrets = (self.api_key,) if self.api_key else ()
        try:
            async with self._client.stream(
                "POST",
                url,
                content=json.dumps(body),
                headers=headers,
                params=self.info.query_params,
            ) as response:
                if response.status_code >= 300:
                    raw = (await response.aread()).decode("utf-8", "replace")
                    raise self._http_error(response, raw, secrets)
                yield response
        except httpx.ReadTimeout as exc:
            raise StreamIdleTimeoutError(
                f"{self.provider_id}: no data for {self.info.stream_idle_timeout_ms} ms "
                "(stream_idle_timeout_ms); the stream was closed"
            ) from exc
        except (httpx.RemoteProtocolError, httpx.ReadError) as exc:
            raise StreamDroppedError(
                f"{self.provider_id}: the stream was cut off before the response completed"
            ) from exc
        except httpx.TransportError as exc:
            raise ProviderConnectionError(
                f"cannot reach {self.provider_id} at {self.base_url}: "
                f"{redact(str(exc) or type(exc).__name__, secrets)}"
            ) from exc

    def _http_error(
        self, response: httpx.Response, raw: str, secrets: tuple[str, ...]
    ) -> ProviderHTTPError | ContextWindowExceededError:
        status = response.status_code
        detail, code = _error_detail(raw)
        detail = redact(detail, secrets)
        if any(m in (detail + " " + (code or "")).lower() for m in _CONTEXT_MARKERS):
            return ContextWindowExceededError(
                f"{self.provider_id}: the conversation is longer than the model's context window "
                f"({detail}). Compact it (codex/compact) or start a new conversation."
            )
        hint = _status_hint(status, self.provider_id, self.info)
        err = ProviderHTTPError(
            f"{self.provider_id} returned HTTP {status}: {detail}{hint}",
            status=status,
            retry_after=_retry_after(response.headers),
        )
        if code == "insufficient_quota":
            err.retryable = False
        return err

    async def aclose(self) -> None:
        """Close pooled connections."""
        await self._client.aclose()


def _api_key(provider_id: str, info: ModelProviderInfo) -> str | None:
    if not info.env_key:
        return None
    key = os.environ.get(info.env_key, "").strip()
    if not key:
        how = f" {info.env_key_instructions}." if info.env_key_instructions else ""
        raise NoProviderError(
            f"model provider {provider_id!r} needs an API key in the environment variable "
            f"{info.env_key}, which is not set.{how} Then: export {info.env_key}=..."
        )
    return key


def _error_detail(raw: str) -> tuple[str, str | None]:
    try:
        body = json.loads(raw)
    except ValueError:
        return (raw.strip()[:500] or "(empty body)"), None
    err = body.get("error") if isinstance(body, dict) else None
    if isinstance(err, dict):
        code = err.get("code") or err.get("type")
        return str(err.get("message") or code or raw[:500]), (str(code) if code else None)
    if isinstance(err, str):
        return err, None
    return raw.strip()[:500], None


def _status_hint(status: int, provider_id: str, info: ModelProviderInfo) -> str:
    if status in (401, 403):
        key = info.env_key or "the provider's API key"
        return f". Check {key}: it was rejected."
    if status == 404:
        return f". Check the model name and base_url ({info.base_url}) of {provider_id!r}."
    if status == 400:
        return ". The request was rejected; check the model name and its settings."
    return ""


def _retry_after(headers: httpx.Headers) -> float | None:
    value = headers.get("retry-after-ms")
    if value:
        try:
            return float(value) / 1000
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value)
        return max(0.0, parsed.timestamp() - time.time()) if parsed else None
