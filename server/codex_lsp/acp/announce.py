"""Announcing a session's slash commands (``available_commands_update``) at the moment the ACP
SDK has written the session's response, and again once the MCP servers have started if their
prompts added commands: a client must never see an update for a session it does not know yet."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from codex_lsp.acp.core_adapter import Core
from codex_lsp.acp.session import Session
from codex_lsp.background import create_task

Announced = list[dict[str, Any]]


def announce_after_response(
    session: Session, core: Core, commands: Callable[[], Announced], held: set[asyncio.Task[None]]
) -> None:
    """Once the session's response is written (the SDK writes it in the same loop step as the
    handler returns): the held updates, then ``commands()``; the second announcement runs as a
    task kept in ``held`` (its owner cancels it at shutdown)."""

    def send(announced: Announced) -> None:
        session.update(
            {"sessionUpdate": "available_commands_update", "availableCommands": announced}
        )

    async def again(first: Announced) -> None:
        await core.mcp_started()
        if core.is_open(session.session_id) and (now := commands()) != first:
            send(now)

    def announce() -> None:
        session.open()
        first = commands()
        send(first)
        create_task(again(first), name=f"commands-{session.session_id}", owner=held)

    asyncio.get_running_loop().call_soon(announce)
