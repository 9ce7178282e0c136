"""Each provider client against the fake server speaking its real wire format."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from codex_lsp.config.loader import load_config
from codex_lsp.errors import ProviderHTTPError, StreamDroppedError
from codex_lsp.protocol.history import (
    AssistantMessage,
    CustomToolCall,
    FunctionCall,
    FunctionCallOutput,
    InputText,
    Reasoning,
    UserMessage,
)
from codex_lsp.protocol.tool_specs import FreeformToolSpec, FunctionToolSpec
from codex_lsp.providers import create_client, resolve_provider, stream_with_retries
from codex_lsp.providers.base import (
    Completed,
    OutputItemDone,
    OutputTextDelta,
    Prompt,
    ReasoningContentDelta,
    ReasoningSummaryDelta,
    ResponseEvent,
    Retrying,
)
from codex_lsp.testing import Drop, ErrorReply, FakeModelServer, Reply, Stall, Text, ToolCall
from codex_lsp.testing import Reasoning as ScriptReasoning
from tests.helpers import SECRET_KEY, write_config

WIRES = ["responses", "chat", "anthropic"]
TOOLS = [
    FunctionToolSpec(
        "shell", "run", {"type": "object", "properties": {"command": {"type": "array"}}}
    ),
    FreeformToolSpec("apply_patch", "patch", grammar="start: /.+/"),
]


async def _collect(home: Path, prompt: Prompt | None = None) -> list[ResponseEvent]:
    config = load_config(home=home)
    resolved = await resolve_provider(config)
    client = create_client(resolved, config)
    prompt = prompt or Prompt(
        model=resolved.model,
        instructions="be brief",
        input=[UserMessage(content=[InputText(text="hello")])],
        tools=TOOLS,
    )
    try:
        return [e async for e in stream_with_retries(client, prompt, resolved.info)]
    finally:
        await client.aclose()


def _done_items(events: list[ResponseEvent]) -> list[object]:
    return [e.item for e in events if isinstance(e, OutputItemDone)]


@pytest.mark.parametrize("wire", WIRES)
async def test_text_streams_in_order_with_usage(
    wire: str, clean_env: Path, model_server: FakeModelServer
) -> None:
    write_config(clean_env, model_server.base_url, wire)
    model_server.enqueue(
        Reply((Text(pieces=("Hel", "lo ", "world")),), input_tokens=42, output_tokens=7)
    )
    events = await _collect(clean_env)
    assert [e.delta for e in events if isinstance(e, OutputTextDelta)] == ["Hel", "lo ", "world"]
    assert _done_items(events) == [AssistantMessage(text="Hello world")]
    completed = events[-1]
    assert isinstance(completed, Completed) and completed.usage is not None
    assert completed.usage.output_tokens == 7
    assert completed.usage.total_tokens == 49


@pytest.mark.parametrize("wire", WIRES)
async def test_tool_calls_are_assembled_from_argument_deltas(
    wire: str, clean_env: Path, model_server: FakeModelServer
) -> None:
    write_config(clean_env, model_server.base_url, wire)
    model_server.enqueue(
        Reply(
            (
                ToolCall("shell", {"command": ["ls", "-la"]}, call_id="call_1"),
                ToolCall(
                    "apply_patch", freeform_input="*** Begin Patch\n*** End Patch", call_id="call_2"
                ),
            )
        )
    )
    items = _done_items(await _collect(clean_env))
    shell = next(i for i in items if isinstance(i, FunctionCall))
    assert shell.call_id == "call_1" and json.loads(shell.arguments) == {"command": ["ls", "-la"]}
    patch = next(i for i in items if isinstance(i, CustomToolCall))
    assert patch.name == "apply_patch" and patch.input == "*** Begin Patch\n*** End Patch"


@pytest.mark.parametrize("wire", WIRES)
async def test_reasoning_becomes_reasoning_events(
    wire: str, clean_env: Path, model_server: FakeModelServer
) -> None:
    write_config(clean_env, model_server.base_url, wire)
    model_server.enqueue(
        Reply((ScriptReasoning(summary=("Plan the work",), raw="raw thoughts"), Text("ok")))
    )
    events = await _collect(clean_env)
    texts = [
        e.delta for e in events if isinstance(e, ReasoningSummaryDelta | ReasoningContentDelta)
    ]
    assert texts and any("Plan the work" in t or "raw thoughts" in t for t in texts)
    reasoning = next(i for i in _done_items(events) if isinstance(i, Reasoning))
    assert reasoning.summary or reasoning.content


@pytest.mark.parametrize("wire", WIRES)
async def test_history_with_tool_round_trip_is_sent_in_wire_format(
    wire: str, clean_env: Path, model_server: FakeModelServer
) -> None:
    write_config(clean_env, model_server.base_url, wire)
    model_server.enqueue(Reply((Text("done"),)))
    history = [
        UserMessage(content=[InputText(text="list files")]),
        FunctionCall(call_id="c1", name="shell", arguments='{"command":["ls"]}'),
        FunctionCallOutput(call_id="c1", output="a.py\n"),
    ]
    await _collect(
        clean_env, Prompt(model="fake-model", instructions="sys", input=history, tools=TOOLS)
    )
    body = json.dumps(model_server.requests[-1].body)
    assert "c1" in body and "a.py" in body and "list files" in body
    headers = model_server.requests[-1].headers
    if wire == "anthropic":
        assert headers["x-api-key"] == SECRET_KEY and headers["anthropic-version"] == "2023-06-01"
    else:
        assert headers["authorization"] == f"Bearer {SECRET_KEY}"


@pytest.mark.parametrize("wire", WIRES)
async def test_429_is_retried_after_retry_after(
    wire: str, clean_env: Path, model_server: FakeModelServer
) -> None:
    write_config(clean_env, model_server.base_url, wire)
    model_server.enqueue(ErrorReply(429, "slow down", retry_after=0.3), Reply((Text("fine"),)))
    started = time.monotonic()
    events = await _collect(clean_env)
    retry = next(e for e in events if isinstance(e, Retrying))
    assert retry.attempt == 1 and retry.max_attempts == 3 and retry.delay_s == pytest.approx(0.3)
    assert "reconnecting 1/3" in retry.message
    assert time.monotonic() - started >= 0.3
    assert _done_items(events) == [AssistantMessage(text="fine")]


async def test_5xx_and_dropped_streams_are_retried_then_give_up(
    clean_env: Path, model_server: FakeModelServer
) -> None:
    write_config(clean_env, model_server.base_url)
    model_server.enqueue(
        ErrorReply(500, "boom"), Reply((Text("partial"), Drop())), Reply((Text("whole"),))
    )
    events = await _collect(clean_env)
    assert [e.attempt for e in events if isinstance(e, Retrying)] == [1, 1]
    assert _done_items(events)[-1] == AssistantMessage(text="whole")

    model_server.enqueue(*[Reply((Text("x"), Drop())) for _ in range(4)])
    with pytest.raises(StreamDroppedError):
        await _collect(clean_env)


@pytest.mark.parametrize("status", [400, 401, 403, 404])
async def test_permanent_errors_are_not_retried_and_never_leak_the_key(
    status: int, clean_env: Path, model_server: FakeModelServer
) -> None:
    write_config(clean_env, model_server.base_url)
    model_server.enqueue(ErrorReply(status, f"bad key {SECRET_KEY}"))
    with pytest.raises(ProviderHTTPError) as info:
        await _collect(clean_env)
    assert info.value.status == status and not info.value.retryable
    assert SECRET_KEY not in str(info.value)
    assert len(model_server.requests) == 1
    if status == 401:
        assert "FAKE_MODEL_KEY" in info.value.message


async def test_stalled_stream_hits_the_idle_timeout(
    clean_env: Path, model_server: FakeModelServer
) -> None:
    write_config(clean_env, model_server.base_url)
    config = clean_env / "config.toml"
    config.write_text(
        config.read_text()
        .replace("stream_idle_timeout_ms = 5000", "stream_idle_timeout_ms = 300")
        .replace("stream_max_retries = 3", "stream_max_retries = 0")
    )
    model_server.enqueue(Reply((Text("a"), Stall(3.0), Text("b"))))
    started = time.monotonic()
    with pytest.raises(StreamDroppedError, match="stream_idle_timeout_ms"):
        await _collect(clean_env)
    assert time.monotonic() - started < 2.5
