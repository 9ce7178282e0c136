"""One LSP connection: every frame is checked against JSON-RPC 2.0 and the LSP lifecycle before
pygls sees it, and whatever is wrong gets an answer that says so.

- A body that is not JSON: -32700 with ``id: null``; a batch, a non-object, a wrong ``jsonrpc``,
  an ``id`` that is neither an integer nor a string: -32600 with ``id: null``.
- A request before ``initialize``: -32002; a second ``initialize``: -32600; any request after
  ``shutdown``: -32600 (LSP's InvalidRequest). Notifications in those states are dropped.
- Params that do not fit the method: -32602 naming each field.
- ``exit`` ends the connection (exit code 0 after ``shutdown``, else 1, as LSP says).
"""

from __future__ import annotations

import enum
import json
import logging
from collections.abc import Callable
from typing import Any, TypeGuard

from lsprotocol import types

from codex_lsp.lifecycle import report
from codex_lsp.lsp.framing import Frame, FrameError, FrameReader
from codex_lsp.lsp.wire import INTERNAL_ERROR, CodexProtocol, InvalidMessage, MsgId, bug_message

log = logging.getLogger(__name__)

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
INVALID_PARAMS = -32602
SERVER_NOT_INITIALIZED = -32002
_DECODER = json.JSONDecoder()


class State(enum.Enum):
    """Where the connection is in the LSP lifecycle."""

    NEW = "new"
    INITIALIZED = "initialized"
    SHUTTING_DOWN = "shutting down"


def _valid_id(value: Any) -> TypeGuard[MsgId]:
    return (isinstance(value, int) and not isinstance(value, bool)) or isinstance(value, str)


def _json_problem(exc: Exception) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg}, character {exc.pos}"
    if isinstance(exc, RecursionError):
        return "it is nested too deeply"
    if isinstance(exc, UnicodeDecodeError):
        return f"it is not UTF-8 (byte {exc.start})"
    return str(exc)


