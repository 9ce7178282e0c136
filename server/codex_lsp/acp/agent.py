"""The ACP agent: every ``session/*`` method the agent serves, over the SDK's connection.

:class:`AcpAgent` is duck-typed on purpose and does not subclass ``acp.Agent``: the SDK answers
``-32601`` (method not found) for any method the class lacks, where a subclass would inherit
stubs that "succeed" silently. ``session/delete`` has no route in the pinned SDK and gets one in
:func:`add_delete_route`. Errors a client can act on have their codes: ``-32602`` bad params,
``-32002`` unknown session, ``-32000`` no model provider set up, ``-32603`` (with the message)
a provider failure; the session stays usable after each.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from pathlib import Path
from typing import Any, cast

from acp import RequestError
from acp.agent.connection import AgentSideConnection
from acp.schema import (
    ClientCapabilities,
    DeleteSessionRequest,
)
from pydantic import ValidationError

from codex_lsp.acp import permissions
from codex_lsp.acp.announce import announce_after_response
from codex_lsp.acp.capabilities import ClientFeatures, initialize_result
from codex_lsp.acp.commands import (
    SlashCommand,
    parse,
    prompt_command,
    skill_command,
    slash_commands,
)
from codex_lsp.acp.core_adapter import Core, Opened
from codex_lsp.acp.files import SessionFiles
from codex_lsp.acp.modes import (
    MODES_BY_ID,
    Settings,
    mode_of,
    model_choices,
    sandbox_policy,
    with_roots,
)
from codex_lsp.acp.params import directory, listed, mcp_configs
from codex_lsp.acp.prompt import ContentBlock, first_text, to_input
from codex_lsp.acp.rpc import add_delete_route, served, session_update, turn_error
from codex_lsp.acp.session import Session
from codex_lsp.acp.stdio import LineTransport
from codex_lsp.acp.terminals import SessionCommands
from codex_lsp.errors import CodexError, ProtocolError, UnknownConversationError
from codex_lsp.protocol.events import (
    ApplyPatchApprovalRequestEvent,
    EventEnvelope,
    ExecApprovalRequestEvent,
)
from codex_lsp.protocol.ops import InterruptOp, OverrideTurnContextOp, UserInputOp
from codex_lsp.protocol.policies import ReviewDecision
from codex_lsp.tools.commands import CommandRunner

log = logging.getLogger(__name__)

CLOSE_WAIT_S = 15.0
HELD_EVENTS_MAX = 200


class AcpAgent:
    """The agent of one ACP connection: its sessions over one core."""

    def __init__(
        self,
        transport: LineTransport,
        overrides: dict[str, Any],
        initialize: dict[str, Any] | None = None,
    ) -> None:
        """``initialize``: the params of an ``initialize`` already answered before the SDK
        loaded (see :mod:`codex_lsp.acp.main`)."""
        self._transport = transport
        self._conn: AgentSideConnection | None = None
        self.features = ClientFeatures.from_params(initialize) if initialize is not None else None
        self._sessions: dict[str, Session] = {}
        self._files: dict[str, SessionFiles] = {}
        self._held: dict[str, list[EventEnvelope]] = {}
        self._opening = 0
        self._commands = slash_commands()
        self._announcing: set[asyncio.Task[None]] = set()
        self._core = Core(
            self._on_event, self._approve, self._files_for, self._commands_for, overrides
        )

    def on_connect(self, conn: AgentSideConnection) -> None:
        """The SDK's connection: how the agent calls the client."""
        self._conn = conn

    # ---------------------------------------------------------------- core seams
    def _on_event(self, envelope: EventEnvelope) -> None:
        session = self._sessions.get(envelope.conversation_id)
        if session is not None:
            session.observe(envelope)
            return
        if not self._opening:
            return  # a session closed or deleted meanwhile: nobody to tell
        held = self._held.setdefault(envelope.conversation_id, [])  # its session is opening
        if len(held) < HELD_EVENTS_MAX:
            held.append(envelope)

    async def _approve(
        self,
        conversation_id: str,
        request: ExecApprovalRequestEvent | ApplyPatchApprovalRequestEvent,
    ) -> ReviewDecision:
        session = self._sessions.get(conversation_id)
        if session is None or self._conn is None:
            return ReviewDecision.DENIED
        return await permissions.ask(self._conn, session, request)

    def _files_for(self, conversation_id: str) -> SessionFiles:
        files = SessionFiles(conversation_id, lambda: self._conn, self._client_features)
        self._files[conversation_id] = files
        return files

    def _client_features(self) -> ClientFeatures:
        return self.features or ClientFeatures()

    def _commands_for(self, conversation_id: str) -> CommandRunner:
        return SessionCommands(conversation_id, self._sessions.get, lambda: self._conn)

    def _send(self, session_id: str, update: dict[str, Any]) -> None:
        self._transport.send_nowait(session_update(session_id, update))

    # ---------------------------------------------------------------- sessions
    def _session(self, session_id: str) -> Session:
        session = self._sessions.get(session_id)
        if session is None:
            raise RequestError(
                -32002,
                f"session {session_id!r} is not open: start it with session/new, or open a "
                "stored one with session/load or session/resume",
                {"uri": session_id},
            )
        return session

    def _register(self, opened: Opened, roots: list[Path]) -> Session:
        session = self._sessions.get(opened.session_id)
        features = self._client_features()
        config = self._core.config(opened.cwd)
        if session is None:
            files = self._files[opened.session_id]
            settings = Settings(
                mode=mode_of(opened.approval_policy, opened.sandbox_policy),
                model=opened.model,
                effort=opened.effort,
                models=model_choices(opened.model, opened.acp.models, opened.profile_models),
            )
            session = Session(
                session_id=opened.session_id,
                cwd=opened.cwd,
                extra_roots=roots,
                features=features,
                settings=settings,
                client_terminals=features.terminal and config.acp.client_terminals,
                known=files.known,
                send=self._send,
                send_json=self._transport.write_json,
            )
            self._sessions[opened.session_id] = session
            for envelope in self._held.pop(opened.session_id, []):
                session.observe(envelope)
        if roots:
            session.extra_roots = roots
            policy = with_roots(opened.sandbox_policy, roots)
            self._core.submit(opened.session_id, OverrideTurnContextOp(sandbox_policy=policy))
        return session

    def _after_response(self, session: Session) -> None:
        """The held updates and the slash commands, once the session's response is written."""
        announce_after_response(
            session,
            self._core,
            lambda: [c.announced() for c in self._session_commands(session.session_id)],
            self._announcing,
        )

    def _session_commands(self, session_id: str) -> list[SlashCommand]:
        """The built-in and spec-kit commands, then the session's skills and MCP prompts (a
        name already taken keeps its first meaning)."""
        skills, prompts = self._core.session_commands(session_id)
        extra = [*(skill_command(s) for s in skills), *(prompt_command(p) for p in prompts)]
        taken = {c.name for c in self._commands}
        return [*self._commands, *(c for c in extra if c.name not in taken)]

    def _state(self, session: Session) -> dict[str, Any]:
        return {
            "modes": session.settings.modes_state(),
            "configOptions": session.settings.options(),
        }

    async def _open(
        self,
        cwd: str,
        mcp_servers: list[Any] | None,
        additional_directories: list[str] | None,
        resume: str | None,
    ) -> tuple[Session, Opened]:
        folder = directory(cwd, "cwd")
        roots = [directory(d, "additionalDirectories entry") for d in additional_directories or []]
        self._opening += 1
        try:
            opened = await self._core.open(folder, mcp_configs(mcp_servers, folder), resume)
            return self._register(opened, roots), opened
        finally:
            self._opening -= 1
            if not self._opening:
                self._held.clear()

    # ---------------------------------------------------------------- ACP methods
    async def initialize(
        self,
        protocol_version: int,
        client_capabilities: ClientCapabilities | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        """``initialize``: protocol 1 and the capabilities (see capabilities.py)."""
        caps = client_capabilities.model_dump(by_alias=True) if client_capabilities else {}
        self.features = ClientFeatures.from_params({"clientCapabilities": caps})
        return initialize_result()

    @served
    async def new_session(
        self,
        cwd: str,
        mcp_servers: list[Any] | None = None,
        additional_directories: list[str] | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        """``session/new``: a new stored conversation in ``cwd``."""
        session, _opened = await self._open(cwd, mcp_servers, additional_directories, None)
        self._after_response(session)
        return {"sessionId": session.session_id, **self._state(session)}

    @served
    async def load_session(
        self,
        cwd: str,
        session_id: str,
        mcp_servers: list[Any] | None = None,
        additional_directories: list[str] | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        """``session/load``: reopen a stored conversation and replay all of it first."""
        session, opened = await self._open(cwd, mcp_servers, additional_directories, session_id)
        session.ready = True
        session.replay(opened.events)
        self._after_response(session)
        return self._state(session)

    @served
    async def resume_session(
        self,
        cwd: str,
        session_id: str,
        mcp_servers: list[Any] | None = None,
        additional_directories: list[str] | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        """``session/resume``: reopen a stored conversation without a replay."""
        session, _opened = await self._open(cwd, mcp_servers, additional_directories, session_id)
        session.renderer.titled = True
        self._after_response(session)
        return self._state(session)

    @served
    async def list_sessions(
        self, cursor: str | None = None, cwd: str | None = None, **_: Any
    ) -> dict[str, Any]:
        """``session/list``: stored conversations, newest first, 25 a page."""
        folder = None
        if cwd:
            if not Path(cwd).is_absolute():
                raise ProtocolError(f"cwd must be an absolute path, got {cwd!r}")
            folder = Path(await asyncio.to_thread(os.path.realpath, cwd))
        return listed(await self._core.list(folder, cursor))

    @served
    async def close_session(self, session_id: str, **_: Any) -> dict[str, Any]:
        """``session/close``: cancel its work and shut its conversation down (it stays
        stored). Closing a session that is not open is a no-op."""
        session = self._sessions.get(session_id)
        if session is not None:
            await self._core.close(session_id)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(session.closed.wait(), CLOSE_WAIT_S)
            self._forget(session_id)
        return {}

    @served
    async def delete_session(self, params: Any) -> dict[str, Any]:
        """``session/delete``: remove a stored conversation; an unknown id is already gone."""
        try:
            request = DeleteSessionRequest.model_validate(params or {})
        except ValidationError as exc:
            raise ProtocolError(
                f"session/delete needs sessionId: {exc.errors()[0]['msg']}"
            ) from exc
        with contextlib.suppress(UnknownConversationError):
            await self._core.delete(request.session_id)
        self._forget(request.session_id)
        return {}

    def _forget(self, session_id: str) -> None:
        self._sessions.pop(session_id, None)
        self._files.pop(session_id, None)

    @served
    async def set_session_mode(self, mode_id: str, session_id: str, **_: Any) -> dict[str, Any]:
        """``session/set_mode``: an approval preset; the ``mode`` option follows."""
        session = self._session(session_id)
        self._apply(session, "mode", mode_id)
        session.update(
            {"sessionUpdate": "config_option_update", "configOptions": session.settings.options()}
        )
        return {}

    @served
    async def set_config_option(
        self, config_id: str, session_id: str, value: Any, **_: Any
    ) -> dict[str, Any]:
        """``session/set_config_option``: mode, model or reasoning effort; answers with every
        option (modes follow a mode change)."""
        session = self._session(session_id)
        if not isinstance(value, str):
            raise ProtocolError(f"{config_id} takes one of its options' values, not {value!r}")
        self._apply(session, config_id, value)
        if config_id == "mode":
            session.update({"sessionUpdate": "current_mode_update", "currentModeId": value})
        return {"configOptions": session.settings.options()}

    def _apply(self, session: Session, config_id: str, value: str) -> None:
        op = session.settings.change(config_id, value)
        if config_id == "mode":
            mode = MODES_BY_ID[value]
            policy = sandbox_policy(
                mode.sandbox_mode, self._core.config(session.cwd), session.extra_roots
            )
            op = OverrideTurnContextOp(approval_policy=mode.approval_policy, sandbox_policy=policy)
        if op is not None:
            self._core.submit(session.session_id, op)

    @served
    async def prompt(self, prompt: list[ContentBlock], session_id: str, **_: Any) -> dict[str, Any]:
        """``session/prompt``: one turn (or a slash command); answered when it ends. Sent
        while a turn runs, it steers that turn and is answered when the turn ends."""
        session = self._session(session_id)
        await self._core.mcp_started()
        command = parse(first_text(prompt), self._session_commands(session_id))
        if command is not None:
            op = await self._core.expand(command[0].build(command[1]))
        else:
            op = UserInputOp(items=to_input(prompt, session.cwd))
        outcome = await session.run(op, lambda o: self._core.submit(session_id, o))
        if outcome.error is not None:
            raise turn_error(outcome)
        return {"stopReason": outcome.stop_reason}

    async def cancel(self, session_id: str, **_: Any) -> None:
        """``session/cancel``: stop the model and the running command, answer the pending
        permission requests; every waiting prompt answers ``cancelled``."""
        session = self._sessions.get(session_id)
        if session is None:
            return
        session.cancel()
        with contextlib.suppress(CodexError):
            self._core.submit(session_id, InterruptOp())

    async def shutdown(self) -> None:
        """The client went away: shut every conversation down."""
        for task in list(self._announcing):
            task.cancel()
        await self._core.shutdown()


async def serve(
    transport: LineTransport, overrides: dict[str, Any], initialize: dict[str, Any] | None
) -> None:
    """Serve one client until it closes the connection, then shut everything down."""
    agent = AcpAgent(transport, overrides, initialize)
    # the SDK types its agent as the full acp.Agent protocol; this one is partial on purpose
    conn = AgentSideConnection(
        cast(Any, agent), transport, listening=False, use_unstable_protocol=True
    )
    add_delete_route(conn, agent.delete_session)
    try:
        await conn.listen()
    finally:
        await agent.shutdown()
