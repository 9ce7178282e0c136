"""A provider (or a proxy, a captive portal, a wrong base_url) that sends garbage: every wire by
every kind of garbage, through a real turn against the scripted server on 127.0.0.1. Each ends the
turn with an error that says what the provider sent, retried only when a retry can help, and no
Python exception name ever reaches an event."""

from __future__ import annotations

import builtins
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pydantic
import pytest

from codex_lsp.core import ConfigSources, ConversationManager, FrontEnd
from codex_lsp.protocol.items import TextInput
from codex_lsp.protocol.ops import UserInputOp
from codex_lsp.protocol.requests import NewConversationParams
from codex_lsp.testing import ErrorReply, FakeModelServer, Raw, RawReply, Reply, Text
from codex_lsp.testing.script import Scripted
from tests.helpers import EventLog, write_config

SSE = (("content-type", "text/event-stream"),)


def _exception_names() -> set[str]:
    """Every exception class name a Python error could show: builtins, json, pydantic, httpx."""
    names = {
        name
        for name, obj in vars(builtins).items()
        if isinstance(obj, type) and issubclass(obj, BaseException)
    }
    for module in (json, pydantic, httpx):
        names |= {
            name
            for name, obj in vars(module).items()
            if isinstance(obj, type) and issubclass(obj, BaseException)
        }
    return names | {"Traceback", "internal error"}


EXCEPTION_NAMES = _exception_names()


def sse(*events: object) -> bytes:
    """Data lines as a stream: dicts as JSON, strings as they are."""
    return b"".join(
        f"data: {e if isinstance(e, str) else json.dumps(e)}\n\n".encode() for e in events
    )


@dataclass(frozen=True)
class Garbage:
    """What the provider sends, the words the error must contain, and whether it is retried."""

    reply: Scripted
    expect: tuple[str, ...]
    retried: bool


HTML = RawReply(
    headers=(("content-type", "text/html; charset=utf-8"),),
    body=b"<!doctype html><html><head><title>Hotel WiFi - log in</title></head></html>",
)
JSON_200 = RawReply(
    headers=(("content-type", "application/json"),), body=b'{"object": "list", "data": []}'
)
EMPTY_200 = RawReply(headers=(), body=b"")


def _stream(body: bytes) -> RawReply:
    return RawReply(headers=SSE, body=body, chunks=2)


def _cases() -> dict[tuple[str, str], Garbage]:
    cases: dict[tuple[str, str], Garbage] = {}
    for wire in ("responses", "chat", "anthropic"):
        cases[(wire, "html")] = Garbage(
            HTML, ("text/html", "not an event stream", "base_url"), False
        )
        cases[(wire, "json body")] = Garbage(
            JSON_200, ("application/json", "not an event stream", '"object": "list"'), False
        )
        cases[(wire, "empty body")] = Garbage(EMPTY_200, ("empty body", "base_url"), False)
        cases[(wire, "empty stream")] = Garbage(_stream(b""), ("closed before",), True)
        cases[(wire, "invalid json")] = Garbage(
            _stream(b'data: {"type": "response.output_text.delta", "delt\n\n'),
            ("not JSON", '{"type": "response.output_text.delta", "delt'),
            True,
        )
        cases[(wire, "json array")] = Garbage(
            _stream(sse("[1, 2, 3]")), ("not a JSON object", "[1, 2, 3]"), False
        )
        cases[(wire, "bad gzip")] = Garbage(
            RawReply(
                headers=(*SSE, ("content-encoding", "gzip")), body=b"data: this is no gzip\n\n"
            ),
            ("could not be decoded", "base_url"),
            False,
        )
        cases[(wire, "random bytes")] = Garbage(
            _stream(b"\x00\xff\xfe garbage \x1b[31m\n\n"), ("not an event stream",), False
        )
    cases[("responses", "delta without item_id")] = Garbage(
        _stream(sse({"type": "response.output_text.delta", "delta": "hi"})),
        ("response.output_text.delta", "item_id"),
        False,
    )
    cases[("responses", "bare [DONE]")] = Garbage(
        _stream(sse("[DONE]")), ("[DONE]", "before response.completed"), True
    )
    cases[("responses", "item null")] = Garbage(
        _stream(sse({"type": "response.output_item.done", "item": None})),
        ("response.output_item.done", "item"),
        False,
    )
    cases[("chat", "choices null")] = Garbage(
        _stream(sse({"id": "c1", "choices": None}, "[DONE]")), ('"choices": null',), False
    )
    cases[("chat", "content not a string")] = Garbage(
        _stream(sse({"choices": [{"delta": {"content": ["hi"]}}]}, "[DONE]")),
        ("content", '["hi"]'),
        False,
    )
    cases[("chat", "choice not an object")] = Garbage(
        _stream(sse({"choices": ["hi"]}, "[DONE]")), ("choices", '"hi"'), False
    )
    cases[("anthropic", "delta without index")] = Garbage(
        _stream(
            sse(
                {"type": "content_block_delta", "delta": {"type": "text_delta", "text": "x"}},
            )
        ),
        ("content_block_delta", "index"),
        False,
    )
    cases[("anthropic", "bare [DONE]")] = Garbage(
        _stream(sse("[DONE]")), ("[DONE]", "before message_stop"), True
    )
    cases[("anthropic", "block null")] = Garbage(
        _stream(sse({"type": "content_block_start", "index": 0, "content_block": None})),
        ("content_block_start", "content_block"),
        False,
    )
    return cases


