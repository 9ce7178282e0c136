"""JSON-RPC plumbing for the ``codex/*`` methods on top of pygls.

pygls turns params of methods it does not know into namedtuples; codex methods instead arrive as
plain dicts (validated by the pydantic models of :mod:`codex_lsp.protocol`), client answers to
our server → client requests come back as dicts, and events are written pre-serialised, skipping
cattrs on the per-token hot path. Every error the server answers is built here without Python
internals: no traceback in ``data``, no exception class in the message.
"""

from __future__ import annotations

import json
import logging
import re
from concurrent.futures import Future
from typing import Any

import attrs
import cattrs
from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInternalError
from pygls.protocol import (
    JsonRPCNotification,
    JsonRPCRequestMessage,
    JsonRPCResponseMessage,
    LanguageServerProtocol,
)

log = logging.getLogger(__name__)

CODEX_PREFIX = "codex/"
INTERNAL_ERROR = -32603
REQUEST_CANCELLED = -32800

MsgId = int | str


@attrs.define
class RawRequest:
    """An incoming codex request whose params stay a dict."""

    id: int | str
    method: str
    jsonrpc: str
    params: Any = None


@attrs.define
class RawNotification:
    """A codex notification whose params stay a dict."""

    method: str
    jsonrpc: str
    params: Any = None


@attrs.define
class RawResponse:
    """A client's answer to a codex server → client request, result kept as a dict.

    ``jsonrpc`` has no default on purpose: lsprotocol's converter omits fields equal to their
    default, which would drop it from outgoing messages."""

    id: int | str
    jsonrpc: str
    result: Any = None


class InvalidMessage(Exception):
    """A message whose fields do not fit its method's types; the text names each bad field."""


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def describe_structure_error(exc: Exception) -> str:
    """What cattrs found wrong, as ``field: problem`` with wire (camelCase) field names."""
    if not isinstance(exc, cattrs.BaseValidationError):
        return str(exc) or "the message does not have the expected shape"
    problems = []
    for line in cattrs.transform_error(exc, path="$"):
        problem, _, path = line.rpartition(" @ ")
        field = ".".join(_camel(p) for p in re.split(r"\.", path.removeprefix("$").lstrip(".")))
        problems.append(f"{field or 'message'}: {problem}")
    return "; ".join(problems)


