"""The JSON-RPC side of the ACP agent: which core errors become which codes (``-32602`` bad
params, ``-32002`` unknown session, ``-32000`` no model provider set up, ``-32603`` with the
message a provider failure), the guard every method but ``initialize`` runs behind, and the
route ``session/delete`` lacks in the pinned SDK."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, Protocol, TypeVar, cast

from acp import RequestError
from acp.agent.connection import AgentSideConnection
from acp.router import MessageRouter, Route

from codex_lsp.acp.capabilities import ClientFeatures
from codex_lsp.acp.session import Outcome
from codex_lsp.errors import CodexError, NoProviderError, ProtocolError, UnknownConversationError

P = ParamSpec("P")
R = TypeVar("R")
_RETRYABLE = {"internalServerError", "serverOverloaded", "responseStreamDisconnected"}
_RETRYABLE |= {"httpConnectionFailed", "usageLimitExceeded"}


class _Served(Protocol):
    features: ClientFeatures | None
    """None until ``initialize``."""


def served(
    method: Callable[P, Awaitable[R]],
) -> Callable[P, Awaitable[R]]:
    """An ACP method: refused before ``initialize``; the core's errors become JSON-RPC errors
    with a code the client can act on and a message that says what to do."""

    @functools.wraps(method)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        agent = cast(_Served, args[0])
        if agent.features is None:
            raise RequestError(-32600, "initialize first: send initialize before other requests")
        try:
            return await method(*args, **kwargs)
        except CodexError as exc:
            raise rpc_error(exc) from exc

    return wrapper


def rpc_error(exc: CodexError) -> RequestError:
    """The JSON-RPC error of a core error."""
    if isinstance(exc, UnknownConversationError):
        return RequestError(
            -32002,
            f"unknown session {exc.conversation_id!r}: it is not stored here "
            "(session/list shows the stored ones)",
            {"uri": exc.conversation_id},
        )
    if isinstance(exc, ProtocolError):
        return RequestError(-32602, exc.message)
    if isinstance(exc, NoProviderError):
        return RequestError(-32000, exc.message)
    return RequestError(-32603, exc.message)


def turn_error(outcome: Outcome) -> RequestError:
    """The JSON-RPC error of a turn that failed: the provider's message, and whether sending the
    prompt again may work."""
    error = outcome.error
    assert error is not None
    message = error.message
    if error.codex_error_info in _RETRYABLE:
        message += " (the session is still usable: send the prompt again)"
    data = {"codexErrorInfo": error.codex_error_info} if error.codex_error_info else None
    return RequestError(-32603, message, data)


def add_delete_route(conn: AgentSideConnection, handler: Callable[[Any], Awaitable[Any]]) -> None:
    """Route ``session/delete`` (stable in ACP, absent from the pinned SDK 0.12.1's router).
    The router is private to the SDK; a version that moved it fails here, at start-up, not
    silently."""
    router = getattr(getattr(conn, "_conn", None), "_handler", None)
    if not isinstance(router, MessageRouter):
        raise RuntimeError(
            "the acp SDK's connection has no MessageRouter where 0.12.1 keeps it; "
            "pin agent-client-protocol==0.12.1 or update add_delete_route"
        )
    router.add_route(Route(method="session/delete", func=handler, kind="request"))


def session_update(session_id: str, update: dict[str, Any]) -> dict[str, Any]:
    """The ``session/update`` notification carrying ``update`` for ``session_id``."""
    params = {"sessionId": session_id, "update": update}
    return {"jsonrpc": "2.0", "method": "session/update", "params": params}
