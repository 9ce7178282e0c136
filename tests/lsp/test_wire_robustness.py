"""Bad frames and bad JSON-RPC from the editor (issue 15, item 5): each gets an answer that says
what was wrong, or is accepted when the LSP base protocol allows it, and the server keeps
answering. Spoken to a real server process in raw bytes."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from codex_lsp.testing import FakeModelServer
from tests.lsp.wire_client import WireClient, frame, probe_params, request

pytestmark = pytest.mark.slow


@pytest.fixture
async def wire(
    codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> AsyncIterator[WireClient]:
    """An initialized server spoken to in raw bytes."""
    client = await WireClient.start(codex_home, workspace)
    try:
        await client.initialize(workspace)
        yield client
    finally:
        await client.stop()


def body(msg_id: str) -> bytes:
    return json.dumps(request(msg_id, "textDocument/codeAction", probe_params())).encode()


async def test_a_content_length_five_bytes_short_costs_one_message(wire: WireClient) -> None:
    short = body("short")
    await wire.send_raw(b"Content-Length: %d\r\n\r\n%s" % (len(short) - 5, short))
    await wire.send(request("next", "textDocument/codeAction", probe_params()))
    assert "result" in await wire.answer("next")
    first = (await wire.errors_without_id(1))[0]
    assert first["code"] == -32700 and "not valid JSON" in first["message"]
    assert "Traceback" not in wire.stderr_text


async def test_a_content_length_forty_bytes_long_is_recovered(wire: WireClient) -> None:
    long = body("long")
    await wire.send_raw(b"Content-Length: %d\r\n\r\n%s" % (len(long) + 40, long))
    await wire.send(request("next", "textDocument/codeAction", probe_params()))
    assert "result" in await wire.answer("next")
    assert "result" in await wire.answer("long")
    assert "40 bytes too long" in wire.stderr_text


async def test_a_content_length_too_long_on_the_last_message_is_answered(
    wire: WireClient,
) -> None:
    """The client sent everything and waits: after a pause the server takes what came."""
    long = body("alone")
    await wire.send_raw(b"Content-Length: %d\r\n\r\n%s" % (len(long) + 40, long))
    assert "result" in await wire.answer("alone")
    await wire.probe()


@pytest.mark.parametrize(
    "header",
    [
        b"content-length: %d\r\n\r\n",
        b"CONTENT-LENGTH:%d\r\n\r\n",
        b"Content-Length: %d\n\n",
        b"Content-Type: application/vscode-jsonrpc; charset=utf-8\r\nContent-Length: %d\r\n\r\n",
        b"\r\n\r\nContent-Length: %d  \r\n\r\n",
    ],
    ids=["lower-case", "upper-case-no-space", "lf-only", "content-type-first", "blank-lines"],
)
async def test_headers_the_base_protocol_allows_are_accepted(
    wire: WireClient, header: bytes
) -> None:
    message = body("ok")
    await wire.send_raw(header % len(message) + message)
    assert "result" in await wire.answer("ok")


@pytest.mark.parametrize(
    ("bad", "says"),
    [
        (b"Content-Length: abc\r\n\r\n{}", "Content-Length must be a number of bytes"),
        (b"Content-Length: -3\r\n\r\n{}", "Content-Length must be a number of bytes"),
        (b"Content-Type: text/plain\r\n\r\n{}", "no Content-Length header"),
        (b"garbage line\r\n\r\n", "is not a header line"),
        (b"X-Pad: " + b"x" * 20000 + b"\r\n\r\n", "header section is longer than"),
        (b"Content-Length: 100000000\r\n\r\n", "over the limit"),
        (b"Content-Length: 1\r\nContent-Length: 2\r\n\r\n{}", "two different Content-Length"),
    ],
    ids=["not-a-number", "negative", "missing", "no-colon", "huge-header", "huge-body", "two"],
)
async def test_a_broken_header_is_answered_and_the_next_message_is_read(
    wire: WireClient, bad: bytes, says: str
) -> None:
    await wire.send_raw(bad)
    await wire.send(request("next", "textDocument/codeAction", probe_params()))
    assert "result" in await wire.answer("next")
    error = (await wire.errors_without_id(1))[0]
    assert error["code"] == -32700 and says in error["message"], error
    assert says in wire.stderr_text


@pytest.mark.parametrize(
    ("message", "code", "says"),
    [
        (b"{not json", -32700, "not valid JSON"),
        (b'{"a": "\xff"}', -32700, "not UTF-8"),
        (b"[" * 100000 + b"]" * 100000, -32700, "not valid JSON"),
        (b"[]", -32600, "an empty batch"),
        (b'[{"jsonrpc": "2.0", "id": 1, "method": "shutdown"}]', -32600, "batch"),
        (b"42", -32600, "must be a JSON object"),
        (b'{"jsonrpc": "1.0", "id": 1, "method": "shutdown"}', -32600, '"jsonrpc": "2.0"'),
        (b'{"id": 1, "method": "shutdown"}', -32600, '"jsonrpc": "2.0"'),
        (b'{"jsonrpc": "2.0", "id": {"a": 1}, "method": "shutdown"}', -32600, "id must be"),
        (b'{"jsonrpc": "2.0", "id": [1], "method": "shutdown"}', -32600, "id must be"),
        (b'{"jsonrpc": "2.0", "id": true, "method": "shutdown"}', -32600, "id must be"),
        (b'{"jsonrpc": "2.0", "id": 1.5, "method": "shutdown"}', -32600, "id must be"),
        (b'{"jsonrpc": "2.0", "params": {}}', -32600, "needs a method"),
    ],
    ids=[
        "invalid-json",
        "not-utf8",
        "deeply-nested",
        "empty-batch",
        "batch",
        "number",
        "jsonrpc-1.0",
        "no-jsonrpc",
        "object-id",
        "array-id",
        "bool-id",
        "float-id",
        "no-method",
    ],
)
async def test_bad_json_rpc_gets_an_error_with_a_null_id(
    wire: WireClient, message: bytes, code: int, says: str
) -> None:
    await wire.send_raw(b"Content-Length: %d\r\n\r\n%s" % (len(message), message))
    error = (await wire.errors_without_id(1))[0]
    assert error["code"] == code and says in error["message"], error
    assert "data" not in error
    await wire.probe()


async def test_params_that_do_not_fit_an_lsp_method_name_the_field(wire: WireClient) -> None:
    bad = {"textDocument": 5, "range": {}, "context": {"diagnostics": []}}
    answer = await wire.call("textDocument/codeAction", bad)
    error = answer["error"]
    assert error["code"] == -32602 and "data" not in error
    assert "textDocument.uri" in error["message"] and "range.start" in error["message"]
    answer = await wire.call("textDocument/codeAction", "just a string")
    assert answer["error"]["code"] == -32602
    await wire.probe()


async def test_a_malformed_response_to_a_server_request_is_not_fatal(wire: WireClient) -> None:
    await wire.send_raw(frame({"jsonrpc": "2.0", "id": "nobody-asked", "result": {"x": 1}}))
    await wire.send_raw(frame({"jsonrpc": "2.0", "id": "nobody-asked", "error": "not an object"}))
    await wire.probe()


async def test_input_ending_inside_a_message_shuts_down_cleanly(wire: WireClient) -> None:
    await wire.send_raw(b'Content-Length: 100\r\n\r\n{"jsonrpc"')
    await wire.close_stdin()
    assert await wire.wait_exit(5) == 0
    assert "the input ended in the middle of a message" in wire.stderr_text
