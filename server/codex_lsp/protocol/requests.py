"""Params and results of the LSP requests that are not Ops.

Every request model can be imported from here. The ones the core needs on every turn live in
smaller modules of their own (:mod:`~codex_lsp.protocol.conversations`,
:mod:`~codex_lsp.protocol.answers`, :mod:`~codex_lsp.protocol.terminals`,
:mod:`~codex_lsp.protocol.skills`) and are re-exported here: this module's ~50 other models cost
a headless turn ~5 ms to define, so the core imports those smaller modules instead."""

from typing import Any, Literal

from pydantic import Field

from codex_lsp.protocol.answers import ApprovalResult, RequestUserInputResult, UserInputAnswer
from codex_lsp.protocol.base import WireModel
from codex_lsp.protocol.conversations import (
    ArchiveConversationParams,
    ConversationInfo,
    ConversationScoped,
    ConversationSummary,
    DeleteConversationParams,
    ForkConversationParams,
    ListConversationsParams,
    ListConversationsResult,
    NewConversationParams,
    RenameConversationParams,
    ResumeConversationParams,
    ResumeConversationResult,
)
from codex_lsp.protocol.events import (
    ApplyPatchApprovalRequestEvent,
    ExecApprovalRequestEvent,
    RequestUserInputEvent,
)
from codex_lsp.protocol.items import McpServerStatus, ReviewRequest, UserInputItems
from codex_lsp.protocol.limits import (
    QUERY_MAX_CHARS,
    SEARCH_ROOTS_MAX,
    Identifier,
    Name,
    OutputSchema,
    WirePath,
)
from codex_lsp.protocol.modes import Mode, ModeId
from codex_lsp.protocol.ops import TurnContextOverrides
from codex_lsp.protocol.policies import ReasoningEffort
from codex_lsp.protocol.skills import ListSkillsParams, ListSkillsResult, SkillEntry
from codex_lsp.protocol.terminals import (
    KillTerminalParams,
    ListTerminalsParams,
    ListTerminalsResult,
    TerminalInfo,
)


class FuzzyFileSearchParams(WireModel):
    """Rank files for an @-mention: ``query`` as a subsequence of their paths."""

    query: str = Field(max_length=QUERY_MAX_CHARS)
    roots: list[WirePath] = Field(
        default=[],
        max_length=SEARCH_ROOTS_MAX,
        description="Folders to search; the workspace by default.",
    )
    limit: int = Field(default=50, ge=1, le=500)


class FuzzyFileMatch(WireModel):
    """One ranked file: ``indices`` are the matched characters of ``path`` (relative to root)."""

    path: str
    root: str
    score: float
    indices: list[int]


class FuzzyFileSearchResult(WireModel):
    """Best matches first."""

    files: list[FuzzyFileMatch]


class GetConfigParams(WireModel):
    """The configuration a new conversation in ``cwd`` would get (workspace folder by default)."""

    cwd: WirePath | None = None
    profile: Name | None = None


class ConfigEntry(WireModel):
    """One effective value (secrets redacted) and where it came from."""

    key: str
    value: Any = None
    origin: str


class GetConfigResult(WireModel):
    """Every effective value, and warnings about the configuration (unknown keys, ignored ones)."""

    entries: list[ConfigEntry]
    warnings: list[str]


class ListMcpServersParams(WireModel):
    """``codex/listMcpServers``: the configured MCP servers and their state."""


class ListMcpServersResult(WireModel):
    """Every configured MCP server, in config order."""

    servers: list[McpServerStatus]


class RestartMcpServerParams(WireModel):
    """``codex/restartMcpServer``: stop a configured MCP server and start it again now."""

    name: str = Field(min_length=1)


class ListModelsParams(WireModel):
    """``codex/listModels``: the models a provider offers, for a model picker."""

    cwd: WirePath | None = None
    model_provider: Name | None = Field(
        default=None, description="Another provider than the configured one."
    )


class ModelEntry(WireModel):
    """One model a picker offers."""

    id: str
    display_name: str | None = None
    context_window: int | None = Field(default=None, description="Tokens, when known.")
    reasoning_efforts: list[ReasoningEffort] | None = Field(
        default=None,
        description="The efforts it accepts ([]: not a reasoning model); absent when unknown.",
    )


class ListModelsResult(WireModel):
    """The provider's own list (``source: provider``), or the built-in one (``builtIn``) with a
    ``note`` saying why the provider's could not be had."""

    provider: str
    model: str = Field(description="The model new conversations get; empty when none is set.")
    source: Literal["provider", "builtIn"]
    models: list[ModelEntry]
    note: str | None = None


class ListModesParams(WireModel):
    """``codex/listModes``: the approval presets, and a conversation's current one."""

    conversation_id: Identifier | None = None


class ListModesResult(WireModel):
    """The presets in display order; ``current`` is the conversation's (absent without one, or
    when its policies were set by hand to another combination)."""

    modes: list[Mode]
    current: ModeId | None = None


class SetModeParams(ConversationScoped):
    """``codex/setMode``: switch a conversation's preset; its next turn runs under it."""

    mode: ModeId


class SetModeResult(WireModel):
    """The switch was queued (``submissionId`` as for an Op); ``warning`` is what the user must
    be told before going on (full access)."""

    submission_id: str
    mode: Mode
    warning: str | None = None


class ListMcpPromptsParams(WireModel):
    """``codex/listMcpPrompts``: the prompts of the running MCP servers, as slash commands."""


class McpPromptArgument(WireModel):
    """An argument an MCP prompt takes."""

    name: str
    description: str | None = None
    required: bool = False


