"""The front end dispatches from two tables: every client request of the protocol and every
advertised command has exactly one handler, and a real server reaches each of them."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from codex_lsp.lsp.backend import Backend
from codex_lsp.lsp.log_forward import LOGGER
from codex_lsp.lsp.rpc import one_table
from codex_lsp.lsp.server import ADVERTISED_COMMANDS, create_server
from codex_lsp.protocol.method_names import CLIENT_REQUESTS
from codex_lsp.protocol.methods import METHODS, Direction
from tests.lsp.conftest import Session

CLIENT_METHODS = [m.name for m in METHODS if m.direction is Direction.CLIENT_REQUEST]
METHOD_NOT_FOUND = -32601
INTERNAL_ERROR = -32603


@pytest.fixture
async def backend(clean_env: Path, workspace: Path) -> AsyncIterator[Backend]:
    """A backend on a server that was never connected (its log handler removed after)."""
    handlers = list(logging.getLogger(LOGGER).handlers)
    made = Backend(create_server(), None, None, workspace)
    try:
        yield made
    finally:
        await made.shutdown(2.0)
        logging.getLogger(LOGGER).handlers[:] = handlers


async def test_every_client_request_has_exactly_one_handler(backend: Backend) -> None:
    assert len(CLIENT_METHODS) == len(set(CLIENT_METHODS))
    assert sorted(backend.methods) == sorted(CLIENT_METHODS) == sorted(CLIENT_REQUESTS)
    assert all(callable(h) for h in backend.methods.values())


async def test_every_advertised_command_has_exactly_one_handler(backend: Backend) -> None:
    advertised = ADVERTISED_COMMANDS
    assert len(advertised) == len(set(advertised))
    assert sorted(backend.commands) == sorted(advertised)
    assert all(callable(h) for h in backend.commands.values())


def test_a_name_claimed_twice_is_refused() -> None:
    assert one_table({"a": 1}, {"b": 2}) == {"a": 1, "b": 2}
    with pytest.raises(ValueError, match="codex/x has two handlers"):
        one_table({"codex/x": 1}, {"codex/y": 2, "codex/x": 3})


@pytest.mark.slow
async def test_a_real_server_advertises_and_reaches_every_command(lsp: Session) -> None:
    assert lsp.initialized is not None
    provider = lsp.initialized.capabilities.execute_command_provider
    advertised = ADVERTISED_COMMANDS
    assert provider is not None and sorted(provider.commands) == sorted(advertised)
    for name in advertised:
        if name == "codex-lsp.sendPrompt":
            continue  # with no prompt it is refused below; with one it starts a turn
        params = types.ExecuteCommandParams(command=name, arguments=[{"no": "such"}, 7])
        try:
            await lsp.client.workspace_execute_command_async(params)
        except JsonRpcException as exc:
            assert exc.code not in (METHOD_NOT_FOUND, INTERNAL_ERROR), (name, exc)
            assert "Traceback" not in str(exc) and "Error:" not in str(exc), (name, exc)
    with pytest.raises(JsonRpcException, match="prompt text"):
        params = types.ExecuteCommandParams(command="codex-lsp.sendPrompt", arguments=[])
        await lsp.client.workspace_execute_command_async(params)
