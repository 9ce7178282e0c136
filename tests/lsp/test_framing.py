"""The frame reader and the connection's checks in-process (fast): what the base protocol allows
is read, a frame split into any chunks is the same frame, and after thousands of random broken
bursts the next well-formed frame is still read. ``test_wire_robustness.py`` checks the same
against a real server process."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path
from typing import Any

import pytest

from codex_lsp.lsp.connection import Connection, State
from codex_lsp.lsp.framing import Frame, FrameError, FrameReader
from tests.lsp.test_fuzz import FIXED_SEED, Fuzzer
from tests.lsp.wire_client import frame, probe_params, request


class RecordingProtocol:
    """Stands in for CodexProtocol: records what the connection hands on and answers."""

    def __init__(self) -> None:
        self.handled: list[dict[str, Any]] = []
        self.errors: list[tuple[Any, int, str]] = []

    def structure_message(self, data: dict[str, Any]) -> dict[str, Any]:
        return data

    def handle_message(self, message: dict[str, Any]) -> None:
        self.handled.append(message)

    def dispatch_request(self, msg_id: Any, method: str, message: dict[str, Any]) -> None:
        self.handle_message(message)

    def send_error(self, msg_id: Any, code: int, message: str) -> None:
        self.errors.append((msg_id, code, message))

    def fail_request(self, msg_id: Any, message: str) -> None:
        pass


def stream_of(*chunks: bytes) -> asyncio.StreamReader:
    stream = asyncio.StreamReader()
    for chunk in chunks:
        stream.feed_data(chunk)
    stream.feed_eof()
    return stream


async def frames(*chunks: bytes) -> list[Frame | FrameError]:
    reader = FrameReader(stream_of(*chunks))
    found: list[Frame | FrameError] = []
    while (item := await reader.next()) is not None:
        found.append(item)
    return found


async def serve(data: bytes) -> RecordingProtocol:
    protocol = RecordingProtocol()
    connection = Connection(protocol, warn=lambda _: None)  # type: ignore[arg-type]
    connection.state = State.INITIALIZED
    await connection.run(FrameReader(stream_of(data)))
    return protocol


async def test_a_frame_split_into_single_bytes_is_one_frame() -> None:
    data = frame(request(1, "shutdown")) * 2
    assert await frames(*(data[i : i + 1] for i in range(len(data)))) == await frames(data)
    assert [type(f) for f in await frames(data)] == [Frame, Frame]


@pytest.mark.parametrize(
    "header",
    [b"Content-Length: %d\r\n\r\n", b"content-length:%d\n\n", b"\n\nCONTENT-LENGTH: %d \r\n\r\n"],
)
async def test_allowed_headers(header: bytes) -> None:
    body = b'{"jsonrpc": "2.0", "method": "initialized"}'
    assert await frames(header % len(body) + body) == [Frame(body)]


async def test_a_body_over_the_limit_is_skipped_without_reading_it() -> None:
    reader = FrameReader(
        stream_of(b"Content-Length: 1000\r\n\r\n" + b"x" * 1000 + frame({"a": 1})), body_max=100
    )
    first = await reader.next()
    assert isinstance(first, FrameError) and "over the limit of 100 bytes" in first.message
    assert await reader.next() == Frame(b'{"a": 1}')


async def test_a_content_length_too_long_gives_the_next_frame_back() -> None:
    first = frame(request(1, "textDocument/codeAction", probe_params()))
    body = first.split(b"\r\n\r\n", 1)[1]
    data = b"Content-Length: %d\r\n\r\n%s" % (len(body) + 40, body) + frame(request(2, "shutdown"))
    protocol = await serve(data)
    assert [m["id"] for m in protocol.handled] == [1, 2] and protocol.errors == []


async def test_a_whole_object_short_of_its_length_is_taken_after_a_pause() -> None:
    body = b'{"jsonrpc": "2.0", "id": 1, "method": "shutdown"}'
    stream = asyncio.StreamReader()  # the client sent everything and waits for the answer
    stream.feed_data(b"Content-Length: %d\r\n\r\n%s" % (len(body) + 40, body))
    reader = FrameReader(stream, stall_s=0.05)
    assert await asyncio.wait_for(reader.next(), 5) == Frame(body, missing=40)


async def test_a_slow_writer_is_waited_for() -> None:
    body = b'{"jsonrpc": "2.0", "id": 1, "method": "shutdown"}'
    stream = asyncio.StreamReader()
    stream.feed_data(b"Content-Length: %d\r\n\r\n%s" % (len(body), body[:10]))
    reader = FrameReader(stream, stall_s=0.05)
    pending = asyncio.ensure_future(reader.next())
    await asyncio.sleep(0.3)  # several pauses: a prefix of an object is not taken
    assert not pending.done()
    stream.feed_data(body[10:])
    assert await asyncio.wait_for(pending, 5) == Frame(body)


async def test_random_broken_bursts_never_desynchronise_the_reader() -> None:
    rng = random.Random(FIXED_SEED)
    fuzzer = Fuzzer(rng, "0" * 32, Path("/tmp"))
    for burst in range(1500):
        dirty = [fuzzer.dirty_message() for _ in range(rng.randrange(1, 5))]
        owed = max(debt for _, debt in dirty)
        probe = frame(request("probe", "textDocument/codeAction", probe_params()))
        protocol = await serve(b"".join(data for data, _ in dirty) + b" " * owed + probe)
        handled = [m for m in protocol.handled if m.get("id") == "probe"]
        assert handled, f"burst {burst} lost the next frame: {[d for d, _ in dirty]}"