class McpPromptEntry(WireModel):
    """One prompt: typed as ``/<command> args`` it is replaced by the text the server fills in."""

    command: str = Field(
        description="The slash command, without the slash: mcp__<server>__<prompt>."
    )
    server: str
    name: str = Field(description="The prompt's name on its server.")
    description: str | None = None
    arguments: list[McpPromptArgument] = []


class ListMcpPromptsResult(WireModel):
    """The prompts of the servers that are running, in config order."""

    prompts: list[McpPromptEntry]


class ListSpecsParams(WireModel):
    """``codex/listSpecs``: the spec-kit SPECs of the workspace, for a composer's completion of
    ``/speckit.<name> <SPEC>``."""


class SpecEntry(WireModel):
    """One SPEC: its id, its folder (relative to the workspace), its tracker title and status."""

    spec_id: str
    directory: str
    title: str
    status: str


class ListSpecsResult(WireModel):
    """The SPECs found, in the layout's order."""

    specs: list[SpecEntry]


DoctorCheck = Literal["config", "provider", "store", "mcp", "editor", "sandbox"]


class DoctorParams(WireModel):
    """``codex/doctor``: the checks of ``codex-lsp doctor``, on this server's configuration."""

    cwd: WirePath | None = None
    checks: list[DoctorCheck] | None = Field(
        default=None, description="The checks to run (config always runs); every one when absent."
    )


class DoctorFinding(WireModel):
    """One line of ``codex-lsp doctor``."""

    verdict: Literal["ok", "warn", "fail"]
    area: str
    detail: str


class DoctorResult(WireModel):
    """Every finding, in order; ``ok`` is false when any check failed."""

    ok: bool
    findings: list[DoctorFinding]


class EmptyResult(WireModel):
    """A request that answers with nothing but success."""


class SubmissionResult(WireModel):
    """An Op was accepted; its events carry this ``submissionId``."""

    submission_id: str


class UserInputParams(ConversationScoped):
    """``codex/userInput``: send input (steers a running turn)."""

    items: UserInputItems


class UserTurnParams(ConversationScoped, TurnContextOverrides):
    """``codex/userTurn``: send input with per-turn settings."""

    items: UserInputItems
    output_schema: OutputSchema | None = Field(
        default=None,
        description="A JSON Schema the turn's final answer must match: sent to the provider as "
        "its structured output (Responses text.format, Chat response_format, Anthropic a "
        "forced tool); Codex's final_output_json_schema.",
    )


class OverrideTurnContextParams(ConversationScoped, TurnContextOverrides):
    """``codex/overrideTurnContext``: change settings for the next turns."""


class InterruptParams(ConversationScoped):
    """``codex/interrupt``: stop the running turn."""


class CompactParams(ConversationScoped):
    """``codex/compact``: summarise the history."""


class ReviewParams(ConversationScoped):
    """``codex/review``: run a code review."""

    review_request: ReviewRequest


class RewindConversationParams(ConversationScoped):
    """``codex/rewindConversation``: drop a turn and every later one from the conversation."""

    turn_id: Identifier
    restore_files: bool = Field(
        default=False,
        description="Also take back the files those turns changed (as codex/undoTurn does).",
    )


class UndoTurnParams(ConversationScoped):
    """``codex/undoTurn``: restore the files the last turns changed."""

    num_turns: int = Field(default=1, ge=1, le=100)
    turn_id: Identifier | None = Field(
        default=None,
        description="Undo this turn and every later one instead of the last numTurns.",
    )


class ShutdownParams(ConversationScoped):
    """``codex/shutdown``: stop the conversation."""


class ExecApprovalParams(ExecApprovalRequestEvent):
    """Server → client ``codex/execApproval``: may this command run?"""

    conversation_id: str


class PatchApprovalParams(ApplyPatchApprovalRequestEvent):
    """Server → client ``codex/patchApproval``: may this patch be applied?"""

    conversation_id: str


class RequestUserInputParams(RequestUserInputEvent):
    """Server → client ``codex/requestUserInput``: the model's questions."""

    conversation_id: str


__all__ = [
    "ApprovalResult",
    "ArchiveConversationParams",
    "CompactParams",
    "ConfigEntry",
    "ConversationInfo",
    "ConversationScoped",
    "ConversationSummary",
    "DeleteConversationParams",
    "DoctorCheck",
    "DoctorFinding",
    "DoctorParams",
    "DoctorResult",
    "EmptyResult",
    "ExecApprovalParams",
    "ForkConversationParams",
    "FuzzyFileMatch",
    "FuzzyFileSearchParams",
    "FuzzyFileSearchResult",
    "GetConfigParams",
    "GetConfigResult",
    "InterruptParams",
    "KillTerminalParams",
    "ListConversationsParams",
    "ListConversationsResult",
    "ListMcpPromptsParams",
    "ListMcpPromptsResult",
    "ListMcpServersParams",
    "ListMcpServersResult",
    "ListModelsParams",
    "ListModelsResult",
    "ListModesParams",
    "ListModesResult",
    "ListSkillsParams",
    "ListSkillsResult",
    "ListSpecsParams",
    "ListSpecsResult",
    "ListTerminalsParams",
    "ListTerminalsResult",
    "McpPromptArgument",
    "McpPromptEntry",
    "ModelEntry",
    "NewConversationParams",
    "OverrideTurnContextParams",
    "PatchApprovalParams",
    "RenameConversationParams",
    "RequestUserInputParams",
    "RequestUserInputResult",
    "RestartMcpServerParams",
    "ResumeConversationParams",
    "ResumeConversationResult",
    "ReviewParams",
    "RewindConversationParams",
    "SetModeParams",
    "SetModeResult",
    "ShutdownParams",
    "SkillEntry",
    "SpecEntry",
    "SubmissionResult",
    "TerminalInfo",
    "UndoTurnParams",
    "UserInputAnswer",
    "UserInputParams",
    "UserTurnParams",
]
