"""The heavy half of the language server: the conversation manager, params validation, event
delivery and approvals. :mod:`codex_lsp.lsp.server` imports this module on a worker thread after
``initialize`` has been answered, so editors get a fast cold start."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from lsprotocol import types
from pydantic import BaseModel, ValidationError
from pydantic.alias_generators import to_camel
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams, JsonRpcServerError
from pygls.lsp.server import LanguageServer

from codex_lsp.config.overrides import ConfigOverrides
from codex_lsp.config.report import entries
from codex_lsp.core import ConversationManager, info
from codex_lsp.core.code_actions import CodeActionKind, Diagnostic, code_action_prompt
from codex_lsp.errors import CodexError, ProtocolError, UnknownConversationError
from codex_lsp.lsp.approvals import ApprovalAnswer, ApprovalTarget, ClientApprover
from codex_lsp.lsp.editor_files import EditorSink
from codex_lsp.lsp.log_forward import LogForwarder
from codex_lsp.lsp.progress import TurnProgress
from codex_lsp.lsp.wire import CodexProtocol
from codex_lsp.protocol import method_names as names
from codex_lsp.protocol import requests as r
from codex_lsp.protocol.events import ErrorEvent, EventEnvelope, TaskCompleteEvent
from codex_lsp.protocol.items import McpServerStatus, TextInput
from codex_lsp.protocol.methods import METHODS, METHODS_BY_NAME, Method
from codex_lsp.protocol.policies import ReviewDecision
from codex_lsp.protocol.requests import ApprovalResult, ConversationScoped
from codex_lsp.tools import file_search

SETUP_ERROR_CODE = -32001
PLAIN_MESSAGE_MAX = 4000

Handler = Callable[[Any], Awaitable[BaseModel]]
"""A ``codex/*`` method's handler: its validated params in, its result model out."""
CommandHandler = Callable[[list[Any]], Awaitable[Any]]
"""A ``workspace/executeCommand`` command's handler: its positional arguments in, its result."""
H = TypeVar("H")


def one_table(*tables: Mapping[str, H]) -> dict[str, H]:
    """The tables merged; a name that two of them handle is a bug, refused at start-up."""
    merged: dict[str, H] = {}
    for table in tables:
        for name, handler in table.items():
            if name in merged:
                raise ValueError(f"{name} has two handlers")
            merged[name] = handler
    return merged


def _problems(exc: ValidationError, wire_names: bool = False) -> str:
    """Each bad field and what is wrong with it; ``wire_names`` turns the top-level field of a
    model built from Python names into its camelCase wire name."""
    found = []
    for error in exc.errors():
        loc = [str(p) for p in error["loc"]]
        if wire_names and loc:
            loc[0] = to_camel(loc[0])
        found.append(f"{'.'.join(loc) or 'params'}: {error['msg']}")
    return "; ".join(found)


def parse_params(model: type[BaseModel], raw: Any) -> Any:
    """Validate ``raw`` or raise InvalidParams naming each bad field."""
    try:
        if raw is None or raw == []:  # Lua clients encode an empty table as []
            raw = {}
        params = model.model_validate(raw)
    except ValidationError as exc:
        problems = _problems(exc)
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


@contextmanager
def built_from_arguments() -> Iterator[None]:
    """Params a command builds from its arguments: a bad value is InvalidParams naming the
    field, as if the client had sent the request itself."""
    try:
        yield
    except ValidationError as exc:
        problems = _problems(exc, wire_names=True)
        raise JsonRpcInvalidParams(f"invalid params for {exc.title}: {problems}") from exc


def wire(result: BaseModel) -> dict[str, Any]:
    """A result as the client gets it (camelCase, no nulls)."""
    return result.model_dump(by_alias=True, exclude_none=True, mode="json")


def conversation_arg(command: str, args: list[Any], index: int) -> str | None:
    """The optional conversationId argument of a command at ``index``."""
    value = args[index] if len(args) > index else None
    if value is None or isinstance(value, str):
        return value
    raise JsonRpcInvalidParams(
        f"{command}: argument {index + 1} must be a conversationId (a string), "
        f"not {json.dumps(value)[:60]}"
    )


def _positional(command: str, args: list[Any]) -> tuple[ReviewDecision, str | None, Any]:
    """The decision, conversationId and rejectedHunks of ``codex-lsp.approve [decision]
    [conversationId] [rejectedHunks]`` / ``codex-lsp.deny [conversationId]``."""
    if command == "deny":
        decision, rest = ReviewDecision.DENIED, args
    else:
        first = args[0] if args else "approved"
        try:
            decision, rest = ReviewDecision(first), args[1:]
        except ValueError:
            decision, rest = ReviewDecision.APPROVED, args
    conversation_id = rest[0] if rest and isinstance(rest[0], str) else None
    return decision, conversation_id, rest[1] if len(rest) > 1 and command == "approve" else {}


def to_rpc_error(exc: CodexError) -> JsonRpcException:
    """UNKNOWN_CONVERSATION_CODE for a conversation id this server does not have, InvalidParams
    for other client mistakes, -32001 for configuration and provider set-up."""
    if isinstance(exc, UnknownConversationError):
        return JsonRpcServerError(exc.message, names.UNKNOWN_CONVERSATION_CODE)  # type: ignore[no-untyped-call]
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
        self.methods: dict[str, Handler] = self._method_table()
        self.commands: dict[str, CommandHandler] = self._command_table()

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

    def _method_table(self) -> dict[str, Handler]:
        """Every ``codex/*`` client request → its handler (each Op method submits its Op)."""
        manager = self.manager
        ops: dict[str, Handler] = {m.name: partial(self._submit, m) for m in METHODS if m.op}
        return one_table(
            ops,
            {
                names.NEW_CONVERSATION: self._new_conversation,
                names.RESUME_CONVERSATION: self._resume,
                names.FORK_CONVERSATION: self._fork,
                names.LIST_CONVERSATIONS: manager.list_conversations,
                names.ARCHIVE_CONVERSATION: self._archive,
                names.RENAME_CONVERSATION: self._rename,
                names.DELETE_CONVERSATION: self._delete,
                names.GET_CONFIG: self._get_config,
                names.LIST_MCP_SERVERS: self._list_mcp_servers,
                names.RESTART_MCP_SERVER: self._restart_mcp_server,
                names.FUZZY_FILE_SEARCH: self._fuzzy_file_search,
            },
        )

    def _command_table(self) -> dict[str, CommandHandler]:
        """Every advertised ``workspace/executeCommand`` command → its handler."""
        return {
            "codex-lsp.newConversation": self._new_conversation_command,
            "codex-lsp.sendPrompt": self._send_prompt_command,
            "codex-lsp.interrupt": partial(
                self._op_command, "codex-lsp.interrupt", names.INTERRUPT
            ),
            "codex-lsp.compact": partial(self._op_command, "codex-lsp.compact", names.COMPACT),
            "codex-lsp.undoTurn": partial(self._op_command, "codex-lsp.undoTurn", names.UNDO_TURN),
            "codex-lsp.listConversations": self._list_conversations_command,
            "codex-lsp.approve": partial(self._answer_pending, "approve"),
            "codex-lsp.deny": partial(self._answer_pending, "deny"),
            "codex-lsp.runCodeAction": self._run_code_action,
            "codex-lsp.openChangedFiles": self._open_changed_files_command,
        }

    async def handle(self, method_name: str, raw: Any) -> dict[str, Any]:
        """Validate, dispatch, convert; CodexErrors become JSON-RPC errors."""
        params = parse_params(METHODS_BY_NAME[method_name].params, raw)
        try:
            result = await self.methods[method_name](params)
        except CodexError as exc:
            raise to_rpc_error(exc) from exc
        return wire(result)

    async def run_command(self, name: str, args: list[Any]) -> Any:
        """``workspace/executeCommand``: the Ops for clients without a plugin. The conversation
        defaults to the most recent one (``sendPrompt`` starts one when there is none)."""
        try:
            return await self.commands[name](args)
        except CodexError as exc:
            raise to_rpc_error(exc) from exc

    async def _submit(self, method: Method, params: ConversationScoped) -> r.SubmissionResult:
        """An Op method: the params without the conversation id are the Op."""
        assert method.op is not None
        op = method.op.model_validate(params.model_dump(exclude={"conversation_id"}))
        conversation = self.manager.get(params.conversation_id)
        return r.SubmissionResult(submission_id=conversation.submit(op))  # type: ignore[arg-type]

    async def _new_conversation(self, params: r.NewConversationParams) -> r.ConversationInfo:
        return info(await self.manager.new_conversation(params))

    async def _resume(self, params: r.ResumeConversationParams) -> r.ResumeConversationResult:
        return await self.manager.resume(params.conversation_id)

    async def _fork(self, params: r.ForkConversationParams) -> r.ConversationInfo:
        return info(await self.manager.fork(params.conversation_id, params.turn_id))

    async def _archive(self, params: r.ArchiveConversationParams) -> r.EmptyResult:
        await self.manager.archive(params.conversation_id, params.archived)
        return r.EmptyResult()

    async def _rename(self, params: r.RenameConversationParams) -> r.EmptyResult:
        await self.manager.rename(params.conversation_id, params.title)
        return r.EmptyResult()

    async def _delete(self, params: r.DeleteConversationParams) -> r.EmptyResult:
        await self.manager.delete(params.conversation_id)
        return r.EmptyResult()

    async def _get_config(self, params: r.GetConfigParams) -> r.GetConfigResult:
        profile = {"profile": params.profile} if params.profile else None
        loaded = self.manager.load_config(r.NewConversationParams(cwd=params.cwd, config=profile))
        return r.GetConfigResult(
            entries=[
                r.ConfigEntry(key=e.key, value=e.value, origin=e.origin) for e in entries(loaded)
            ],
            warnings=loaded.warnings,
        )

    async def _list_mcp_servers(self, params: r.ListMcpServersParams) -> r.ListMcpServersResult:
        return r.ListMcpServersResult(servers=self.manager.mcp.statuses())

    async def _restart_mcp_server(self, params: r.RestartMcpServerParams) -> r.EmptyResult:
        self.manager.mcp.restart(params.name)
        return r.EmptyResult()

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

    async def _new_conversation_command(self, args: list[Any]) -> dict[str, Any]:
        """``codex-lsp.newConversation [params]``."""
        options = args[0] if args and isinstance(args[0], dict) else {}
        return wire(await self._new_conversation(parse_params(r.NewConversationParams, options)))

    async def _list_conversations_command(self, args: list[Any]) -> dict[str, Any]:
        """``codex-lsp.listConversations``."""
        return wire(await self.manager.list_conversations(r.ListConversationsParams()))

    async def _send_prompt_command(self, args: list[Any]) -> dict[str, Any]:
        """``codex-lsp.sendPrompt text [conversationId]``: a new conversation when there is none."""
        if not args or not isinstance(args[0], str) or not args[0].strip():
            raise JsonRpcInvalidParams(
                "codex-lsp.sendPrompt needs the prompt text as its first argument"
            )
        conversation_id = conversation_arg("codex-lsp.sendPrompt", args, 1)
        return await self._start_turn(args[0], conversation_id)

    async def _start_turn(self, prompt: str, conversation_id: str | None) -> dict[str, Any]:
        """Send ``prompt`` to the conversation (the most recent one, else a new one)."""
        conversation_id = conversation_id or self._latest()
        if conversation_id is None:
            started = await self._new_conversation(r.NewConversationParams())
            conversation_id = started.conversation_id
        params = r.UserInputParams(conversation_id=conversation_id, items=[TextInput(text=prompt)])
        result = await self._submit(METHODS_BY_NAME[names.USER_INPUT], params)
        return {"conversationId": conversation_id, **wire(result)}

    async def _op_command(self, command: str, method_name: str, args: list[Any]) -> dict[str, Any]:
        """``codex-lsp.interrupt|compact [conversationId]``, ``codex-lsp.undoTurn
        [conversationId] [numTurns | turnId]``."""
        conversation_id = args[0] if args and isinstance(args[0], str) else self._latest()
        if conversation_id is None:
            raise JsonRpcInvalidParams(
                f"{command}: there is no conversation; start one with codex-lsp.sendPrompt"
            )
        method = METHODS_BY_NAME[method_name]
        fields: dict[str, Any] = {"conversation_id": conversation_id}
        if method_name == names.UNDO_TURN and len(args) > 1:
            fields["turn_id" if isinstance(args[1], str) else "num_turns"] = args[1]
        with built_from_arguments():
            params = method.params(**fields)
        assert isinstance(params, ConversationScoped)
        return {"conversationId": conversation_id, **wire(await self._submit(method, params))}

    async def _open_changed_files_command(self, args: list[Any]) -> dict[str, Any]:
        """``codex-lsp.openChangedFiles [conversationId]``."""
        return await self.open_changed_files(
            conversation_arg("codex-lsp.openChangedFiles", args, 0)
        )

    async def _answer_pending(self, command: str, args: list[Any]) -> dict[str, str]:
        """``codex-lsp.approve`` / ``codex-lsp.deny``: answer the pending approval request
        that ``{"callId", "conversationId"?, "decision"?, "rejectedHunks"?}`` names, or, from a
        keybinding (``approve [decision] [conversationId] [rejectedHunks]``, ``deny
        [conversationId]``), the only pending one."""
        if args and isinstance(args[0], dict):
            target = parse_params(
                ApprovalAnswer if command == "approve" else ApprovalTarget, args[0]
            )
            call_id, conversation_id = target.call_id, target.conversation_id
            decision = target.decision if command == "approve" else ReviewDecision.DENIED
            hunks = target.rejected_hunks if command == "approve" else {}
        else:
            call_id, (decision, conversation_id, hunks) = None, _positional(command, args)
        try:
            result = ApprovalResult(decision=decision, rejected_hunks=hunks)
        except ValidationError as exc:
            raise JsonRpcInvalidParams(
                f"codex-lsp.approve: rejectedHunks must map file paths to hunk indices: {exc}"
            ) from exc
        try:
            self.approver.answer(result, call_id, conversation_id)
        except ProtocolError as exc:
            raise JsonRpcInvalidParams(f"codex-lsp.{command}: {exc.message}") from exc
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
        result = await self._start_turn(prompt, None)
        self._server.window_show_message(
            types.ShowMessageParams(
                type=types.MessageType.Info,
                message=f"codex-lsp: {kind.value} started for {Path(document.path).name}",
            )
        )
        return result

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
