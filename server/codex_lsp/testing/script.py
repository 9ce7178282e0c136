"""The script a fake model follows: one :class:`Reply` (or :class:`ErrorReply`) per request."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any, Literal


@dataclass(frozen=True)
class Text:
    """An assistant message streamed in ``chunks`` pieces (or as the given list of pieces).
    ``timestamped`` makes each delta the server's ``perf_counter_ns`` at the moment it is
    written, followed by a space (for latency benchmarks)."""

    text: str = ""
    chunks: int = 4
    pieces: tuple[str, ...] | None = None
    timestamped: int = 0

    def deltas(self) -> list[str]:
        """The text split into its deltas."""
        if self.pieces is not None:
            return list(self.pieces)
        if not self.text:
            return []
        size = max(1, -(-len(self.text) // max(1, self.chunks)))
        return [self.text[i : i + size] for i in range(0, len(self.text), size)]


@dataclass(frozen=True)
class Reasoning:
    """A reasoning block: summary paragraphs and/or raw reasoning text."""

    summary: tuple[str, ...] = ()
    raw: str = ""


@dataclass(frozen=True)
class ToolCall:
    """A call of a JSON tool (``arguments``) or of a freeform tool (``freeform_input``)."""

    name: str
    arguments: dict[str, Any] | str = field(default_factory=dict)
    call_id: str | None = None
    freeform_input: str | None = None


@dataclass(frozen=True)
class Answer:
    """A structured answer (a JSON object), given the way each wire gives one: the assistant's
    text on Responses and Chat (their ``json_schema`` formats), the input of the tool the
    request's ``tool_choice`` forces on Anthropic (text when it forces none)."""

    data: dict[str, Any]
    chunks: int = 4


@dataclass(frozen=True)
class Drop:
    """Close the connection abruptly here (mid-stream)."""


@dataclass(frozen=True)
class Stall:
    """Send nothing for ``seconds`` here."""

    seconds: float


@dataclass(frozen=True)
class Raw:
    """These bytes, written into the stream as they are: a line that is not JSON, a bare
    ``[DONE]``, an event of the wrong shape, half an event."""

    data: bytes


Step = Text | Reasoning | ToolCall | Answer | Drop | Stall | Raw


StopKind = Literal["max_tokens", "refusal"]


@dataclass(frozen=True)
class Reply:
    """One streamed response. ``match``: only used for a request whose body contains it.
    ``stop``: the model stops early, at its output limit (``max_tokens``: the response ends
    incomplete) or refusing (``refusal``: its text is a refusal), in each API's own way."""

    steps: tuple[Step, ...]
    input_tokens: int = 100
    output_tokens: int = 20
    frame_delay_s: float = 0.0
    match: str | None = None
    stop: StopKind | None = None


@dataclass(frozen=True)
class ErrorReply:
    """An HTTP error answer in the provider's error format."""

    status: int
    message: str = "error"
    code: str | None = None
    retry_after: float | None = None
    match: str | None = None
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class RawReply:
    """Exactly this answer, for a provider (or a proxy, a captive portal, a wrong base_url) that
    does not speak the API: any status, any headers, any bytes. The body is sent with a
    ``content-length``, or chunked in ``chunks`` pieces when given."""

    status: int = 200
    headers: tuple[tuple[str, str], ...] = (("content-type", "text/event-stream"),)
    body: bytes = b""
    chunks: int = 0
    match: str | None = None


@dataclass(frozen=True)
class EchoReply:
    """An HTTP error whose body repeats the request line and headers, as some proxies and
    misconfigured servers do (tests that what the request carried never reaches the user).
    ``as_status_line``: send the request line back where the status line belongs instead, so
    the client's own protocol error quotes the URL."""

    status: int = 400
    as_status_line: bool = False
    match: str | None = None


Scripted = Reply | ErrorReply | RawReply | EchoReply


def as_wire_steps(reply: Reply, body: dict[str, Any], path: str) -> Reply:
    """``reply`` with each :class:`Answer` turned into what the wire of ``path`` sends for the
    request ``body``."""
    if not any(isinstance(step, Answer) for step in reply.steps):
        return reply
    choice = body.get("tool_choice")
    forced = choice.get("name") if isinstance(choice, dict) else None
    steps: list[Step] = []
    for step in reply.steps:
        if not isinstance(step, Answer):
            steps.append(step)
        elif path.endswith("/messages") and isinstance(forced, str):
            steps.append(ToolCall(forced, step.data))
        else:
            steps.append(Text(json.dumps(step.data), chunks=step.chunks))
    return replace(reply, steps=tuple(steps))
