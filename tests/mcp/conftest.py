"""A conversation manager whose config starts the test MCP servers."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from codex_lsp.core import ConfigSources, ConversationManager, FrontEnd
from codex_lsp.testing import FakeModelServer
from tests.helpers import EventLog, ScriptedApprover, write_config

FAULT_SERVER = Path(__file__).parent / "servers" / "fault_server.py"


def server_table(name: str, *args: str, extra: str = "") -> str:
    """A ``[mcp_servers.<name>]`` table running the fault server with ``args``."""
    argv = ", ".join(f'"{a}"' for a in (str(FAULT_SERVER), *args))
    return f'\n[mcp_servers.{name}]\ncommand = "{sys.executable}"\nargs = [{argv}]\n{extra}\n'


@pytest.fixture
async def mcp_manager(
    clean_env: Path,
    model_server: FakeModelServer,
    workspace: Path,
    log: EventLog,
    approver: ScriptedApprover,
    request: pytest.FixtureRequest,
) -> AsyncIterator[ConversationManager]:
    """A manager whose config has the MCP tables of the test's ``mcp_servers`` marker."""
    marker = request.node.get_closest_marker("mcp_servers")
    tables = marker.args[0] if marker else server_table("faults")
    write_config(clean_env, model_server.base_url, extra=tables)

    manager = ConversationManager(
        FrontEnd(
            log.sink,
            approvals=approver,
            user_input=approver.answer_questions,
            open_url=approver.open_url,
        ),
        ConfigSources(home=clean_env, default_cwd=workspace),
    )
    manager.start_mcp()
    await manager.mcp.wait_started(20)
    yield manager
    await manager.shutdown_all()
