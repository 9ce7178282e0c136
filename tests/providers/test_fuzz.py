"""Random bytes and mutated real streams against the SSE decoder and the three translators: each
either yields events or raises a :class:`ProviderError`; nothing else escapes. Seeded (a failure
prints its seed) and bounded in time."""

from __future__ import annotations

import json
import random
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from codex_lsp.config.model import ModelProviderInfo, WireApi
from codex_lsp.errors import ProviderError
from codex_lsp.protocol.history import InputText, UserMessage
from codex_lsp.protocol.tool_specs import FreeformToolSpec
from codex_lsp.providers.anthropic import AnthropicClient
from codex_lsp.providers.base import Prompt, ResponseEvent
from codex_lsp.providers.chat import ChatClient
from codex_lsp.providers.responses import ResponsesClient
from codex_lsp.providers.sse import SSEDecoder, SSEFrame, iter_sse
from codex_lsp.testing import Reasoning, Reply, Text, ToolCall
from codex_lsp.testing.wire import anthropic_frames, chat_frames, responses_frames

BUDGET_S = 1.0
SEED = 151
Client = ResponsesClient | ChatClient | AnthropicClient
PROMPT = Prompt(
    model="m",
    instructions="",
    input=[UserMessage(content=[InputText(text="hi")])],
    tools=[FreeformToolSpec("apply_patch", "patch", grammar="start: /.+/")],
)
REPLY = Reply(
    (
        Reasoning(summary=("thinking",), raw="raw thoughts"),
        Text("hello there"),
        ToolCall("shell", {"command": ["ls"]}),
        ToolCall("apply_patch", freeform_input="*** Begin Patch\n*** End Patch"),
    )
)
RENDERERS = {"responses": responses_frames, "chat": chat_frames, "anthropic": anthropic_frames}
ODD_VALUES: list[Any] = [None, 0, -1, 1.5, True, "", "x", [], [None], {}, {"type": 3}, 2**70]


def _client(wire: str) -> Client:
    info = ModelProviderInfo(base_url="http://127.0.0.1:9/v1", wire_api=WireApi(wire))
    if wire == "responses":
        return ResponsesClient("fuzz", info)
    if wire == "chat":
        return ChatClient("fuzz", info)
    return AnthropicClient("fuzz", info)


def _frames(raw: bytes) -> list[SSEFrame]:
    decoder = SSEDecoder("fuzz")
    return decoder.feed(raw.decode()) + decoder.close()


def _real_frames(wire: str) -> list[SSEFrame]:
    return _frames(b"".join(f for f in RENDERERS[wire](REPLY, "m") if isinstance(f, bytes)))


async def _aiter(items: list[Any]) -> AsyncIterator[Any]:
    for item in items:
        yield item


async def _run(client: Client, frames: AsyncIterator[SSEFrame]) -> list[ResponseEvent] | None:
    """The events, or None when the stream was refused with a ProviderError."""
    try:
        return [e async for e in client.translate(frames, PROMPT)]
    except ProviderError as exc:
        assert exc.message.startswith("fuzz"), exc.message
        return None


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _paths(child, (*prefix, index))


def _mutate(data: Any, rng: random.Random) -> Any:
    """``data`` with one value replaced by an odd one, or one key removed."""
    path = rng.choice(list(_paths(data)))
    if not path:
        return rng.choice(ODD_VALUES)
    parent = data
    for step in path[:-1]:
        parent = parent[step]
    if isinstance(parent, dict) and rng.random() < 0.3:
        del parent[path[-1]]
    else:
        parent[path[-1]] = rng.choice(ODD_VALUES)
    return data


def _deadline() -> Iterator[int]:
    started, n = time.monotonic(), 0
    while time.monotonic() - started < BUDGET_S:
        yield n
        n += 1


def test_the_decoder_gives_the_same_events_however_the_bytes_are_cut() -> None:
    rng = random.Random(SEED)
    pieces = ["data:", "data: ", "event: x", ":c", "id: 1", "\n", "\r", "\r\n", "{", "é", "\ufeff"]
    for n in _deadline():
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 40)))
        whole = _frames(text.encode())
        decoder = SSEDecoder("fuzz")
        cut: list[SSEFrame] = []
        start = 0
        while start < len(text):
            end = start + rng.randint(1, 6)
            cut += decoder.feed(text[start:end])
            start = end
        cut += decoder.close()
        assert cut == whole, (n, text)


@pytest.mark.parametrize("wire", list(RENDERERS))
async def test_random_bytes_are_refused_with_a_provider_error(wire: str) -> None:
    rng = random.Random(SEED)
    client = _client(wire)
    prefixes = [b"", b"data: ", b'data: {"type": ', b"event: message_start\ndata: {"]
    try:
        for _ in _deadline():
            raw = rng.choice(prefixes) + rng.randbytes(rng.randint(0, 300))
            chunks = [raw[i : i + 7].decode("utf-8", "replace") for i in range(0, len(raw), 7)]
            await _run(client, iter_sse("fuzz", _aiter(chunks)))
    finally:
        await client.aclose()


@pytest.mark.parametrize("wire", list(RENDERERS))
async def test_mutated_real_streams_are_translated_or_refused(wire: str) -> None:
    rng = random.Random(SEED)
    client = _client(wire)
    real = _real_frames(wire)
    assert await _run(client, _aiter(real)), "the unmutated stream must translate"
    try:
        for n in _deadline():
            frames = list(real)
            for _ in range(rng.randint(1, 3)):
                index = rng.randrange(len(frames))
                frame = real[index]
                if frame.data.strip() == "[DONE]":
                    continue
                if rng.random() < 0.1:
                    data = frame.data[: rng.randrange(len(frame.data))]  # cut mid-event
                else:
                    data = json.dumps(_mutate(json.loads(frame.data), rng))
                frames[index] = SSEFrame(frame.event, data)
            events = await _run(client, _aiter(frames))
            assert events is None or all(type(e).__module__.endswith("base") for e in events), n
    finally:
        await client.aclose()
