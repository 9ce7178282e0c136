"""JSON-RPC plumbing for the ``codex/*`` methods on top of pygls.

pygls turns params of methods it does not know into namedtuples; codex methods instead arrive as
plain dicts (validated by the pydantic models of :mod:`codex_lsp.protocol`), client answers to
our server → client requests come back as dicts, and events are written pre-serialised, skipping
cattrs on the per-token hot path.
"""

from __future__ import annotations

from typing import Any

import attrs
from pygls.protocol import LanguageServerProtocol

CODEX_PREFIX = "codex/"


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


class CodexProtocol(LanguageServerProtocol):
    """LanguageServerProtocol plus raw-dict codex methods and a fast notification path."""

    def structure_message(self, data: dict[str, Any]) -> Any:
        """Keep codex params as dicts; defer everything else to pygls."""
        method = data.get("method")
        if isinstance(method, str) and method.startswith(CODEX_PREFIX) and "jsonrpc" in data:
            if "id" in data:
                return RawRequest(
                    id=data["id"], method=method, jsonrpc=data["jsonrpc"], params=data.get("params")
                )
            return RawNotification(
                method=method, jsonrpc=data["jsonrpc"], params=data.get("params")
            )
        return super().structure_message(data)

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

    def notify_json(self, method: str, params_json: str) -> None:
        """Send a notification whose params are already JSON text."""
        if self.writer is None:
            return
        body = f'{{"jsonrpc":"2.0","method":"{method}","params":{params_json}}}'.encode()
        self.writer.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
