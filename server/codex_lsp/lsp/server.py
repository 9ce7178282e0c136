"""The codex-lsp language server: wires the ``codex/*`` methods to the conversation manager.

Handlers are thin: validate params with the protocol model, call the manager or submit an Op,
convert the result. Errors become JSON-RPC errors: ``InvalidParams`` (-32602) for bad params,
unknown conversations and bad cursors; -32001 for configuration and provider set-up problems
(no provider, bad config); the message always says what to do.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from lsprotocol import types
from pydantic import BaseModel, ValidationError
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams, JsonRpcServerError
from pygls.lsp.server import LanguageServer

from codex_lsp import __version__
from codex_lsp.config.loader import ConfigOverrides
from codex_lsp.core import ConversationManager, info
from codex_lsp.errors import CodexError, ProtocolError
from codex_lsp.lsp.approvals import ClientApprover, client_declares_approvals
from codex_lsp.lsp.wire import CodexProtocol
from codex_lsp.protocol import methods as m
from codex_lsp.protocol import requests as r
from codex_lsp.protocol.events import Event
from codex_lsp.protocol.methods import METHODS, Direction, Method
from codex_lsp.protocol.requests import ConversationScoped

log = logging.getLogger(__name__)

SETUP_ERROR_CODE = -32001


class CodexLanguageServer(LanguageServer):  # type: ignore[misc]
    """pygls server hosting a :class:`ConversationManager`."""

    def __init__(self, cli_overrides: ConfigOverrides | None = None) -> None:
        super().__init__("codex-lsp", __version__, protocol_cls=CodexProtocol)
        self.approver = ClientApprover(self)
        self.manager = ConversationManager(self.send_event, approvals=self.approver, cli_overrides=cli_overrides)

    def send_event(self, event: Event) -> None:
        """Write one ``codex/event`` notification (pre-serialised, non-blocking)."""
        self.protocol.notify_json(m.EVENT, event.to_wire_json())


def parse_params(model: type[BaseModel], raw: Any) -> Any:
    """Validate ``raw`` or raise InvalidParams naming each bad field."""
    try:
        return model.model_validate(raw if raw is not None else {})
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'params'}: {e['msg']}" for e in exc.errors()
        )
        raise JsonRpcInvalidParams(f"invalid params for {model.__name__}: {problems}") from exc


def _to_rpc_error(exc: CodexError) -> JsonRpcException:
    if isinstance(exc, ProtocolError):
        return JsonRpcInvalidParams(exc.message)
    return JsonRpcServerError(exc.message, SETUP_ERROR_CODE)


async def _dispatch(ls: CodexLanguageServer, method: Method, params: Any) -> BaseModel:
    manager = ls.manager
    if method.op is not None:
        assert isinstance(params, ConversationScoped)
        op = method.op.model_validate(params.model_dump(exclude={"conversation_id"}))
        return r.SubmissionResult(submission_id=manager.get(params.conversation_id).submit(op))  # type: ignore[arg-type]
    if method.name == m.NEW_CONVERSATION:
        return info(await manager.new_conversation(params))
    if method.name == m.RESUME_CONVERSATION:
        return manager.resume(params.conversation_id)
    if method.name == m.FORK_CONVERSATION:
        return info(await manager.fork(params.conversation_id, params.turn_id))
    if method.name == m.LIST_CONVERSATIONS:
        return manager.list(params)
    if method.name == m.ARCHIVE_CONVERSATION:
        await manager.archive(params.conversation_id)
        return r.EmptyResult()
    raise JsonRpcInvalidParams(f"{method.name} is not handled by this server")


def _handler(method: Method) -> Any:
    async def handle(ls: CodexLanguageServer, raw: Any) -> dict[str, Any]:
        params = parse_params(method.params, raw)
        try:
            result = await _dispatch(ls, method, params)
        except CodexError as exc:
            raise _to_rpc_error(exc) from exc
        return result.model_dump(by_alias=True, exclude_none=True, mode="json")

    handle.__name__ = f"handle_{method.name.split('/')[-1]}"
    return handle


def _root_path(params: types.InitializeParams) -> Path | None:
    uri = None
    if params.workspace_folders:
        uri = params.workspace_folders[0].uri
    elif params.root_uri:
        uri = params.root_uri
    if uri:
        parsed = urlparse(uri)
        if parsed.scheme == "file":
            return Path(unquote(parsed.path))
    if params.root_path:
        return Path(params.root_path)
    return None


def create_server(cli_overrides: ConfigOverrides | None = None) -> CodexLanguageServer:
    """A server with every codex method and the lifecycle hooks registered."""
    server = CodexLanguageServer(cli_overrides)
    for method in METHODS:
        if method.direction is Direction.CLIENT_REQUEST:
            server.feature(method.name)(_handler(method))

    @server.feature(types.INITIALIZE)
    def on_initialize(ls: CodexLanguageServer, params: types.InitializeParams) -> None:
        ls.approver.custom_requests = client_declares_approvals(params.capabilities)
        root = _root_path(params)
        if root is not None and root.is_dir():
            ls.manager.set_default_cwd(root)

    @server.feature(types.SHUTDOWN)
    async def on_shutdown(ls: CodexLanguageServer, *args: Any) -> None:
        await ls.manager.shutdown_all()

    return server


def run_stdio(cli_overrides: ConfigOverrides | None = None) -> int:
    """Serve on stdio until the client exits; shuts conversations down on disconnect."""
    from codex_lsp.lsp.stdio import serve

    server = create_server(cli_overrides)

    async def main() -> None:
        try:
            await serve(server)
        finally:
            await server.manager.shutdown_all()

    try:
        asyncio.run(main())
    except SystemExit as exc:
        return int(exc.code or 0)
    except KeyboardInterrupt:
        return 130
    return 0
