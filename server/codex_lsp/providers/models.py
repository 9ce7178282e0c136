"""The models a provider offers, read from its own list endpoint: ``GET /models`` of OpenAI's
and every OpenAI-compatible API and of Anthropic's, ``GET /api/tags`` of Ollama. A short
timeout and a capped body: a slow or hostile endpoint costs a model picker a few seconds at
most, and what it sends is never trusted beyond model names."""

from __future__ import annotations

import json
from dataclasses import dataclass

import httpx

from codex_lsp.config.model import ModelProviderInfo, WireApi
from codex_lsp.config.secrets import redact
from codex_lsp.errors import InvalidResponseError, ProviderConnectionError, ProviderHTTPError
from codex_lsp.providers.http import MAX_BODY_BYTES, ProviderHttp

LIST_TIMEOUT_S = 5.0
MAX_LISTED = 500
"""Models kept from one answer (a router such as OpenRouter lists hundreds)."""
_LIST_BODY_BYTES = 16 * MAX_BODY_BYTES
_OLLAMA_PORT = 11434


@dataclass(frozen=True)
class ListedModel:
    """A model as the provider names it."""

    id: str
    display_name: str | None = None


def is_ollama(provider_id: str, info: ModelProviderInfo) -> bool:
    """Ollama (the built-in provider, or any endpoint on its port) lists models at
    ``/api/tags``; its OpenAI-compatible ``/v1/models`` omits what is installed locally."""
    if provider_id == "ollama":
        return True
    try:
        return httpx.URL(info.base_url or "").port == _OLLAMA_PORT
    except httpx.InvalidURL:
        return False


async def fetch_models(
    provider_id: str, info: ModelProviderInfo, timeout_s: float | None = None
) -> list[ListedModel]:
    """The provider's models, in its order. Raises :class:`ProviderHTTPError` (its status),
    :class:`ProviderConnectionError` or :class:`InvalidResponseError` (a body that is not a
    model list), each saying what happened; a missing key or base_url raises what creating the
    provider's client would."""
    http = ProviderHttp(provider_id, info)
    await http.aclose()  # only its URL, key and headers are used: the list gets a short timeout
    headers = {k: v for k, v in http.headers().items() if k not in ("content-type", "accept")}
    if info.wire_api is WireApi.ANTHROPIC:
        headers["anthropic-version"] = "2023-06-01"
        if http.api_key:
            headers["x-api-key"] = http.api_key
    elif http.api_key:
        headers["authorization"] = f"Bearer {http.api_key}"
    ollama = is_ollama(provider_id, info)
    url = f"{http.base_url.removesuffix('/v1')}/api/tags" if ollama else f"{http.base_url}/models"
    where = redact(url)
    timeout_s = timeout_s or LIST_TIMEOUT_S
    try:
        async with (
            httpx.AsyncClient(timeout=timeout_s, verify=url.startswith("https://")) as client,
            client.stream("GET", url, headers=headers, params=info.query_params) as response,
        ):
            body = b""
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > _LIST_BODY_BYTES:
                    raise InvalidResponseError(
                        f"{provider_id}: {where} sent more than {_LIST_BODY_BYTES // 1024} KiB"
                    )
    except httpx.HTTPError as exc:
        reason = redact(str(exc).strip()) or "the connection failed or timed out"
        raise ProviderConnectionError(f"cannot reach {where}: {reason}") from exc
    if response.status_code >= 300:
        key = f"; check {info.env_key}" if info.env_key else ""
        hint = key if response.status_code in (401, 403) else ""
        raise ProviderHTTPError(
            f"{where} answered HTTP {response.status_code}{hint}", status=response.status_code
        )
    return _parse(provider_id, where, body, ollama)


def _parse(provider_id: str, where: str, body: bytes, ollama: bool) -> list[ListedModel]:
    """Model ids from ``{"data": [{"id"...}]}`` (OpenAI, Anthropic) or ``{"models": [{"name"
    ...}]}`` (Ollama); entries that are not objects with a string id are skipped."""
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise InvalidResponseError(
            f"{provider_id}: {where} did not answer with JSON; check base_url"
        ) from exc
    rows = data.get("models" if ollama else "data") if isinstance(data, dict) else None
    if not isinstance(rows, list):
        field = "models" if ollama else "data"
        raise InvalidResponseError(f"{provider_id}: {where} answered JSON without a {field} list")
    out: list[ListedModel] = []
    for row in rows:
        ident = row.get("name" if ollama else "id") if isinstance(row, dict) else None
        if isinstance(ident, str) and ident.strip() and len(ident) <= 200:
            name = row.get("display_name")
            out.append(ListedModel(ident.strip(), name if isinstance(name, str) else None))
        if len(out) >= MAX_LISTED:
            break
    return out