CASES = _cases()


@pytest.fixture
async def manager(
    clean_env: Path, model_server: FakeModelServer, log: EventLog, workspace: Path
) -> AsyncIterator[ConversationManager]:
    mgr = ConversationManager(
        FrontEnd(log.sink), ConfigSources(home=clean_env, default_cwd=workspace)
    )
    yield mgr
    await mgr.shutdown_all()


def _configure(home: Path, base_url: str, wire: str) -> None:
    path = write_config(home, base_url, wire)
    text = path.read_text().replace("request_max_retries = 3", "request_max_retries = 1")
    path.write_text(text.replace("stream_max_retries = 3", "stream_max_retries = 1"))


async def _turn(manager: ConversationManager, log: EventLog) -> str:
    conv = await manager.new_conversation(NewConversationParams())
    conv.submit(UserInputOp(items=[TextInput(text="hi")]))
    await log.wait_for("taskComplete", conv.id, timeout=20)
    return conv.id


def _no_exception_names(log: EventLog) -> None:
    text = json.dumps(log.events)
    leaked = sorted(name for name in EXCEPTION_NAMES if name in text)
    assert not leaked, f"{leaked} in events: {text[:2000]}"


@pytest.mark.parametrize(("wire", "garbage"), list(CASES), ids=[" / ".join(k) for k in CASES])
async def test_garbage_ends_the_turn_with_an_error_naming_what_was_sent(
    wire: str,
    garbage: str,
    clean_env: Path,
    model_server: FakeModelServer,
    manager: ConversationManager,
    log: EventLog,
) -> None:
    case = CASES[(wire, garbage)]
    _configure(clean_env, model_server.base_url, wire)
    model_server.default_reply = case.reply
    conv = await _turn(manager, log)
    errors = log.msgs(conv, "error")
    assert len(errors) == 1, log.types(conv)
    message = errors[0]["message"]
    for words in case.expect:
        assert words in message, message
    assert message.startswith("fake"), message  # names the provider
    retries = log.msgs(conv, "streamError")
    assert (len(retries) == 1) is case.retried, (message, retries)
    assert len(model_server.requests) == (2 if case.retried else 1)
    _no_exception_names(log)


@pytest.mark.parametrize("wire", ["responses", "chat", "anthropic"])
@pytest.mark.parametrize("value", ["soon", "-5", "nan", "1e999", "Wed, 99 Foo 2000"])
async def test_an_unreadable_retry_after_is_ignored_and_the_request_retried(
    wire: str,
    value: str,
    clean_env: Path,
    model_server: FakeModelServer,
    manager: ConversationManager,
    log: EventLog,
) -> None:
    _configure(clean_env, model_server.base_url, wire)
    model_server.enqueue(
        ErrorReply(429, "slow down", headers=(("retry-after", value),)),
        Reply((Text("recovered"),)),
    )
    conv = await _turn(manager, log)
    [retry] = log.msgs(conv, "streamError")
    assert "HTTP 429" in retry["message"] and 0 <= retry["retryInMs"] <= 60_000
    assert log.msgs(conv, "taskComplete")[0]["lastAgentMessage"] == "recovered"
    assert log.msgs(conv, "error") == []
    _no_exception_names(log)


@pytest.mark.parametrize("wire", ["responses", "chat", "anthropic"])
async def test_garbage_after_real_output_ends_the_turn_without_a_partial_message(
    wire: str,
    clean_env: Path,
    model_server: FakeModelServer,
    manager: ConversationManager,
    log: EventLog,
) -> None:
    _configure(clean_env, model_server.base_url, wire)
    model_server.default_reply = Reply((Text("half an answer"), Raw(b"data: [4, 5]\n\n")))
    conv = await _turn(manager, log)
    [error] = log.msgs(conv, "error")
    assert "not a JSON object" in error["message"] and "[4, 5]" in error["message"]
    assert log.msgs(conv, "agentMessage") == []
    _no_exception_names(log)
