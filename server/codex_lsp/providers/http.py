"""The HTTP side every provider client shares: auth headers, opening a streaming POST, and
mapping what comes back to :mod:`codex_lsp.errors` (httpx errors stop here).

What is not an event stream is refused before a translator sees it, each case classified:

=============================================  ==========================================
the endpoint answered                          error (retried?)
=============================================  ==========================================
a status >= 300                                :class:`ProviderHTTPError` (408/409/429/5xx)
2xx with HTML, JSON, text or an empty body     :class:`InvalidResponseError` (no: a captive
(no ``text/event-stream`` and no SSE lines)    portal or a wrong base_url answers the same)
an event stream with no event at all           :class:`StreamDroppedError` (yes)
bytes that are not HTTP, a cut connection      :class:`ProviderConnectionError` /
                                               :class:`StreamDroppedError` (yes)
=============================================  ==========================================

Every message is cleaned of the secrets the config names (:mod:`codex_lsp.config.secrets`).
"""

from __future__ import annotations

import email.utils
import json
import math
import os
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from codex_lsp.config.model import ModelProviderInfo
from codex_lsp.config.secrets import SECRETS, redact
from codex_lsp.errors import (
    ConfigError,
    ContextWindowExceededError,
    InvalidResponseError,
    NoProviderError,
    ProviderConnectionError,
    ProviderError,
    ProviderHTTPError,
    StreamDroppedError,
    StreamIdleTimeoutError,
)
from codex_lsp.providers.quote import quote
from codex_lsp.providers.sse import SSEFrame, iter_sse
from codex_lsp.providers.transport import StreamingTransport

_CONTEXT_MARKERS = ("context_length_exceeded", "prompt is too long", "maximum context length")
MAX_BODY_BYTES = 64 * 1024
"""How much of an error body, or of a body that is not an event stream, is read."""
_SSE_FIELDS = ("data:", "event:", "id:", "retry:", ":")
_TITLE = re.compile(r"<title[^>]*>([^<]{1,200})</title>", re.IGNORECASE)
_PLAIN_WORDS: dict[type[Exception], str] = {
    httpx.ConnectTimeout: "the connection timed out",
    httpx.WriteTimeout: "sending the request timed out",
    httpx.PoolTimeout: "no connection was free in time",
    httpx.ProxyError: "the proxy refused the connection",
    httpx.UnsupportedProtocol: "the URL's scheme is not http or https",
}


