"""A scriptable model server: real HTTP/1.1 on 127.0.0.1 (random port), chunked SSE in the three
providers' wire formats, chosen by path (``/v1/responses``, ``/v1/chat/completions``,
``/v1/messages``). It runs its own event loop on a thread, so sync and async tests and benchmarks
can all use it. Scripted replies are consumed in order (or by ``match``); every request is
recorded for assertions."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from codex_lsp.testing.script import (
    Answer,
    Drop,
    EchoReply,
    ErrorReply,
    Raw,
    RawReply,
    Reasoning,
    Reply,
    Scripted,
    Stall,
    Text,
    ToolCall,
    as_wire_steps,
)
from codex_lsp.testing.wire import (
    TIMESTAMP,
    Frame,
    anthropic_frames,
    chat_frames,
    error_body,
    responses_frames,
)

__all__ = [
    "Answer",
    "Drop",
    "EchoReply",
    "ErrorReply",
    "FakeModelServer",
    "Raw",
    "RawReply",
    "Reasoning",
    "RecordedRequest",
    "Reply",
    "Stall",
    "Text",
    "ToolCall",
]

_STAMP = TIMESTAMP.encode()
_RENDERERS = {
    "/responses": responses_frames,
    "/chat/completions": chat_frames,
    "/messages": anthropic_frames,
}
_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


@dataclass(frozen=True)
class RecordedRequest:
    """A request the server received."""

    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def text(self) -> str:
        """The body as JSON text (to look for what a prompt contained)."""
        return json.dumps(self.body, ensure_ascii=False)

    @property
    def output_schema(self) -> dict[str, Any] | None:
        """The structured output the request asked for, in whichever wire's shape: Responses
        ``text.format``, Chat ``response_format``, or the input schema of the tool Anthropic's
        ``tool_choice`` forces."""
        text_format = (self.body.get("text") or {}).get("format") or {}
        if text_format.get("type") == "json_schema":
            schema: dict[str, Any] = text_format["schema"]
            return schema
        response_format = self.body.get("response_format") or {}
        if response_format.get("type") == "json_schema":
            return dict(response_format["json_schema"]["schema"])
        choice = self.body.get("tool_choice")
        if isinstance(choice, dict) and choice.get("type") == "tool":
            for tool in self.body.get("tools", []):
                if tool.get("name") == choice.get("name"):
                    return dict(tool["input_schema"])
        return None


class FakeModelServer:
    """Start with ``with FakeModelServer() as server:``; ``server.base_url`` ends in ``/v1``."""

    def __init__(self) -> None:
        self._script: list[Scripted] = []
        self._lock = threading.Lock()
        self.requests: list[RecordedRequest] = []
        self.default_reply: Scripted | None = None
        self.models: list[str] = ["fake-model"]
        """What ``GET /v1/models`` (and Ollama's ``GET /api/tags``) list."""
        self.models_status = 200
        """Another status makes the model list answer that error."""
        self.models_delay_s = 0.0
        """The model list answers after this long (a slow endpoint)."""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self.port = 0

    # ---------------------------------------------------------------- control
    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT/v1``."""
        return f"http://127.0.0.1:{self.port}/v1"

    def enqueue(self, *replies: Scripted) -> None:
        """Add replies to the script."""
        with self._lock:
            self._script.extend(replies)

    def pending(self) -> int:
        """Replies not yet consumed."""
        with self._lock:
            return len(self._script)

    def _next(self, body_text: str) -> Scripted | None:
        with self._lock:
            for index, reply in enumerate(self._script):
                if reply.match is None or reply.match in body_text:
                    return self._script.pop(index)
            return self.default_reply

    def start(self) -> FakeModelServer:
        """Start serving on a thread; returns once the port is bound."""
        self._thread = threading.Thread(target=self._run, name="fake-model-server", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("fake model server did not start")
        return self

    def stop(self) -> None:
        """Stop serving and join the thread."""
        loop = self._loop
        if loop is not None and loop.is_running():
            loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(10)

    def __enter__(self) -> FakeModelServer:
        """Start serving (``with FakeModelServer() as server:``)."""
        return self.start()

    def __exit__(self, *exc: object) -> None:
        """Stop serving."""
        self.stop()

    # ---------------------------------------------------------------- serving
    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        server = loop.run_until_complete(asyncio.start_server(self._serve, "127.0.0.1", 0))
        self._server = server
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            server.close()
            for task in asyncio.all_tasks(loop):
                task.cancel()
            with contextlib.suppress(Exception):
                loop.run_until_complete(asyncio.sleep(0))
            loop.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                request = await _read_request(reader)
                if request is None:
                    return
                self.requests.append(request)
                keep_open = await self._answer(request, writer)
                if not keep_open:
                    return
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            return  # the client went away, or the server is stopping
        finally:
            with contextlib.suppress(Exception):
                writer.close()

    async def _answer(self, request: RecordedRequest, writer: asyncio.StreamWriter) -> bool:
        route = next((r for r in _RENDERERS if request.path.split("?")[0].endswith(r)), None)
        path = request.path.split("?")[0]
        if request.method == "GET" and path.endswith(("/models", "/api/tags")):
            await self._list_models(writer, ollama=path.endswith("/api/tags"))
            return True
        if route is None:
            await _write_json(
                writer, 404, error_body(request.path, 404, f"no route {request.path}", None)
            )
            return True
        reply = self._next(json.dumps(request.body))
        if reply is None:
            await _write_json(
                writer,
                500,
                error_body(
                    request.path, 500, "fake model server: no scripted reply left", "server_error"
                ),
            )
            return True
        if isinstance(reply, ErrorReply):
            headers = dict(reply.headers)
            if reply.retry_after is not None:
                headers["retry-after"] = f"{reply.retry_after:g}"
            await _write_json(
                writer,
                reply.status,
                error_body(request.path, reply.status, reply.message, reply.code),
                headers,
            )
            return True
        if isinstance(reply, EchoReply) and reply.as_status_line:
            writer.write(f"{request.method} {request.path} HTTP/1.1\r\n\r\n".encode())
            await writer.drain()
            return False
        if isinstance(reply, EchoReply):
            echoed = "\n".join(
                [f"{request.method} {request.path}"]
                + [f"{k}: {v}" for k, v in request.headers.items()]
            )
            await _write_json(
                writer, reply.status, error_body(request.path, reply.status, echoed, None)
            )
            return True
        if isinstance(reply, RawReply):
            await _write_raw(writer, reply)
            return True
        model = str(request.body.get("model", "fake-model"))
        reply = as_wire_steps(reply, request.body, route)
        return await _stream(writer, _RENDERERS[route](reply, model), reply.frame_delay_s)

    async def _list_models(self, writer: asyncio.StreamWriter, *, ollama: bool) -> None:
        """The model list in OpenAI's and Anthropic's shape, or Ollama's."""
        await asyncio.sleep(self.models_delay_s)
        if self.models_status != 200:
            body = error_body("/models", self.models_status, "model list refused", None)
            await _write_json(writer, self.models_status, body)
        elif ollama:
            rows = [{"name": m, "model": m, "details": {"family": "test"}} for m in self.models]
            await _write_json(writer, 200, {"models": rows})
        else:
            rows = [{"id": m, "object": "model", "display_name": m.upper()} for m in self.models]
            await _write_json(writer, 200, {"object": "list", "data": rows})


async def _read_request(reader: asyncio.StreamReader) -> RecordedRequest | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    raw = await reader.readexactly(length) if length else b""
    body = json.loads(raw) if raw else {}
    return RecordedRequest(method, path, headers, body)


async def _write_json(
    writer: asyncio.StreamWriter,
    status: int,
    body: dict[str, Any],
    extra: dict[str, str] | None = None,
) -> None:
    data = json.dumps(body).encode()
    head = [
        f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}",
        "content-type: application/json",
        f"content-length: {len(data)}",
    ]
    head += [f"{k}: {v}" for k, v in (extra or {}).items()]
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + data)
    await writer.drain()


