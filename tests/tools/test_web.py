"""fetch_url and web_search through real turns, against real HTTP servers on 127.0.0.1."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from codex_lsp.core import ConversationManager
from codex_lsp.protocol.items import TextInput
from codex_lsp.protocol.ops import UserInputOp
from codex_lsp.protocol.policies import ReviewDecision
from codex_lsp.protocol.requests import NewConversationParams
from codex_lsp.testing import FakeModelServer, Raw, Reply, Text, ToolCall
from codex_lsp.tools import web
from tests.helpers import EventLog, ScriptedApprover

PAGE = (
    "<!doctype html><html><head><title>T</title><script>var hidden = 1;</script></head>"
    "<body><h1>Release notes</h1><p>Version <b>2.0</b> adds <a href='/x'>widgets</a>.</p>"
    "</body></html>"
)


class _Site(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        path = urlparse(self.path).path
        if path in ("/page", "/html/search"):
            self._send(200, "text/html; charset=utf-8", PAGE.encode())
        elif path == "/huge":
            self._send(200, "text/plain", b"x" * (web.MAX_BODY_BYTES + 10), length=False)
        elif path == "/slow":
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"start")
            self.wfile.flush()
            time.sleep(3)
        elif path == "/to-file":
            self._redirect("file:///etc/passwd")
        elif path == "/to-ftp":
            self._redirect("ftp://127.0.0.1/x")
        elif path == "/loop":
            self._redirect("/loop")
        elif path == "/hop":
            self._redirect("/page")
        elif path == "/binary":
            self._send(200, "application/octet-stream", b"\x7fELF\x00\x01")
        elif path == "/search":
            query = parse_qs(urlparse(self.path).query)
            assert query["format"] == ["json"]
            results = [
                {
                    "title": f"Hit {i} for {query['q'][0]}",
                    "url": f"https://e.com/{i}",
                    "content": "s",
                }
                for i in range(20)
            ]
            self._send(200, "application/json", json.dumps({"results": results}).encode())
        else:
            self._send(404, "text/plain", b"no such page")

    def _send(self, status: int, kind: str, body: bytes, length: bool = True) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        if length:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _redirect(self, where: str) -> None:
        self.send_response(302)
        self.send_header("Location", where)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def site() -> Iterator[str]:
    """A local web site (and SearXNG-shaped ``/search``) on 127.0.0.1."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


NETWORK = {"sandbox_workspace_write": {"network_access": True}}