class ProviderHttp:
    """An httpx client bound to one provider, with its key, headers and timeouts."""

    def __init__(self, provider_id: str, info: ModelProviderInfo) -> None:
        self.provider_id = provider_id
        self.info = info
        base_url, self.api_key = check_endpoint(provider_id, info)
        self.base_url = base_url.rstrip("/")
        SECRETS.add_secrets([self.api_key or "", *self.headers().values()])
        SECRETS.add_secrets(info.query_params.values())
        timeout = httpx.Timeout(
            connect=10.0, read=info.stream_idle_timeout_ms / 1000, write=30.0, pool=30.0
        )
        # A plain-http endpoint (Ollama, vLLM on localhost) needs no TLS context; building one
        # loads the whole CA bundle (~80 ms of every `exec`). https keeps full verification.
        # Direct connections read on plain asyncio (a streamed token costs less); a proxy from
        # the environment keeps httpx's own transport.
        verify = self.base_url.startswith("https://")
        transport = StreamingTransport(verify=verify)
        self._client = httpx.AsyncClient(timeout=timeout, verify=verify, transport=transport)

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
    ) -> AsyncIterator[AsyncIterator[SSEFrame]]:
        """POST ``body`` and yield its events once the answer is known to be a 2xx event
        stream; anything else raises the :class:`ProviderError` the module table gives."""
        answered = False
        try:
            async with self._client.stream(
                "POST",
                f"{self.base_url}{path}",
                content=json.dumps(body),
                headers=headers,
                params=self.info.query_params,
            ) as response:
                answered = True
                if response.status_code >= 300:
                    raise self._http_error(response, await _read_head(response))
                yield iter_sse(self.provider_id, await self._event_text(response))
        except httpx.ReadTimeout as exc:
            raise StreamIdleTimeoutError(
                f"{self.provider_id}: no data for {self.info.stream_idle_timeout_ms} ms "
                "(stream_idle_timeout_ms); the stream was closed"
            ) from exc
        except (httpx.RemoteProtocolError, httpx.ReadError) as exc:
            if not answered:
                raise ProviderConnectionError(
                    f"{self.provider_id} at {redact(self.base_url)} did not answer with HTTP "
                    f"({_plain(exc)})"
                ) from exc
            raise StreamDroppedError(
                f"{self.provider_id}: the stream was cut off before the response completed "
                f"({_plain(exc)})"
            ) from exc
        except httpx.DecodingError as exc:
            raise InvalidResponseError(
                f"{self.provider_id}: the answer could not be decoded ({_plain(exc)}); "
                "check base_url and any proxy in between"
            ) from exc
        except (httpx.LocalProtocolError, httpx.InvalidURL) as exc:
            raise ProviderError(
                f"cannot send the request to {self.provider_id} ({_plain(exc)}): check its "
                "http_headers, env_http_headers and query_params"
            ) from exc
        except httpx.TransportError as exc:
            raise ProviderConnectionError(
                f"cannot reach {self.provider_id} at {redact(self.base_url)}: {_plain(exc)}"
            ) from exc
        except httpx.HTTPError as exc:
            raise ProviderError(
                f"the request to {self.provider_id} at {redact(self.base_url)} failed "
                f"({_plain(exc)})"
            ) from exc

    async def _event_text(self, response: httpx.Response) -> AsyncIterator[str]:
        """The body as text when it is an event stream (by its content type, or by its first
        line when a server sends none); :class:`InvalidResponseError` otherwise."""
        chunks = response.aiter_text()
        content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type == "text/event-stream":
            return chunks
        head = ""
        async for chunk in chunks:
            head += chunk
            if head.strip() or len(head) > MAX_BODY_BYTES:
                break
        first = head.lstrip("\ufeff \t\r\n")
        if first.startswith(_SSE_FIELDS):
            return _prepend(head, chunks)
        async for chunk in chunks:
            if len(head) > MAX_BODY_BYTES:
                break
            head += chunk
        raise self._not_a_stream(response.status_code, content_type, head)

    def _not_a_stream(self, status: int, content_type: str, body: str) -> InvalidResponseError:
        where = f"check base_url ({redact(self.base_url)})"
        if not body.strip():
            return InvalidResponseError(
                f"{self.provider_id}: the endpoint answered HTTP {status} with an empty body, "
                f"not an event stream — {where}"
            )
        what = content_type or "a body without a content type"
        hint = where
        title = _TITLE.search(body)
        if content_type == "application/json" or body.lstrip().startswith(("{", "[")):
            detail, _ = _error_detail(body)
            hint += f" and that it streams (stream: true); it said: {quote(detail)}"
        elif title:
            page = quote(title[1])
            hint += f" (or log in to the network's portal); it sent a page titled {page!r}"
        else:
            hint += f"; it sent: {quote(body)}"
        return InvalidResponseError(
            f"{self.provider_id}: the endpoint answered {what}, not an event stream — {hint}"
        )

    def _http_error(
        self, response: httpx.Response, raw: str
    ) -> ProviderHTTPError | ContextWindowExceededError:
        status = response.status_code
        detail, code = _error_detail(raw)
        detail = redact(detail)
        if any(m in (detail + " " + (code or "")).lower() for m in _CONTEXT_MARKERS):
            return ContextWindowExceededError(
                f"{self.provider_id}: the conversation is longer than the model's context window "
                f"({detail}). Compact it (codex/compact) or start a new conversation."
            )
        hint = _status_hint(status, self.provider_id, self.info, response.headers)
        err = ProviderHTTPError(
            f"{self.provider_id} returned HTTP {status}: {detail}{hint}",
            status=status,
            retry_after=retry_after(response.headers),
        )
        if code == "insufficient_quota":
            err.retryable = False
        return err

    async def aclose(self) -> None:
        """Close pooled connections."""
        await self._client.aclose()


