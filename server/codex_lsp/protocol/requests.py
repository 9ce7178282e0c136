"""Params and results of the LSP requests that are not Ops."""

from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from codex_lsp.protocol.base import WireModel
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
    Title,
    WirePath,
)
from codex_lsp.protocol.modes import Mode, ModeId
from codex_lsp.protocol.ops import TurnContextOverrides
from codex_lsp.protocol.policies import (
    AskForApproval,
    ReasoningEffort,
    ReasoningSummary,
    ReviewDecision,
    SandboxMode,
)


class ConversationScoped(WireModel):
    """Names the conversation a request is for."""

    conversation_id: Identifier


class NewConversationParams(WireModel):
    """Start a conversation. Every field is optional and overrides the configuration."""

    cwd: WirePath | None = None
    model: Name | None = None
    model_provider: Name | None = None
    approval_policy: AskForApproval | None = None
    sandbox: SandboxMode | None = None
    reasoning_effort: ReasoningEffort | None = None
    reasoning_summary: ReasoningSummary | None = None
    base_instructions: str | None = None
    config: dict[str, Any] | None = Field(
        default=None, description="Extra config keys (dotted names allowed), as with -c."
    )


class ConversationInfo(WireModel):
    """What a client needs to show a conversation."""

    conversation_id: str
    model: str
    model_provider: str
    cwd: Path
    forked_from_id: str | None = None


class ResumeConversationParams(ConversationScoped):
    """Reattach to a conversation and get its events replayed."""


class ResumeConversationResult(ConversationInfo):
    """The conversation plus every event needed to redraw it, oldest first."""

    initial_messages: list[dict[str, Any]]
    undoable_turn_ids: list[str] = Field(
        default=[],
        description="The turns whose file changes codex/undoTurn can still take back, oldest "
        "first (clients offer undo on these, not on every turn that changed files).",
    )


class ForkConversationParams(ConversationScoped):
    """Start a new conversation from the history of another, up to and including ``turnId``
    (all of it when absent)."""

    turn_id: Identifier | None = None


class ListConversationsParams(WireModel):
    """Page through stored conversations, most recently updated first. By default only those
    of the workspace (started in ``cwd``, or the workspace root, or a folder below it)."""

    cursor: Identifier | None = None
    page_size: int = Field(default=50, ge=1, le=500)
    cwd: WirePath | None = None
    all_workspaces: bool = Field(default=False, description="List every workspace's.")
    archived: bool = Field(default=False, description="List archived conversations instead.")


class ConversationSummary(ConversationInfo):
    """One row of ``codex/listConversations``. Times are Unix seconds."""

    title: str
    preview: str
    created_at: float
    updated_at: float
    turn_count: int
    archived: bool
    running: bool


class ListConversationsResult(WireModel):
    """A page of conversations; pass ``nextCursor`` back for the next page."""

    items: list[ConversationSummary]
    next_cursor: str | None = None


class ArchiveConversationParams(ConversationScoped):
    """Close a conversation and hide it from the default list (``archived: false`` brings it
    back). Nothing is deleted."""

    archived: bool = True


class RenameConversationParams(ConversationScoped):
    """Give a conversation the title a user chose."""

    title: Title


class DeleteConversationParams(ConversationScoped):
    """Close a conversation and delete it from the store for good."""


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


class ListTerminalsParams(WireModel):
    """``codex/listTerminals``: the commands ``exec_command`` left running."""

    conversation_id: Identifier | None = Field(
        default=None, description="Only this conversation's terminals (all live ones if absent)."
    )


class TerminalInfo(WireModel):
    """One terminal: a command started by ``exec_command`` that outlives its tool call."""

    conversation_id: str
    terminal_id: int = Field(description="The id the model polls it by (its ``session_id``).")
    command: list[str]
    cwd: str
    tty: bool
    call_id: str = Field(description="The ``exec_command`` call that started it (its item's).")
    running: bool
    exit_code: int | None = None
    started_ms_ago: int
    output: str = Field(description="Its output so far (head and tail when long).")


class ListTerminalsResult(WireModel):
    """The running terminals, oldest first."""

    terminals: list[TerminalInfo]


class KillTerminalParams(ConversationScoped):
    """``codex/killTerminal``: end a terminal and every process its command started."""

    terminal_id: int


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


class ListSkillsParams(WireModel):
    """``codex/listSkills``: the skills a conversation in ``cwd`` would be told about."""

    cwd: WirePath | None = None


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


class SkillEntry(WireModel):
    """One skill: a folder with a SKILL.md whose front matter names and describes it."""

    name: str
    description: str
    path: str = Field(description="Its SKILL.md.")
    scope: Literal["project", "user"]
    enabled: bool = Field(description="False when [skills] disabled lists it.")


class ListSkillsResult(WireModel):
    """The skills found, in precedence order (a name found twice is listed once, the first);
    ``errors`` names each SKILL.md that was passed over and why."""

    skills: list[SkillEntry]
    errors: list[str] = []


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


class UserInputAnswer(WireModel):
    """The answers to one question: the chosen option's label, or the user's own words."""

    answers: list[str] = Field(max_length=10)


class RequestUserInputResult(WireModel):
    """The client's answer: by question id. Questions left out are unanswered; an empty map
    (or an error) means the user dismissed the questions."""

    answers: dict[str, UserInputAnswer] = Field(default_factory=dict)


class ApprovalResult(WireModel):
    """The client's answer to an approval request."""

    decision: ReviewDecision
    rejected_hunks: dict[str, list[int]] = Field(
        default_factory=dict,
        description="For an approved patch: per file, the hunks the user rejected (0-based, in "
        "the order of the file's unifiedDiff; 0 stands for a whole added or deleted file). The "
        "rest is applied, and the model is told what was rejected.",
    )
