"""Every LSP method of the codex-lsp protocol, with its params and result types.

Front ends dispatch from this table, and the JSON Schema, the TypeScript declarations and the
docs check are generated from it, so a method cannot exist in one place and not the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from pydantic import BaseModel

from codex_lsp.protocol import ops, requests
from codex_lsp.protocol.events import Event
from codex_lsp.protocol.items import McpServerStatus
from codex_lsp.protocol.method_names import (
    ARCHIVE_CONVERSATION,
    COMPACT,
    DELETE_CONVERSATION,
    DOCTOR,
    EVENT,
    EXEC_APPROVAL,
    FORK_CONVERSATION,
    FUZZY_FILE_SEARCH,
    GET_CONFIG,
    INTERRUPT,
    KILL_TERMINAL,
    LIST_CONVERSATIONS,
    LIST_MCP_PROMPTS,
    LIST_MCP_SERVERS,
    LIST_MODELS,
    LIST_MODES,
    LIST_SKILLS,
    LIST_TERMINALS,
    MCP_SERVER_STATUS,
    NEW_CONVERSATION,
    OVERRIDE_TURN_CONTEXT,
    PATCH_APPROVAL,
    RENAME_CONVERSATION,
    REQUEST_USER_INPUT,
    RESTART_MCP_SERVER,
    RESUME_CONVERSATION,
    REVIEW,
    REWIND_CONVERSATION,
    SET_MODE,
    SHUTDOWN,
    UNDO_TURN,
    USER_INPUT,
    USER_TURN,
)


class Direction(StrEnum):
    """Who sends the message."""

    CLIENT_REQUEST = "client → server request"
    SERVER_REQUEST = "server → client request"
    SERVER_NOTIFICATION = "server → client notification"


@dataclass(frozen=True)
class Method:
    """One protocol method."""

    name: str
    direction: Direction
    params: type[BaseModel]
    result: type[BaseModel] | None
    op: type[BaseModel] | None = None


_C = Direction.CLIENT_REQUEST

METHODS: tuple[Method, ...] = (
    Method(NEW_CONVERSATION, _C, requests.NewConversationParams, requests.ConversationInfo),
    Method(
        RESUME_CONVERSATION,
        _C,
        requests.ResumeConversationParams,
        requests.ResumeConversationResult,
    ),
    Method(FORK_CONVERSATION, _C, requests.ForkConversationParams, requests.ConversationInfo),
    Method(
        LIST_CONVERSATIONS, _C, requests.ListConversationsParams, requests.ListConversationsResult
    ),
    Method(ARCHIVE_CONVERSATION, _C, requests.ArchiveConversationParams, requests.EmptyResult),
    Method(RENAME_CONVERSATION, _C, requests.RenameConversationParams, requests.EmptyResult),
    Method(DELETE_CONVERSATION, _C, requests.DeleteConversationParams, requests.EmptyResult),
    Method(FUZZY_FILE_SEARCH, _C, requests.FuzzyFileSearchParams, requests.FuzzyFileSearchResult),
    Method(GET_CONFIG, _C, requests.GetConfigParams, requests.GetConfigResult),
    Method(LIST_MODELS, _C, requests.ListModelsParams, requests.ListModelsResult),
    Method(LIST_SKILLS, _C, requests.ListSkillsParams, requests.ListSkillsResult),
    Method(LIST_MCP_PROMPTS, _C, requests.ListMcpPromptsParams, requests.ListMcpPromptsResult),
    Method(LIST_MODES, _C, requests.ListModesParams, requests.ListModesResult),
    Method(SET_MODE, _C, requests.SetModeParams, requests.SetModeResult),
    Method(DOCTOR, _C, requests.DoctorParams, requests.DoctorResult),
    Method(LIST_MCP_SERVERS, _C, requests.ListMcpServersParams, requests.ListMcpServersResult),
    Method(RESTART_MCP_SERVER, _C, requests.RestartMcpServerParams, requests.EmptyResult),
    Method(LIST_TERMINALS, _C, requests.ListTerminalsParams, requests.ListTerminalsResult),
    Method(KILL_TERMINAL, _C, requests.KillTerminalParams, requests.TerminalInfo),
    Method(USER_INPUT, _C, requests.UserInputParams, requests.SubmissionResult, ops.UserInputOp),
    Method(USER_TURN, _C, requests.UserTurnParams, requests.SubmissionResult, ops.UserTurnOp),
    Method(
        OVERRIDE_TURN_CONTEXT,
        _C,
        requests.OverrideTurnContextParams,
        requests.SubmissionResult,
        ops.OverrideTurnContextOp,
    ),
    Method(INTERRUPT, _C, requests.InterruptParams, requests.SubmissionResult, ops.InterruptOp),
    Method(COMPACT, _C, requests.CompactParams, requests.SubmissionResult, ops.CompactOp),
    Method(REVIEW, _C, requests.ReviewParams, requests.SubmissionResult, ops.ReviewOp),
    Method(UNDO_TURN, _C, requests.UndoTurnParams, requests.SubmissionResult, ops.UndoTurnOp),
    Method(
        REWIND_CONVERSATION,
        _C,
        requests.RewindConversationParams,
        requests.SubmissionResult,
        ops.RewindConversationOp,
    ),
    Method(SHUTDOWN, _C, requests.ShutdownParams, requests.SubmissionResult, ops.ShutdownOp),
    Method(EVENT, Direction.SERVER_NOTIFICATION, Event, None),
    Method(MCP_SERVER_STATUS, Direction.SERVER_NOTIFICATION, McpServerStatus, None),
    Method(
        EXEC_APPROVAL,
        Direction.SERVER_REQUEST,
        requests.ExecApprovalParams,
        requests.ApprovalResult,
    ),
    Method(
        PATCH_APPROVAL,
        Direction.SERVER_REQUEST,
        requests.PatchApprovalParams,
        requests.ApprovalResult,
    ),
    Method(
        REQUEST_USER_INPUT,
        Direction.SERVER_REQUEST,
        requests.RequestUserInputParams,
        requests.RequestUserInputResult,
    ),
)

METHODS_BY_NAME: dict[str, Method] = {m.name: m for m in METHODS}