def check_endpoint(provider_id: str, info: ModelProviderInfo) -> tuple[str, str | None]:
    """``info``'s base_url and API key, or the error that says what is missing or wrong (no
    base_url, one no request can go to, a key variable that is not set)."""
    if not info.base_url:
        raise NoProviderError(
            f"model provider {provider_id!r} has no base_url: set "
            f"[model_providers.{provider_id}] base_url in config.toml"
        )
    return _checked_url(provider_id, info.base_url), provider_api_key(provider_id, info)


def _checked_url(provider_id: str, base_url: str) -> str:
    """``base_url`` when a request can be sent to it; :class:`ConfigError` says why not."""
    problem = None
    try:
        url = httpx.URL(base_url)
    except httpx.InvalidURL as exc:
        problem = str(exc)
    else:
        if url.scheme not in ("http", "https") or not url.host:
            problem = "it must start with http:// or https:// and name a host"
        elif url.port is not None and not 0 < url.port < 65536:
            problem = f"port {url.port} is not between 1 and 65535"
    if problem:
        raise ConfigError(
            f"[model_providers.{provider_id}] base_url {redact(base_url)!r} is not a URL a "
            f"request can go to: {problem}"
        )
    return base_url


async def _prepend(head: str, rest: AsyncIterator[str]) -> AsyncIterator[str]:
    yield head
    async for chunk in rest:
        yield chunk


async def _read_head(response: httpx.Response) -> str:
    """Up to :data:`MAX_BODY_BYTES` of the body, as text."""
    data = b""
    async for chunk in response.aiter_bytes():
        data += chunk
        if len(data) >= MAX_BODY_BYTES:
            break
    return data[:MAX_BODY_BYTES].decode("utf-8", "replace")


def _plain(exc: BaseException) -> str:
    """What went wrong in words, cleaned of secrets: the exception's own text, else a phrase
    for its kind (never a class name)."""
    if isinstance(exc, BaseExceptionGroup):
        return "; ".join(_plain(e) for e in exc.exceptions)
    text = str(exc).strip()
    if text:
        return redact(text)
    for kind, words in _PLAIN_WORDS.items():
        if isinstance(exc, kind):
            return words
    return "the connection failed"


def provider_api_key(provider_id: str, info: ModelProviderInfo) -> str | None:
    """The key from ``info.env_key``'s variable (None when the provider needs none);
    :class:`NoProviderError` says how to set it when it is missing."""
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


def _status_hint(
    status: int, provider_id: str, info: ModelProviderInfo, headers: httpx.Headers
) -> str:
    if status in (401, 403):
        key = info.env_key or "the provider's API key"
        return f". Check {key}: it was rejected."
    if status == 404:
        return f". Check the model name and base_url ({info.base_url}) of {provider_id!r}."
    if status == 400:
        return ". The request was rejected; check the model name and its settings."
    if 300 <= status < 400:
        location = headers.get("location")
        to = f" to {redact(location)}" if location else ""
        return f". The endpoint redirected{to}: check base_url ({info.base_url})."
    return ""


def retry_after(headers: httpx.Headers) -> float | None:
    """Seconds the provider asks to wait (``retry-after-ms``, ``retry-after`` as seconds or an
    HTTP date); None when absent or unreadable (then the backoff decides)."""
    for name, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(name, "").strip()
        if value:
            seconds = _seconds(value, scale)
            if seconds is not None:
                return seconds
    return None


def _seconds(value: str, scale: float) -> float | None:
    try:
        number = float(value) / scale
    except ValueError:
        if scale != 1.0:
            return None
        try:
            number = email.utils.parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
    return max(0.0, number) if math.isfinite(number) else None