async def _write_raw(writer: asyncio.StreamWriter, reply: RawReply) -> None:
    head = [f"HTTP/1.1 {reply.status} {_REASONS.get(reply.status, 'Whatever')}"]
    head += [f"{k}: {v}" for k, v in reply.headers]
    if reply.chunks:
        head.append("transfer-encoding: chunked")
        size = max(1, -(-len(reply.body) // reply.chunks))
        pieces = [reply.body[i : i + size] for i in range(0, len(reply.body), size)]
        body = b"".join(f"{len(p):x}\r\n".encode() + p + b"\r\n" for p in pieces) + b"0\r\n\r\n"
    else:
        head.append(f"content-length: {len(reply.body)}")
        body = reply.body
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
    await writer.drain()


async def _stream(writer: asyncio.StreamWriter, frames: Iterator[Frame], delay: float) -> bool:
    head = (
        "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream; charset=utf-8\r\n"
        "cache-control: no-cache\r\ntransfer-encoding: chunked\r\n\r\n"
    )
    writer.write(head.encode())
    await writer.drain()
    loop = asyncio.get_running_loop()
    # Frames keep to the stream's own clock, so concurrent streams keep their phases (sleeping
    # ``delay`` after each write would let one late wake-up align them all); a stream that fell
    # behind skips ahead instead of sending its backlog at once.
    due = loop.time()
    first = True
    for frame in frames:
        if delay and not first:
            due = max(due + delay, loop.time() - delay)
            await asyncio.sleep(max(0.0, due - loop.time()))
        first = False
        if isinstance(frame, Drop):
            writer.transport.abort()
            return False
        if isinstance(frame, Stall):
            await asyncio.sleep(frame.seconds)
            due = loop.time()
            continue
        data = (
            frame.replace(_STAMP, str(time.perf_counter_ns()).encode())
            if _STAMP in frame
            else frame
        )
        writer.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        await writer.drain()
    writer.write(b"0\r\n\r\n")
    await writer.drain()
    return True