class Connection:
    """Feeds pygls the well-formed messages of one client, answers the rest."""

    def __init__(self, protocol: CodexProtocol, warn: Callable[[str], None] = report) -> None:
        self._protocol = protocol
        self._warn = warn
        self.state = State.NEW
        self.exit_code: int | None = None

    @property
    def shutdown_requested(self) -> bool:
        """True once ``shutdown`` was received."""
        return self.state is State.SHUTTING_DOWN

    async def run(self, frames: FrameReader) -> int:
        """Serve until ``exit`` or the end of input; returns the process exit code."""
        while self.exit_code is None:
            frame = await frames.next()
            if frame is None:
                return 0
            if isinstance(frame, FrameError):
                self._reject(None, PARSE_ERROR, frame.message)
                continue
            data = self._decode(frame, frames)
            if data is not None:
                self.receive(data)
        return self.exit_code

    def _decode(self, frame: Frame, frames: FrameReader) -> Any:
        """The JSON of the frame's body; None (after answering) when it is not JSON. A body
        that swallowed the start of the next frame (a Content-Length too long) is split after
        its JSON value, and the rest is read again."""
        body = frame.body
        try:
            data = json.loads(body)
        except (ValueError, RecursionError) as exc:
            problem = _json_problem(exc)
        else:
            if frame.missing:
                self._warn(f"a Content-Length was {frame.missing} bytes too long; recovered")
            return data
        text = body.decode("utf-8", "surrogateescape")
        try:
            data, end = _DECODER.raw_decode(text)
        except (ValueError, RecursionError):
            pass
        else:
            if isinstance(data, dict) and end < len(text):
                extra = text[end:].encode("utf-8", "surrogateescape")
                frames.unread(extra)
                self._warn(f"a Content-Length was {len(extra)} bytes too long; recovered")
                return data
        self._reject(
            None,
            PARSE_ERROR,
            f"a message is not valid JSON ({problem}); each message must be one JSON-RPC "
            "object of exactly Content-Length bytes",
        )
        return None

    def receive(self, data: Any) -> None:
        """Check one decoded message and hand it on (or answer why not)."""
        msg_id = data.get("id") if isinstance(data, dict) else None
        answerable = isinstance(data, dict) and "method" in data and _valid_id(msg_id)
        try:
            self._receive(data)
        except Exception as exc:  # a bug must cost one message, never the connection
            log.error("handling a message failed", exc_info=exc)
            if answerable:
                self._reject(msg_id, INTERNAL_ERROR, bug_message(str(data["method"]), exc))

    def _receive(self, data: Any) -> None:
        if isinstance(data, list):
            problem = "an empty batch" if not data else "a batch of messages"
            self._reject(
                None,
                INVALID_REQUEST,
                f"{problem} is not supported by LSP; send each message in its own frame",
            )
            return
        if not isinstance(data, dict):
            self._reject(
                None, INVALID_REQUEST, f"a message must be a JSON object, not {type(data).__name__}"
            )
            return
        if data.get("jsonrpc") != "2.0":
            self._reject(None, INVALID_REQUEST, 'a message must have "jsonrpc": "2.0"')
            return
        has_id = "id" in data
        msg_id = data.get("id")
        if has_id and not _valid_id(msg_id):
            self._reject(None, INVALID_REQUEST, "id must be an integer or a string")
            return
        if "method" not in data:
            if has_id and ("result" in data or "error" in data):
                self._response(data)
            else:
                self._reject(
                    None,
                    INVALID_REQUEST,
                    "a message needs a method (a request or a notification), or an id and a "
                    "result or error (a response)",
                )
            return
        method = data["method"]
        if not isinstance(method, str):
            self._reject(msg_id if has_id else None, INVALID_REQUEST, "method must be a string")
            return
        if _valid_id(msg_id):
            self._request(msg_id, method, data)
        else:
            self._notification(method, data)

    def _request(self, msg_id: MsgId, method: str, data: dict[str, Any]) -> None:
        if self.state is State.NEW and method != types.INITIALIZE:
            self._reject(
                msg_id,
                SERVER_NOT_INITIALIZED,
                f"the server is not initialized yet: send initialize before {method}",
            )
            return
        if self.state is State.SHUTTING_DOWN:
            self._reject(
                msg_id,
                INVALID_REQUEST,
                f"{method} was refused: the server is shutting down (shutdown was received); "
                "send exit, then start a new server",
            )
            return
        if self.state is State.INITIALIZED and method == types.INITIALIZE:
            self._reject(
                msg_id,
                INVALID_REQUEST,
                "initialize was already received: it is sent once per connection",
            )
            return
        if method == types.SHUTDOWN:  # it takes no params: whatever came is ignored
            data = {k: v for k, v in data.items() if k != "params"}
        params = data.get("params")
        if params is not None and not isinstance(params, dict | list):
            self._reject(msg_id, INVALID_PARAMS, f"params of {method} must be an object")
            return
        try:
            message = self._protocol.structure_message(data)
        except InvalidMessage as exc:
            self._reject(msg_id, INVALID_PARAMS, f"invalid params for {method}: {exc}")
            return
        if method == types.INITIALIZE:
            self.state = State.INITIALIZED
        elif method == types.SHUTDOWN:
            self.state = State.SHUTTING_DOWN
        self._protocol.dispatch_request(msg_id, method, message)

    def _notification(self, method: str, data: dict[str, Any]) -> None:
        if method == types.EXIT:
            self.exit_code = 0 if self.shutdown_requested else 1
            return
        if self.state is not State.INITIALIZED:
            log.info("%s ignored: the connection is %s", method, self.state.value)
            return
        params = data.get("params")
        if params is not None and not isinstance(params, dict | list):
            self._warn(f"{method} ignored: its params must be an object")
            return
        try:
            message = self._protocol.structure_message(data)
        except InvalidMessage as exc:
            self._warn(f"{method} ignored: invalid params: {exc}")
            return
        self._protocol.handle_message(message)

    def _response(self, data: dict[str, Any]) -> None:
        """An answer to one of our requests; a malformed one fails that request."""
        msg_id = data["id"]
        try:
            message = self._protocol.structure_message(data)
        except InvalidMessage as exc:
            self._warn(f"the answer to request {msg_id!r} is malformed: {exc}")
            self._protocol.fail_request(msg_id, f"the client's answer was malformed: {exc}")
            return
        self._protocol.handle_message(message)

    def _reject(self, msg_id: MsgId | None, code: int, message: str) -> None:
        """Answer with an error (and note it on stderr when no request can be named)."""
        if msg_id is None:
            self._warn(message)
        self._protocol.send_error(msg_id, code, message)
