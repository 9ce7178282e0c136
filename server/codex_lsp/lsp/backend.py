"""The heavy half of the language server: it assembles the conversation manager and the
features (conversations, configuration, files, code actions, approvals, commands), dispatches
every ``codex/*`` request and command from their tables, and delivers events.
:mod:`codex_lsp.lsp.server` imports this module on a worker thread after ``initialize`` has been
answered, so editors get a fast cold start."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from codex_lsp.config.overrides import ConfigOverrides
from codex_lsp.core import ConfigSources, ConversationManager, FrontEnd
from codex_lsp.errors import CodexError
from codex_lsp.lsp.approvals import ClientApprover
from codex_lsp.lsp.code_action_turns import CodeActionTurns
from codex_lsp.lsp.commands import Commands
from codex_lsp.lsp.configuration import ConfigNotices, Configuration
from codex_lsp.lsp.conversations import Conversations
from codex_lsp.lsp.editor_files import EditorSink
from codex_lsp.lsp.log_forward import LogForwarder
from codex_lsp.lsp.progress import TurnProgress
from codex_lsp.lsp.review_diagnostics import ReviewDiagnostics
from codex_lsp.lsp.rpc import (
    CommandHandler,
    Handler,
    built_from_arguments,
    one_table,
    parse_params,
    to_rpc_error,
    wire,
)
from codex_lsp.lsp.speckit import SpeckitFeature
from codex_lsp.lsp.terminals import TerminalsFeature
from codex_lsp.lsp.user_input import ClientUserInput
from codex_lsp.lsp.wire import CodexProtocol
from codex_lsp.lsp.workspace_files import WorkspaceFiles
from codex_lsp.protocol import method_names as names
from codex_lsp.protocol.events import ErrorEvent, EventEnvelope, TaskCompleteEvent
from codex_lsp.protocol.methods import METHODS_BY_NAME
from codex_lsp.speckit.front import speckit_router

PLAIN_MESSAGE_MAX = 4000


class Backend:
    """Handles every ``codex/*`` request and command for one server."""

    def __init__(
        self,
        server: LanguageServer,
        cli_overrides: ConfigOverrides | None,
        custom_approvals: str | None,
        root: Path | None,
        editor_settings: dict[str, Any] | None = None,
    ) -> None:
        self._server = server
        self._progress = TurnProgress(server)
        protocol = server.protocol
        assert isinstance(protocol, CodexProtocol)
        self._protocol = protocol
        self.approver = ClientApprover(server)
        self.approver.mode = custom_approvals
        notices = ConfigNotices(server)
        asker = ClientUserInput(server)
        sink = EditorSink(server)
        self.manager = ConversationManager(
            FrontEnd(
                self.send_event,
                approvals=self.approver,
                user_input=asker,
                open_url=asker.open_url,
                files=sink,
                on_config_error=notices.show_error,
                on_mcp_status=notices.mcp_status,
            ),
            ConfigSources(
                cli_overrides=dict(cli_overrides or {}),
                default_cwd=root if root is not None and root.is_dir() else None,
                editor_settings=dict(editor_settings or {}),
                watch=True,
            ),
            router=speckit_router,
        )
        self._log = LogForwarder(server, asyncio.get_running_loop())
        self._configuration = Configuration(self.manager, self._log, notices)
        self._review = ReviewDiagnostics(server, self.manager)
        self._log.install()
        conversations = Conversations(self.manager)
        files = WorkspaceFiles(server, self.manager)
        code_actions = CodeActionTurns(server, conversations)
        self.speckit = SpeckitFeature(self.manager, conversations, server, sink, lambda: root)
        """spec-kit's commands and code actions."""
        self.methods: dict[str, Handler] = one_table(
            conversations.methods(),
            self._configuration.methods(),
            files.methods(),
            TerminalsFeature(self.manager).methods(),
        )
        """Every ``codex/*`` client request → its handler."""
        self.commands: dict[str, CommandHandler] = one_table(
            Commands(conversations, files, code_actions, self.approver).table(),
            self.speckit.commands(),
        )
        """Every advertised ``workspace/executeCommand`` command → its handler."""

    async def handle(self, method_name: str, raw: Any) -> dict[str, Any]:
        """Validate, dispatch, convert; CodexErrors become JSON-RPC errors."""
        params = parse_params(METHODS_BY_NAME[method_name].params, raw)
        try:
            result = await self.methods[method_name](params)
        except CodexError as exc:
            raise to_rpc_error(exc) from exc
        return wire(result)

    async def run_command(self, name: str, args: list[Any]) -> Any:
        """``workspace/executeCommand``; CodexErrors become JSON-RPC errors, and so does a value
        the command's params refuse (its arguments are the client's request)."""
        try:
            with built_from_arguments():
                return await self.commands[name](args)
        except CodexError as exc:
            raise to_rpc_error(exc) from exc

    def send_event(self, event: EventEnvelope) -> None:
        """Write one ``codex/event`` notification (pre-serialised, non-blocking). A client
        without a codex-lsp plugin also sees answers and errors as ``window/showMessage``."""
        self._protocol.notify_json(names.EVENT, event.to_wire_json())
        self._progress.observe(event)
        self._review.observe(event)
        self.speckit.on_event(event)
        if self.approver.mode is None:
            self._tell_plain_client(event.msg)

    def _tell_plain_client(self, msg: Any) -> None:
        if isinstance(msg, TaskCompleteEvent) and msg.last_agent_message:
            text, kind = msg.last_agent_message, types.MessageType.Info
        elif isinstance(msg, ErrorEvent):
            text, kind = msg.message, types.MessageType.Error
        else:
            return
        if len(text) > PLAIN_MESSAGE_MAX:
            text = text[:PLAIN_MESSAGE_MAX] + "…"
        self._server.window_show_message(types.ShowMessageParams(type=kind, message=text))

    def start_mcp(self) -> None:
        """Apply ``log_level`` and start the configured MCP servers (after ``initialized``)."""
        self._configuration.start()

    async def shutdown(self, timeout_s: float) -> None:
        """Shut every conversation, MCP server and the store down within ``timeout_s``."""
        await self.manager.shutdown_all(timeout_s)
        await self.speckit.aclose()