class CodexProtocol(LanguageServerProtocol):
    """LanguageServerProtocol plus raw-dict codex methods, a fast notification path and error
    answers without Python internals."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.request_methods: dict[MsgId, str] = {}

    def structure_message(self, data: dict[str, Any]) -> Any:
        """Keep codex params as dicts; type everything else with lsprotocol's converter.
        Raises :class:`InvalidMessage` naming the bad fields (pygls would log a traceback)."""
        method = data.get("method")
        if isinstance(method, str) and method.startswith(CODEX_PREFIX) and "jsonrpc" in data:
            if "id" in data:
                return RawRequest(
                    id=data["id"], method=method, jsonrpc=data["jsonrpc"], params=data.get("params")
                )
            return RawNotification(
                method=method, jsonrpc=data["jsonrpc"], params=data.get("params")
            )
        if "id" in data and "error" in data:
            target: Any = types.ResponseErrorMessage
        elif "id" in data and "method" in data:
            target = self.get_message_type(data["method"]) or JsonRPCRequestMessage
        elif "id" in data:
            target = self._result_types.pop(data["id"], None) or JsonRPCResponseMessage
        else:
            target = self.get_message_type(data.get("method", "")) or JsonRPCNotification
        try:
            return self._converter.structure(data, target)
        except Exception as exc:
            raise InvalidMessage(describe_structure_error(exc)) from exc

    def get_message_type(self, method: str) -> Any:  # type: ignore[override]
        """Outgoing codex requests and notifications use the raw types."""
        if method.startswith(CODEX_PREFIX):
            return RawNotification if method == "codex/event" else RawRequest
        return super().get_message_type(method)

    def get_result_type(self, method: str) -> Any:  # type: ignore[override]
        """Answers to codex server → client requests stay dicts."""
        if method.startswith(CODEX_PREFIX):
            return RawResponse
        return super().get_result_type(method)

    def dispatch_request(self, msg_id: MsgId, method: str, message: Any) -> None:
        """Hand a checked request to its handler, remembering its method for the answer."""
        self.request_methods[msg_id] = method
        self.handle_message(message)
        if msg_id not in self._request_futures:  # answered at once (or no such method)
            self.request_methods.pop(msg_id, None)

    def write_json(self, message: dict[str, Any]) -> None:
        """Frame and send one message built by hand."""
        self._write(json.dumps(message, separators=(",", ":")).encode())

    def _write(self, body: bytes) -> None:
        if self.writer is not None:
            self.writer.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))

    def notify_json(self, method: str, params_json: str) -> None:
        """Send a notification whose params are already JSON text."""
        self._write(f'{{"jsonrpc":"2.0","method":"{method}","params":{params_json}}}'.encode())

    def send_error(self, msg_id: MsgId | None, code: int, message: str) -> None:
        """Answer request ``msg_id`` (None: a message whose id could not be read) with an
        error."""
        error = {"code": code, "message": message}
        self.write_json({"jsonrpc": "2.0", "id": msg_id, "error": error})

    def fail_request(self, msg_id: MsgId, message: str) -> None:
        """Fail our pending request ``msg_id`` (its answer was malformed)."""
        self._result_types.pop(msg_id, None)
        future = self._request_futures.pop(msg_id, None)
        if future is not None and not future.done():
            future.set_exception(JsonRpcException(message))

    def cancel_request(self, msg_id: MsgId) -> None:
        """Withdraw our request ``msg_id``: tell the client (``$/cancelRequest``, so its dialog
        closes) and forget it (a late answer is ignored)."""
        self._result_types.pop(msg_id, None)
        future = self._request_futures.pop(msg_id, None)
        if future is not None:
            future.cancel()
        self.notify(types.CANCEL_REQUEST, types.CancelParams(id=msg_id))

    def _send_handler_result(self, future: Future[Any], *, msg_id: MsgId) -> None:
        """Answer a request once its handler is done; a failure becomes an error whose message
        says what failed, never a traceback."""
        self._request_futures.pop(msg_id, None)
        method = self.request_methods.pop(msg_id, "the request")
        if future.cancelled():
            self.send_error(msg_id, REQUEST_CANCELLED, f"{method} was cancelled")
            return
        exc = future.exception()
        if exc is None:
            self._send_response(msg_id, result=future.result())
        elif isinstance(exc, JsonRpcException) and not isinstance(exc, JsonRpcInternalError):
            self.send_error(msg_id, exc.code, exc.message)
        else:
            log.error("%s failed", method, exc_info=exc)
            self.send_error(msg_id, INTERNAL_ERROR, bug_message(method, exc))

    def _check_handler_result(self, future: Future[Any]) -> None:
        """A notification handler failed: log it, and show a message without internals."""
        if future.cancelled() or (exc := future.exception()) is None:
            return
        if isinstance(exc, JsonRpcException) and not isinstance(exc, JsonRpcInternalError):
            log.warning("a notification was not handled: %s", exc.message)
            return
        log.error("a notification handler failed", exc_info=exc)
        self._server.window_show_message(
            types.ShowMessageParams(
                type=types.MessageType.Error, message=bug_message("a notification", exc)
            )
        )


def bug_message(what: str, exc: BaseException) -> str:
    """The message for an unexpected failure (a codex-lsp bug)."""
    detail = f": {exc}" if str(exc) else ""
    return (
        f"codex-lsp could not complete {what}{detail}. This is a bug in codex-lsp; "
        "the server log (stderr, or the editor's LSP log) has the details"
    )
