"""The web tools for models without a hosted search: ``fetch_url`` (a page as readable text)
and ``web_search`` (a SearXNG instance's JSON API). Both need network access in the sandbox
policy, and ask the user under ``untrusted``. A fetch reads http and https only (redirects
included, at most :data:`MAX_REDIRECTS`), text only, at most :data:`MAX_BODY_BYTES`, within
:data:`CONNECT_TIMEOUT_S` to connect and :data:`TOTAL_TIMEOUT_S` in all. The user sees each call
as an ``mcpToolCall`` item of the server ``web``."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import Field

from codex_lsp.errors import ToolError
from codex_lsp.exec.safety import WebRequest, decide_approval
from codex_lsp.protocol.items import McpInvocation
from codex_lsp.protocol.policies import DangerFullAccess, ReadOnly, WorkspaceWrite
from codex_lsp.tools.lifecycle import ToolCallLife
from codex_lsp.tools.mcp_item import CallOutcome, run_as_mcp_item
from codex_lsp.tools.registry import (
    Handler,
    ToolArgs,
    ToolInvocation,
    ToolOutput,
    ToolSession,
    parse_arguments,
)
from codex_lsp.tools.specs import MAX_RESULTS
from codex_lsp.tools.truncation import truncate_middle

CONNECT_TIMEOUT_S = 10.0
TOTAL_TIMEOUT_S = 30.0
MAX_BODY_BYTES = 2 * 1024 * 1024
MAX_REDIRECTS = 5
SNIPPET_CHARS = 300
WEB_SERVER = "web"
"""The ``server`` of the items the web tools show."""

_TEXT_TYPES = ("application/json", "application/xml", "application/javascript")
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_USER_AGENT = "codex-lsp (web tools)"


class WebFetchError(ToolError):
    """A fetch failed; the message says why, for the model."""


def network_allowed(policy: DangerFullAccess | ReadOnly | WorkspaceWrite) -> bool:
    """Whether the sandbox policy lets the agent reach the network."""
    return isinstance(policy, DangerFullAccess) or policy.network_access


@dataclass(frozen=True)
class Page:
    """A fetched body: its final URL, media type and text."""

    url: str
    media_type: str
    text: str


async def get_text(url: str) -> Page:
    """GET ``url`` under the limits above; :class:`WebFetchError` saying what went wrong."""
    try:
        async with asyncio.timeout(TOTAL_TIMEOUT_S):
            return await _get(url)
    except TimeoutError:
        raise WebFetchError(
            f"{url} did not answer in full within {TOTAL_TIMEOUT_S:g} s; try another source"
        ) from None


async def _get(url: str) -> Page:
    timeout = httpx.Timeout(TOTAL_TIMEOUT_S, connect=CONNECT_TIMEOUT_S)
    headers = {"User-Agent": _USER_AGENT, "Accept": "text/html, text/*, application/json"}
    async with httpx.AsyncClient(timeout=timeout, headers=headers) as client:
        current = _checked_url(url)
        for _ in range(MAX_REDIRECTS + 1):
            try:
                async with client.stream("GET", current) as response:
                    if response.is_redirect and "location" in response.headers:
                        current = _checked_url(str(current.join(response.headers["location"])))
                        continue
                    return await _read(response)
            except httpx.HTTPError as exc:
                raise WebFetchError(f"cannot fetch {current}: {exc or type(exc).__name__}") from exc
    raise WebFetchError(f"{url} redirects more than {MAX_REDIRECTS} times; not followed")


def _checked_url(raw: str) -> httpx.URL:
    try:
        url = httpx.URL(raw)
    except httpx.InvalidURL as exc:
        raise WebFetchError(f"{raw!r} is not a valid URL: {exc}") from exc
    if url.scheme not in ("http", "https") or not url.host:
        raise WebFetchError(f"only http and https URLs can be fetched, not {raw!r}")
    return url


async def _read(response: httpx.Response) -> Page:
    url = str(response.url)
    if response.status_code >= 400:
        raise WebFetchError(f"{url} answered HTTP {response.status_code} {response.reason_phrase}")
    media_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type and not (
        media_type.startswith("text/") or media_type in _TEXT_TYPES + _HTML_TYPES
    ):
        raise WebFetchError(f"{url} is {media_type}, not text; only text pages can be read")
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise WebFetchError(_too_big(url))
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise WebFetchError(_too_big(url))
    if b"\x00" in body[:4096]:
        raise WebFetchError(f"{url} is binary data, not text; only text pages can be read")
    text = bytes(body).decode(response.encoding or "utf-8", errors="replace")
    return Page(url, media_type, text)


def _too_big(url: str) -> str:
    return f"{url} is larger than {MAX_BODY_BYTES // 1024} KiB; not read"


def readable(page: Page) -> str:
    """The page as the model should read it: HTML as Markdown-like text, the rest as is."""
    if page.media_type in _HTML_TYPES or (
        not page.media_type and page.text.lstrip()[:15].lower().startswith(("<!doctype", "<html"))
    ):
        import html2text  # ~5 ms of start-up: loaded with the first HTML page, not every turn

        converter = html2text.HTML2Text(baseurl=page.url, bodywidth=0)
        converter.ignore_images = True
        return str(converter.handle(page.text)).strip()
    return page.text


class FetchUrlArgs(ToolArgs):
    """Arguments of ``fetch_url``."""

    url: str = Field(min_length=1)


class WebSearchArgs(ToolArgs):
    """Arguments of ``web_search``."""

    query: str = Field(min_length=1)
    max_results: int = Field(default=5, ge=1, le=MAX_RESULTS)


async def handle_fetch_url(session: ToolSession, invocation: ToolInvocation) -> ToolOutput:
    """Fetch a page for the model."""
    args = parse_arguments(FetchUrlArgs, invocation)

    async def fetch() -> str:
        page = await get_text(args.url)
        text = await asyncio.to_thread(readable, page)  # up to 2 MiB of HTML: off the loop
        return text or "(the page has no text)"

    return await _web_call(session, invocation, args.url, {"url": args.url}, fetch)


def web_search_handler(endpoint: str) -> Handler:
    """``web_search`` against the SearXNG instance at ``endpoint`` (its base URL)."""
    base = endpoint.rstrip("/").removesuffix("/search")

    async def handle(session: ToolSession, invocation: ToolInvocation) -> ToolOutput:
        args = parse_arguments(WebSearchArgs, invocation)
        url = str(httpx.URL(f"{base}/search", params={"q": args.query, "format": "json"}))

        async def search() -> str:
            return _results(await get_text(url), args.max_results)

        arguments = args.model_dump()
        return await _web_call(session, invocation, args.query, arguments, search)

    return handle


def _results(page: Page, limit: int) -> str:
    try:
        found = json.loads(page.text).get("results")
    except (ValueError, AttributeError):
        found = None
    if not isinstance(found, list):
        raise WebFetchError(
            "the search endpoint did not answer SearXNG JSON (an object with `results`); "
            "check [tools] web_search_url and that the instance enables format=json"
        )
    results = [
        {
            "title": str(r.get("title", ""))[:SNIPPET_CHARS],
            "url": str(r.get("url", "")),
            "snippet": str(r.get("content", ""))[:SNIPPET_CHARS],
        }
        for r in found
        if isinstance(r, dict) and r.get("url")
    ][:limit]
    if not results:
        return "no results"
    return json.dumps(results, ensure_ascii=False, indent=1)


async def _web_call(
    session: ToolSession,
    invocation: ToolInvocation,
    target: str,
    arguments: dict[str, Any],
    work: Callable[[], Awaitable[str]],
) -> ToolOutput:
    """The policy checks, the approval and the item around one web request."""
    name = invocation.name
    if not network_allowed(session.sandbox_policy):
        return ToolOutput(
            f"{name} is unavailable: the sandbox policy has no network access (set "
            "[sandbox_workspace_write] network_access = true, or ask the user to)",
            success=False,
        )
    item_id = session.new_item_id()
    life = ToolCallLife(session, (WEB_SERVER, name))
    denied = await _approve(life, invocation, target, item_id)
    if denied is not None:
        return denied
    called = McpInvocation(server=WEB_SERVER, tool=name, arguments=arguments)

    async def call() -> CallOutcome:
        try:
            text = truncate_middle(await work(), session.tool_output_max_bytes)
        except WebFetchError as exc:
            error = f"{name}: {exc.message}"
            return CallOutcome(ToolOutput(error, success=False), error=error)
        return CallOutcome(ToolOutput(text), {"text": text})

    return await run_as_mcp_item(life, invocation, item_id, called, call)


async def _approve(
    life: ToolCallLife, invocation: ToolInvocation, target: str, item_id: str
) -> ToolOutput | None:
    """Ask the user when the policy says so; ``None`` means go ahead."""
    session = life.session
    call = WebRequest(invocation.name, target, approved_for_session=life.approved_for_session)
    decision = decide_approval(session.approval_policy, session.sandbox_policy, call)
    return await life.ask_unless_run(
        decision,
        invocation,
        item_id,
        [invocation.name, target],
        f"the user denied {invocation.name} of {target}; do not retry it as is",
    )