async def _run(
    manager: ConversationManager,
    server: FakeModelServer,
    log: EventLog,
    calls: list[ToolCall],
    approval: str = "never",
    config: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Run one turn in which the model makes ``calls``; the outputs the model got back."""
    server.enqueue(Reply(tuple(calls)), Reply((Text("done"),)))
    params = NewConversationParams.model_validate(
        {
            "approvalPolicy": approval,
            "sandbox": "workspace-write",
            "config": {**NETWORK, **(config or {})},
        }
    )
    conv = await manager.new_conversation(params)
    conv.submit(UserInputOp(items=[TextInput(text="look it up")]))
    await log.wait_for("taskComplete", conv.id)
    items = server.requests[-1].body["input"]
    return [i for i in items if i["type"] == "function_call_output"]


async def test_fetch_url_gives_the_model_readable_text(
    manager: ConversationManager, model_server: FakeModelServer, log: EventLog, site: str
) -> None:
    [out] = await _run(manager, model_server, log, [ToolCall("fetch_url", {"url": f"{site}/hop"})])
    text = out["output"]
    assert "# Release notes" in text and "Version **2.0** adds [widgets]" in text
    assert "<p>" not in text and "hidden" not in text
    tools = {t["name"] for t in model_server.requests[0].body["tools"]}
    assert "fetch_url" in tools and "web_search" not in tools
    started = [e for e in log.msgs(type_="itemStarted") if e["item"]["type"] == "mcpToolCall"]
    assert started and started[0]["item"]["server"] == "web"
    assert started[0]["item"]["tool"] == "fetch_url"


async def test_fetch_url_errors_are_clear_and_the_turn_goes_on(
    manager: ConversationManager,
    model_server: FakeModelServer,
    log: EventLog,
    site: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(web, "TOTAL_TIMEOUT_S", 1.0)
    paths = ["huge", "slow", "to-file", "to-ftp", "loop", "binary", "missing"]
    calls = [ToolCall("fetch_url", {"url": f"{site}/{p}"}) for p in paths]
    calls.append(ToolCall("fetch_url", {"url": "file:///etc/passwd"}))
    outputs = [o["output"] for o in await _run(manager, model_server, log, calls)]
    expected = [
        "is larger than 2048 KiB; not read",
        "did not answer in full within 1 s",
        "only http and https URLs can be fetched, not 'file:",
        "only http and https URLs can be fetched, not 'ftp://127.0.0.1/x'",
        "redirects more than 5 times",
        "is application/octet-stream, not text",
        "answered HTTP 404 Not Found",
        "only http and https URLs can be fetched, not 'file:///etc/passwd'",
    ]
    assert len(outputs) == len(expected)
    for output, fragment in zip(outputs, expected, strict=True):
        assert output.startswith("fetch_url: ") and fragment in output, output
        assert "Traceback" not in output and "Error" not in output
    assert "root:" not in "".join(outputs)
    assert log.msgs(type_="taskComplete")


async def test_web_search_queries_a_searxng_endpoint(
    manager: ConversationManager, model_server: FakeModelServer, log: EventLog, site: str
) -> None:
    call = ToolCall("web_search", {"query": "codex lsp", "max_results": 3})
    [out] = await _run(
        manager, model_server, log, [call], config={"tools": {"web_search_url": site}}
    )
    results = json.loads(out["output"])
    assert results == [
        {"title": f"Hit {i} for codex lsp", "url": f"https://e.com/{i}", "snippet": "s"}
        for i in range(3)
    ]


async def test_web_search_says_when_the_endpoint_is_not_searxng(
    manager: ConversationManager, model_server: FakeModelServer, log: EventLog, site: str
) -> None:
    call = ToolCall("web_search", {"query": "q"})
    [out] = await _run(
        manager, model_server, log, [call], config={"tools": {"web_search_url": f"{site}/html"}}
    )
    assert out["output"].startswith("web_search: the search endpoint did not answer SearXNG JSON")


async def test_web_tools_are_refused_without_network_access(
    manager: ConversationManager,
    model_server: FakeModelServer,
    log: EventLog,
    site: str,
    approver: ScriptedApprover,
) -> None:
    calls = [
        ToolCall("fetch_url", {"url": f"{site}/page"}),
        ToolCall("web_search", {"query": "q"}),
    ]
    config = {
        "sandbox_workspace_write": {"network_access": False},
        "tools": {"web_search_url": site},
    }
    outputs = await _run(manager, model_server, log, calls, approval="untrusted", config=config)
    for out, name in zip(outputs, ("fetch_url", "web_search"), strict=True):
        assert out["output"].startswith(f"{name} is unavailable: the sandbox policy has no network")
    assert approver.asked == []


async def test_web_tools_ask_under_untrusted(
    manager: ConversationManager,
    model_server: FakeModelServer,
    log: EventLog,
    site: str,
    approver: ScriptedApprover,
) -> None:
    approver.answers = [ReviewDecision.DENIED, ReviewDecision.APPROVED_FOR_SESSION]
    calls = [
        ToolCall("fetch_url", {"url": f"{site}/page"}),
        ToolCall("fetch_url", {"url": f"{site}/page"}),
        ToolCall("fetch_url", {"url": f"{site}/hop"}),
    ]
    outputs = [o["output"] for o in await _run(manager, model_server, log, calls, "untrusted")]
    assert outputs[0].startswith("the user denied fetch_url of")
    assert "# Release notes" in outputs[1] and "# Release notes" in outputs[2]
    assert len(approver.asked) == 2
    assert approver.asked[0].reason == f"fetch_url reaches the network: {site}/page"


def _sse(payload: dict[str, Any]) -> Raw:
    return Raw(f"data: {json.dumps(payload)}\n\n".encode())


@pytest.mark.parametrize(("mode", "live"), [("live", True), ("cached", False)])
async def test_hosted_web_search_is_offered_and_shown_as_a_search_item(
    mode: str,
    live: bool,
    manager: ConversationManager,
    model_server: FakeModelServer,
    log: EventLog,
    site: str,
) -> None:
    call = {"type": "web_search_call", "id": "ws_1", "status": "completed"}
    done = {**call, "action": {"type": "search", "query": "pygls 2 release"}}
    model_server.enqueue(
        Reply(
            (
                _sse({"type": "response.output_item.added", "output_index": 0, "item": call}),
                _sse({"type": "response.output_item.done", "output_index": 0, "item": done}),
                Text("pygls 2 is out"),
            )
        )
    )
    config = {"web_search": mode, "tools": {"web_search_url": site}}
    conv = await manager.new_conversation(NewConversationParams(config=config))
    conv.submit(UserInputOp(items=[TextInput(text="news?")]))
    await log.wait_for("taskComplete", conv.id)
    tools = model_server.requests[0].body["tools"]
    assert {"type": "web_search", "external_web_access": live} in tools
    assert not [t for t in tools if t.get("name") == "web_search"]  # the hosted one only
    [end] = log.msgs(conv.id, "webSearchEnd")
    assert end["query"] == "pygls 2 release" and end["callId"] == "ws_1"
    searches = [
        m["item"] for m in log.msgs(conv.id, "itemCompleted") if m["item"]["type"] == "webSearch"
    ]
    assert searches == [{"type": "webSearch", "id": end["itemId"], "query": "pygls 2 release"}]
    assert log.msgs(conv.id, "agentMessage")[-1]["message"] == "pygls 2 is out"


async def test_hosted_web_search_is_off_by_default(
    manager: ConversationManager, model_server: FakeModelServer, log: EventLog
) -> None:
    model_server.enqueue(Reply((Text("hi"),)))
    conv = await manager.new_conversation(NewConversationParams())
    conv.submit(UserInputOp(items=[TextInput(text="hi")]))
    await log.wait_for("taskComplete", conv.id)
    assert all(t["type"] != "web_search" for t in model_server.requests[0].body["tools"])
