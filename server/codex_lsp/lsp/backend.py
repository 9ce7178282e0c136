"""The heavy half of the language server: the conversation manager, params validation, event
delivery and approvals. :mod:`codex_lsp.lsp.server` imports this module on a worker thread after
``initialize`` has been answered, so editors get a fast cold start."""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path
from typing import Any

from lsprotocol import types
from pydantic import BaseModel, ValidationError
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams, JsonRpcServerError
from pygls.lsp.server import LanguageServer

from codex_lsp.config.overrides import ConfigOverrides
from codex_lsp.config.report import entries
from codex_lsp.core import ConversationManager, info
from codex_lsp.core.code_actions import CodeActionKind, Diagnostic, code_action_prompt
from codex_lsp.core.doctor import doctor_result
from codex_lsp.core.model_list import list_models
from codex_lsp.errors import CodexError, ProtocolError
from codex_lsp.lsp.approvals import ClientApprover
from codex_lsp.lsp.editor_files import EditorSink
from codex_lsp.lsp.log_forward import LogForwarder
from codex_lsp.lsp.progress import TurnProgress
from codex_lsp.lsp.wire import CodexProtocol
from codex_lsp.protocol import method_names as names
from codex_lsp.protocol import requests as r
from codex_lsp.protocol.events import ErrorEvent, EventEnvelope, TaskCompleteEvent
from codex_lsp.protocol.items import McpServerStatus
from codex_lsp.protocol.methods import METHODS_BY_NAME, Method
from codex_lsp.protocol.policies import ReviewDecision
from codex_lsp.protocol.requests import ApprovalResult, ConversationScoped
from codex_lsp.tools import file_search

SETUP_ERROR_CODE = -32001
PLAIN_MESSAGE_MAX = 4000


def parse_params(model: type[BaseModel], raw: Any) -> Any:
    """Validate ``raw`` or raise InvalidParams naming each bad field."""
    try:
        if raw is None or raw == []:  # Lua clients encode an empty table as []
            raw = {}
        params = model.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'params'}: {e['msg']}" for e in exc.errors()
        )
        raise JsonRpcInvalidParams(f"invalid params for {model.__name__}: {problems}") from exc
    for field, path in _paths(params):
        if "\x00" in str(path):
            raise JsonRpcInvalidParams(f"invalid params: {field} contains a NUL byte")
    return params


def _paths(model: BaseModel, prefix: str = "") -> list[tuple[str, Path]]:
    """Every path in ``model``, with the wire name of its field (paths go to the OS, which
    refuses NUL bytes with an exception of its own)."""
    found: list[tuple[str, Path]] = []
    for name, spec in type(model).model_fields.items():
        value = getattr(model, name)
        field = prefix + (spec.alias or name)
        values = value if isinstance(value, list) else [value]
        for item in values:
            if isinstance(item, Path):
                found.append((field, item))
            elif isinstance(item, BaseModel):
                found.extend(_paths(item, field + "."))
    return found


def conversation_arg(command: str, args: list[Any], index: int) -> str | None:
    """The optional conversationId argument of a command at ``index``."""
    value = args[index] if len(args) > index else None
    if value is None or isinstance(value, str):
        return value
    raise JsonRpcInvalidParams(
        f"{command}: argument {index + 1} must be a conversationId (a string), "
        f"not {json.dumps(value)[:60]}"
    )


def to_rpc_error(exc: CodexError) -> JsonRpcException:
    """InvalidParams for client mistakes, -32001 for configuration and provider set-up."""
    if isinstance(exc, ProtocolError):
        return JsonRpcInvalidParams(exc.message)
    return JsonRpcServerError(exc.message, SETUP_ERROR_CODE)  # type: ignore[no-untyped-call]


class Backend:
    """Handles every ``codex/*`` request for one server."""

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
        self.manager = ConversationManager(
            self.send_event,
            approvals=self.approver,
            files=EditorSink(server),
            cli_overrides=cli_overrides,
        )
        self._file_index = file_search.FileIndex()
        self.manager.editor_settings = dict(editor_settings or {})
        self.manager.watch_config = True
        self.manager.on_config_error = self._show_error
        self.manager.on_mcp_status = self._mcp_status
        self._log = LogForwarder(server, asyncio.get_running_loop())
        self._log.install()
        if root is not None and root.is_dir():
            self.manager.set_default_cwd(root)

    def send_event(self, event: EventEnvelope) -> None:
        """Write one ``codex/event`` notification (pre-serialised, non-blocking). A client
        without a codex-lsp plugin also sees answers and errors as ``window/showMessage``."""
        self._protocol.notify_json(names.EVENT, event.to_wire_json())
        self._progress.observe(event)
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

    async def open_changed_files(self, conversation_id: str | None) -> dict[str, Any]:
        """``codex-lsp.openChangedFiles``: show the files the last file-changing turn changed
        (``window/showDocument``, for clients that support it)."""
        conversation_id = conversation_id or self._latest()
        if conversation_id is None:
            raise JsonRpcInvalidParams("codex-lsp.openChangedFiles: there is no conversation")
        conversation = self.manager.get(conversation_id)
        paths = sorted(conversation.snapshots[-1].after) if conversation.snapshots else []
        window = getattr(self._server.client_capabilities, "window", None)
        if not getattr(window, "show_document", None):
            raise JsonRpcInvalidParams(
                "this client does not support window/showDocument; the files are: "
                + ", ".join(str(p) for p in paths)
            )
        opened: list[str] = []
        for path in paths:
            if path.exists():
                params = types.ShowDocumentParams(uri=path.as_uri(), take_focus=not opened)
                await self._server.window_show_document_async(params)
                opened.append(str(path))
        return {"conversationId": conversation_id, "opened": opened}

    async def handle(self, method_name: str, raw: Any) -> dict[str, Any]:
        """Validate, dispatch, convert; CodexErrors become JSON-RPC errors."""
        method = METHODS_BY_NAME[method_name]
        params = parse_params(method.params, raw)
        try:
            result = await self._dispatch(method, params)
        except CodexError as exc:
            raise to_rpc_error(exc) from exc
        return result.model_dump(by_alias=True, exclude_none=True, mode="json")

    async def _dispatch(self, method: Method, params: Any) -> BaseModel:
        manager = self.manager
        if method.op is not None:
            assert isinstance(params, ConversationScoped)
            op = method.op.model_validate(params.model_dump(exclude={"conversation_id"}))
            conversation = manager.get(params.conversation_id)
            return r.SubmissionResult(submission_id=conversation.submit(op))  # type: ignore[arg-type]
        if method.name == names.NEW_CONVERSATION:
            return info(await manager.new_conversation(params))
        if method.name == names.RESUME_CONVERSATION:
            return await manager.resume(params.conversation_id)
        if method.name == names.FORK_CONVERSATION:
            return info(await manager.fork(params.conversation_id, params.turn_id))
        if method.name == names.LIST_CONVERSATIONS:
            return await manager.list_conversations(params)
        if method.name == names.GET_CONFIG:
            loaded = manager.load_config(
                r.NewConversationParams(
                    cwd=params.cwd, config={"profile": params.profile} if params.profile else None
                )
            )
            return r.GetConfigResult(
                entries=[
                    r.ConfigEntry(key=e.key, value=e.value, origin=e.origin)
                    for e in entries(loaded)
                ],
                warnings=loaded.warnings,
            )
        if method.name == names.LIST_MODELS:
            config = r.NewConversationParams(cwd=params.cwd, model_provider=params.model_provider)
            return await list_models(lambda: manager.load_config(config))
        if method.name == names.DOCTOR:
            cwd = r.NewConversationParams(cwd=params.cwd)
            return await doctor_result(lambda: manager.load_config(cwd), params.checks)
        if method.name == names.LIST_MCP_SERVERS:
            return r.ListMcpServersResult(servers=manager.mcp.statuses())
        if method.name == names.RESTART_MCP_SERVER:
            manager.mcp.restart(params.name)
            return r.EmptyResult()
        if method.name == names.FUZZY_FILE_SEARCH:
            return await self._fuzzy_file_search(params)
        if method.name == names.ARCHIVE_CONVERSATION:
            await manager.archive(params.conversation_id, params.archived)
            return r.EmptyResult()
        if method.name == names.RENAME_CONVERSATION:
            await manager.rename(params.conversation_id, params.title)
            return r.EmptyResult()
        if method.name == names.DELETE_CONVERSATION:
            await manager.delete(params.conversation_id)
            return r.EmptyResult()
        raise JsonRpcInvalidParams(f"{method.name} is not handled by this server")

    async def _fuzzy_file_search(self, params: r.FuzzyFileSearchParams) -> r.FuzzyFileSearchResult:
        """Search on a worker thread; a cancelled request stops it between phases."""
        roots = [p.resolve() for p in params.roots] or [self.manager.default_cwd or Path.cwd()]
        missing = [str(p) for p in roots if not p.is_dir()]
        if missing:
            raise JsonRpcInvalidParams(
                f"roots must be existing folders; not found: {', '.join(missing)}"
            )
        cancelled = threading.Event()
        try:
            found = await asyncio.to_thread(
                file_search.search, params.query, roots, params.limit, self._file_index, cancelled
            )
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return r.FuzzyFileSearchResult(
            files=[
                r.FuzzyFileMatch(path=m.path, root=m.root, score=m.score, indices=m.indices)
                for m in found
            ]
        )

    async def run_command(self, name: str, args: list[Any]) -> Any:
        """``workspace/executeCommand``: the Ops for clients without a plugin. The conversation
        defaults to the most recent one (``sendPrompt`` starts one when there is none)."""
        try:
            return await self._run_command(name, args)
        except CodexError as exc:
            raise to_rpc_error(exc) from exc

    async def _run_command(self, name: str, args: list[Any]) -> Any:
        command = name.removeprefix("codex-lsp.")
        if command == "newConversation":
            options = args[0] if args and isinstance(args[0], dict) else {}
            return await self.handle(names.NEW_CONVERSATION, options)
        if command == "listConversations":
            return await self.handle(names.LIST_CONVERSATIONS, {})
        if command in ("approve", "deny"):
            return self._answer_pending(command, args)
        if command == "runCodeAction":
            return await self._run_code_action(args)
        if command == "openChangedFiles":
            return await self.open_changed_files(conversation_arg(name, args, 0))
        if command == "sendPrompt":
            if not args or not isinstance(args[0], str) or not args[0].strip():
                raise JsonRpcInvalidParams(
                    "codex-lsp.sendPrompt needs the prompt text as its first argument"
                )
            conversation_id = conversation_arg(name, args, 1) or self._latest()
            if conversation_id is None:
                conversation_id = (await self.handle(names.NEW_CONVERSATION, {}))["conversationId"]
            items = [{"type": "text", "text": args[0]}]
            result = await self.handle(
                names.USER_INPUT, {"conversationId": conversation_id, "items": items}
            )
            return {"conversationId": conversation_id, **result}
        conversation_id = args[0] if args and isinstance(args[0], str) else self._latest()
        if conversation_id is None:
            raise JsonRpcInvalidParams(
                f"{name}: there is no conversation; start one with codex-lsp.sendPrompt"
            )
        method = {
            "interrupt": names.INTERRUPT,
            "compact": names.COMPACT,
            "undoTurn": names.UNDO_TURN,
        }[command]
        params: dict[str, Any] = {"conversationId": conversation_id}
        if command == "undoTurn" and len(args) > 1:
            params["turnId" if isinstance(args[1], str) else "numTurns"] = args[1]
        result = await self.handle(method, params)
        return {"conversationId": conversation_id, **result}

    def _answer_pending(self, command: str, args: list[Any]) -> dict[str, Any]:
        """``codex-lsp.approve [decision] [conversationId] [rejectedHunks]`` /
        ``codex-lsp.deny [conversationId]``: answer the oldest pending approval."""
        if command == "deny":
            decision, rest = ReviewDecision.DENIED, args
        else:
            first = args[0] if args else "approved"
            try:
                decision, rest = ReviewDecision(first), args[1:]
            except ValueError:
                decision, rest = ReviewDecision.APPROVED, args
        conversation_id = rest[0] if rest and isinstance(rest[0], str) else None
        try:
            result = ApprovalResult(
                decision=decision,
                rejected_hunks=rest[1] if len(rest) > 1 and command == "approve" else {},
            )
        except ValidationError as exc:
            raise JsonRpcInvalidParams(
                f"codex-lsp.approve: rejectedHunks must map file paths to hunk indices: {exc}"
            ) from exc
        if not self.approver.answer(result, conversation_id):
            raise JsonRpcInvalidParams(f"codex-lsp.{command}: no approval request is pending")
        return {"decision": decision.value}

    async def _run_code_action(self, args: list[Any]) -> dict[str, Any]:
        """Start a turn for a code action (in the most recent conversation, or a new one)."""
        data = args[0] if args and isinstance(args[0], dict) else None
        try:
            kind = CodeActionKind(str((data or {}).get("kind")))
            uri, (start, _, end, _) = str(data["uri"]), data["range"]  # type: ignore[index]
        except (KeyError, TypeError, ValueError) as exc:
            raise JsonRpcInvalidParams(
                "codex-lsp.runCodeAction needs the data of a codex-lsp code action "
                f"(kind, uri, range): {exc}"
            ) from exc
        document = self._server.workspace.get_text_document(uri)
        try:
            source = document.source
        except (OSError, ValueError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise JsonRpcInvalidParams(
                f"codex-lsp.runCodeAction: cannot read {document.path} ({reason}); "
                "open the file in the editor first"
            ) from exc
        raw = data.get("diagnostic") if data else None
        diagnostic = Diagnostic(**raw) if isinstance(raw, dict) else None
        prompt = code_action_prompt(kind, document.path, source, int(start), int(end), diagnostic)
        conversation_id = self._latest()
        if conversation_id is None:
            conversation_id = (await self.handle(names.NEW_CONVERSATION, {}))["conversationId"]
        items = [{"type": "text", "text": prompt}]
        result = await self.handle(
            names.USER_INPUT, {"conversationId": conversation_id, "items": items}
        )
        self._server.window_show_message(
            types.ShowMessageParams(
                type=types.MessageType.Info,
                message=f"codex-lsp: {kind.value} started for {Path(document.path).name}",
            )
        )
        return {"conversationId": conversation_id, **result}

    def _latest(self) -> str | None:
        """The most recently updated conversation open in this server."""
        live = self.manager.live()
        return max(live, key=lambda c: c.updated_at).id if live else None

    def start_mcp(self) -> None:
        """Apply ``log_level`` and start the configured MCP servers in the background (after
        ``initialized``)."""
        try:
            config = self.manager.load_config(r.NewConversationParams()).config
            self._log.set_level_name(config.log_level)
            self.manager.start_mcp(config)
        except CodexError as exc:
            self._show_error(f"MCP servers not started: {exc.message}")

    def _mcp_status(self, status: McpServerStatus) -> None:
        """Tell the client (``codex/mcpServerStatus``) and its log how a server is doing."""
        self._protocol.notify_json(names.MCP_SERVER_STATUS, status.to_wire_json())
        if status.state == "failed":
            message = f"MCP server {status.name} failed: {status.reason}"
            kind = types.MessageType.Warning
        else:
            message = f"MCP server {status.name}: {status.state}"
            kind = types.MessageType.Info
        self._server.window_log_message(types.LogMessageParams(type=kind, message=message))

    def _show_error(self, message: str) -> None:
        self._server.window_show_message(
            types.ShowMessageParams(type=types.MessageType.Error, message=message)
        )

    async def shutdown(self, timeout_s: float) -> None:
        """Shut every conversation, MCP server and the store down within ``timeout_s``."""
        await self.manager.shutdown_all(timeout_s)
