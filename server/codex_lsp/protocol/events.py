"""Events: everything the agent tells a client (Codex's event queue).

A client receives each one as the ``msg`` of a ``codex/event`` notification. ``type`` is the
lowerCamelCase event name. Events that build one item (a message, a reasoning block, a command, a
patch, a tool call) carry ``turnId`` and ``itemId``; ``itemStarted`` / ``itemCompleted`` bracket
every item, so a client can render from items alone and treat the rest as live detail.
"""

import json
from pathlib import Path
from typing import Annotated, Any, Literal, NamedTuple

from pydantic import Field

from codex_lsp.protocol.base import WireModel
from codex_lsp.protocol.items import (
    ContextCompactionItem,
    ExecOutputStream,
    FileChange,
    ItemStatus,
    McpInvocation,
    ParsedCommand,
    PlanItem,
    ReviewOutput,
    ReviewTarget,
    StopReason,
    TokenUsageInfo,
    TurnItem,
    UserInputItem,
)
from codex_lsp.protocol.modes import ModeId
from codex_lsp.protocol.policies import (
    AskForApproval,
    ReasoningEffort,
    ReasoningSummary,
    SandboxPolicy,
)
from codex_lsp.protocol.speckit_events import (
    SpeckitAgentAnsweredEvent,
    SpeckitAgentRetryEvent,
    SpeckitAgentStartedEvent,
    SpeckitAutoProgressEvent,
    SpeckitConsensusEvent,
    SpeckitCostEvent,
    SpeckitGateEvent,
    SpeckitStageCompletedEvent,
    SpeckitStageStartedEvent,
)

_EventMsgModel = WireModel


class _ItemEvent(WireModel):
    """Fields shared by every event that belongs to one item of one turn."""

    turn_id: str
    item_id: str


# ---------------------------------------------------------------- session and turn lifecycle


class SessionConfiguredEvent(WireModel):
    """First event of a conversation: the settings it runs with."""

    type: Literal["sessionConfigured"] = "sessionConfigured"
    session_id: str
    model: str
    model_provider_id: str
    approval_policy: AskForApproval
    sandbox_policy: SandboxPolicy
    cwd: Path
    reasoning_effort: ReasoningEffort | None = None
    reasoning_summary: ReasoningSummary | None = None
    forked_from_id: str | None = None
    initial_messages: list[dict[str, Any]] | None = None
    mode: ModeId | None = Field(
        default=None,
        description="The approval preset these policies are (codex/listModes); absent when "
        "they are another combination.",
    )


class TaskStartedEvent(WireModel):
    """A turn began."""

    type: Literal["taskStarted"] = "taskStarted"
    turn_id: str
    model_context_window: int | None = None


class TaskCompleteEvent(WireModel):
    """A turn finished; ``lastAgentMessage`` is its final answer."""

    type: Literal["taskComplete"] = "taskComplete"
    turn_id: str
    last_agent_message: str | None = None
    duration_ms: int | None = None
    stop_reason: StopReason | None = Field(
        default=None,
        description="Set when the model stopped early: maxTokens (cut off at its output limit) "
        "or refusal; absent when it finished its answer.",
    )
    undoable: bool | None = Field(
        default=None,
        description="True when the turn changed files and codex/undoTurn can take them back "
        "(its snapshot is stored); absent otherwise.",
    )


class TurnAbortedEvent(WireModel):
    """A turn stopped early: ``interrupted`` by the user, ``replaced`` by a new task, or
    ``reviewEnded``. ``returnedInput`` gives back the input the user sent into the turn that the
    model never saw (an interrupt drops it; a client puts it back in its composer)."""

    type: Literal["turnAborted"] = "turnAborted"
    turn_id: str | None = None
    reason: Literal["interrupted", "replaced", "reviewEnded"]
    returned_input: list[list[UserInputItem]] | None = None
    undoable: bool | None = Field(
        default=None,
        description="True when the turn changed files before it stopped and codex/undoTurn can "
        "take them back.",
    )


class ShutdownCompleteEvent(WireModel):
    """The conversation stopped; no more events follow."""

    type: Literal["shutdownComplete"] = "shutdownComplete"


# ---------------------------------------------------------------- items


class ItemStartedEvent(WireModel):
    """An item began; ``item`` shows its initial state."""

    type: Literal["itemStarted"] = "itemStarted"
    turn_id: str
    item: TurnItem


class ItemCompletedEvent(WireModel):
    """An item is final; ``item`` shows its final state."""

    type: Literal["itemCompleted"] = "itemCompleted"
    turn_id: str
    item: TurnItem


class UserMessageEvent(_ItemEvent):
    """The user's message as they typed it; the files it mentions and the images it attaches
    (``data:`` URLs are left out of ``images``) are listed beside it."""

    type: Literal["userMessage"] = "userMessage"
    message: str
    images: list[str] = []
    local_images: list[str] = []
    mentions: list[str] = Field(
        default=[],
        description="Files @-mentioned and editor context (``@selection``…) the model was given.",
    )


class AgentMessageDeltaEvent(_ItemEvent):
    """A piece of the agent's message as it streams."""

    type: Literal["agentMessageDelta"] = "agentMessageDelta"
    delta: str


class AgentMessageEvent(_ItemEvent):
    """The agent's complete message."""

    type: Literal["agentMessage"] = "agentMessage"
    message: str


class AgentReasoningDeltaEvent(_ItemEvent):
    """A piece of the reasoning summary as it streams."""

    type: Literal["agentReasoningDelta"] = "agentReasoningDelta"
    delta: str
    summary_index: int = 0


class AgentReasoningEvent(_ItemEvent):
    """A complete reasoning summary paragraph."""

    type: Literal["agentReasoning"] = "agentReasoning"
    text: str


class AgentReasoningRawContentDeltaEvent(_ItemEvent):
    """A piece of raw reasoning text (open-weight models, Anthropic thinking)."""

    type: Literal["agentReasoningRawContentDelta"] = "agentReasoningRawContentDelta"
    delta: str


class AgentReasoningRawContentEvent(_ItemEvent):
    """Complete raw reasoning text."""

    type: Literal["agentReasoningRawContent"] = "agentReasoningRawContent"
    text: str


class AgentReasoningSectionBreakEvent(_ItemEvent):
    """A new reasoning summary paragraph starts."""

    type: Literal["agentReasoningSectionBreak"] = "agentReasoningSectionBreak"
    summary_index: int


class PlanUpdateEvent(_ItemEvent):
    """The agent's plan changed."""

    type: Literal["planUpdate"] = "planUpdate"
    explanation: str | None = None
    plan: list[PlanItem]


class TokenCountEvent(WireModel):
    """Token usage after a model response."""

    type: Literal["tokenCount"] = "tokenCount"
    info: TokenUsageInfo | None = None


class ExecCommandBeginEvent(_ItemEvent):
    """A command starts."""

    type: Literal["execCommandBegin"] = "execCommandBegin"
    call_id: str
    command: list[str]
    cwd: str
    parsed_cmd: list[ParsedCommand] = []
    terminal_id: int | None = None
    """Set for a terminal of ``exec_command``: its output and end may come after the turn."""


class ExecCommandOutputDeltaEvent(_ItemEvent):
    """Output of a running command (UTF-8 text, decoded without splitting characters)."""

    type: Literal["execCommandOutputDelta"] = "execCommandOutputDelta"
    call_id: str
    stream: ExecOutputStream
    chunk: str
    terminal_id: int | None = None


class ExecCommandEndEvent(_ItemEvent):
    """A command finished."""

    type: Literal["execCommandEnd"] = "execCommandEnd"
    call_id: str
    command: list[str]
    cwd: str
    stdout: str
    stderr: str
    aggregated_output: str
    exit_code: int
    duration_ms: int
    formatted_output: str
    status: ItemStatus
    terminal_id: int | None = None


class ExecApprovalRequestEvent(_ItemEvent):
    """The agent asks to run a command; the client answers through ``codex/execApproval``."""

    type: Literal["execApprovalRequest"] = "execApprovalRequest"
    call_id: str
    command: list[str]
    cwd: str
    reason: str | None = None
    parsed_cmd: list[ParsedCommand] = []


class ApplyPatchApprovalRequestEvent(_ItemEvent):
    """The agent asks to apply a patch; the client answers through ``codex/patchApproval``."""

    type: Literal["applyPatchApprovalRequest"] = "applyPatchApprovalRequest"
    call_id: str
    changes: dict[str, FileChange]
    reason: str | None = None
    grant_root: str | None = None


class UserInputOption(WireModel):
    """One answer the model offers for a question."""

    label: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=1000)


class UserInputQuestion(WireModel):
    """One short question of ``request_user_input`` (Codex's shape). ``isOther``: the user may
    also answer in their own words."""

    id: str = Field(min_length=1, max_length=64)
    header: str = Field(default="", max_length=100)
    question: str = Field(min_length=1, max_length=2000)
    options: list[UserInputOption] = Field(default=[], max_length=50)
    """What the user may pick; none: a free answer (an MCP form's text field)."""
    is_other: bool = True


class RequestUserInputEvent(_ItemEvent):
    """The model (``request_user_input``, one to three questions) or an MCP server (an
    elicitation form, one question per field) asks the user and waits; the client answers
    through ``codex/requestUserInput`` (or ``window/showMessageRequest``, one question at a
    time)."""

    type: Literal["requestUserInput"] = "requestUserInput"
    call_id: str
    questions: list[UserInputQuestion] = Field(min_length=1, max_length=20)


class PatchApplyBeginEvent(_ItemEvent):
    """A patch is being applied."""

    type: Literal["patchApplyBegin"] = "patchApplyBegin"
    call_id: str
    auto_approved: bool
    changes: dict[str, FileChange]


class PatchApplyEndEvent(_ItemEvent):
    """A patch was applied, or failed."""

    type: Literal["patchApplyEnd"] = "patchApplyEnd"
    call_id: str
    stdout: str
    stderr: str
    success: bool
    changes: dict[str, FileChange] = Field(default_factory=dict)
    status: ItemStatus


class ViewImageToolCallEvent(WireModel):
    """The agent attached a local image to the conversation (``view_image``)."""

    type: Literal["viewImageToolCall"] = "viewImageToolCall"
    turn_id: str
    call_id: str
    path: str


class TurnDiffEvent(WireModel):
    """The unified diff of every file the turn changed so far."""

    type: Literal["turnDiff"] = "turnDiff"
    turn_id: str
    unified_diff: str


class McpToolCallBeginEvent(_ItemEvent):
    """An MCP tool call starts."""

    type: Literal["mcpToolCallBegin"] = "mcpToolCallBegin"
    call_id: str
    invocation: McpInvocation


class McpToolCallEndEvent(_ItemEvent):
    """An MCP tool call finished (``result`` or ``error``)."""

    type: Literal["mcpToolCallEnd"] = "mcpToolCallEnd"
    call_id: str
    invocation: McpInvocation
    duration_ms: int
    result: Any = None
    error: str | None = None


class WebSearchEndEvent(_ItemEvent):
    """The provider's hosted web search ran ``query`` (its results went to the model)."""

    type: Literal["webSearchEnd"] = "webSearchEnd"
    call_id: str
    query: str


class EnteredReviewModeEvent(WireModel):
    """A review started."""

    type: Literal["enteredReviewMode"] = "enteredReviewMode"
    turn_id: str
    target: ReviewTarget
    user_facing_hint: str | None = None


class ExitedReviewModeEvent(WireModel):
    """A review ended; ``reviewOutput`` is the reviewer's findings as text and ``review`` the
    same, structured (both absent if it was aborted; ``review`` absent when the reviewer's
    answer was not the findings' JSON, which an ``error`` event reports)."""

    type: Literal["exitedReviewMode"] = "exitedReviewMode"
    turn_id: str
    review_output: str | None = None
    review: ReviewOutput | None = None


class SkippedFile(WireModel):
    """A file undo did not restore, and why: it changed after the turn (the user's edit is
    kept), or its content before the turn was not recorded (not text, or too large)."""

    path: str
    reason: str


class UndoCompletedEvent(WireModel):
    """An undo finished: which files were restored, and which were left alone because they
    changed again after the turn (``success`` is false when nothing could be restored)."""

    type: Literal["undoCompleted"] = "undoCompleted"
    turn_id: str
    success: bool
    message: str
    restored_files: list[str] = []
    skipped_files: list[str] = Field(
        default=[], description="The files left alone (the paths of ``skipped``)."
    )
    skipped: list[SkippedFile] = Field(default=[], description="Each file left alone, and why.")
    undone_turn_ids: list[str] = Field(
        default=[], description="The turns whose changes were undone, newest first."
    )


class ConversationRewoundEvent(WireModel):
    """Turns were dropped from the conversation (``codex/rewindConversation``): the model no
    longer sees them and a resume no longer shows them; with ``restoreFiles``, the files they
    changed were restored (``skipped``: those left alone, and why)."""

    type: Literal["conversationRewound"] = "conversationRewound"
    rewound_turn_ids: list[str] = Field(description="The turns dropped, oldest first.")
    message: str
    restored_files: list[str] = []
    skipped: list[SkippedFile] = []


class ConfigReloadedEvent(WireModel):
    """A config file changed and the new configuration applies from the next turn."""

    type: Literal["configReloaded"] = "configReloaded"
    changed_keys: list[str]
    message: str


class ContextCompactedEvent(WireModel):
    """The history was replaced by a summary; ``automatic`` when the context filled up (or
    the provider said it overflowed) rather than on request."""

    type: Literal["contextCompacted"] = "contextCompacted"
    turn_id: str
    item: ContextCompactionItem
    automatic: bool = False


# ---------------------------------------------------------------- status and errors


class BackgroundEvent(WireModel):
    """Status information that needs no action."""

    type: Literal["backgroundEvent"] = "backgroundEvent"
    message: str


class WarningEvent(WireModel):
    """Something the user should know; the turn goes on."""

    type: Literal["warning"] = "warning"
    message: str


class ErrorEvent(WireModel):
    """A failure that ended the turn (or the request); ``message`` says what to do."""

    type: Literal["error"] = "error"
    message: str
    codex_error_info: str | None = None
    turn_id: str | None = None


class StreamErrorEvent(WireModel):
    """The model stream failed and is being retried (``attempt`` of ``maxAttempts``)."""

    type: Literal["streamError"] = "streamError"
    message: str
    codex_error_info: str | None = None
    attempt: int
    max_attempts: int
    retry_in_ms: int


EventMsg = Annotated[
    SessionConfiguredEvent
    | TaskStartedEvent
    | TaskCompleteEvent
    | TurnAbortedEvent
    | ShutdownCompleteEvent
    | ItemStartedEvent
    | ItemCompletedEvent
    | UserMessageEvent
    | AgentMessageDeltaEvent
    | AgentMessageEvent
    | AgentReasoningDeltaEvent
    | AgentReasoningEvent
    | AgentReasoningRawContentDeltaEvent
    | AgentReasoningRawContentEvent
    | AgentReasoningSectionBreakEvent
    | PlanUpdateEvent
    | TokenCountEvent
    | ExecCommandBeginEvent
    | ExecCommandOutputDeltaEvent
    | ExecCommandEndEvent
    | ExecApprovalRequestEvent
    | ApplyPatchApprovalRequestEvent
    | RequestUserInputEvent
    | PatchApplyBeginEvent
    | PatchApplyEndEvent
    | TurnDiffEvent
    | ViewImageToolCallEvent
    | McpToolCallBeginEvent
    | McpToolCallEndEvent
    | WebSearchEndEvent
    | EnteredReviewModeEvent
    | ExitedReviewModeEvent
    | ContextCompactedEvent
    | ConfigReloadedEvent
    | UndoCompletedEvent
    | ConversationRewoundEvent
    | BackgroundEvent
    | WarningEvent
    | ErrorEvent
    | StreamErrorEvent
    | SpeckitStageStartedEvent
    | SpeckitAgentStartedEvent
    | SpeckitAgentAnsweredEvent
    | SpeckitAgentRetryEvent
    | SpeckitConsensusEvent
    | SpeckitCostEvent
    | SpeckitStageCompletedEvent
    | SpeckitAutoProgressEvent
    | SpeckitGateEvent,
    Field(discriminator="type"),
]


class Event(WireModel):
    """One event of a conversation: ``submissionId`` is the Op it answers. This model defines
    the schema; at run time events travel as :class:`EventEnvelope`."""

    conversation_id: str
    submission_id: str
    msg: EventMsg


class EventEnvelope(NamedTuple):
    """The run-time form of :class:`Event`: same wire JSON, built by concatenation so the hot
    path never validates (or builds the schema of) the many-way ``EventMsg`` union. ``msg_json``
    is ``msg`` already encoded (when the store encoded it), so it is encoded once. A NamedTuple:
    made for every event, and a frozen dataclass would cost every start ~0.4 ms to define."""

    conversation_id: str
    submission_id: str
    msg: _EventMsgModel
    msg_json: str | None = None

    def to_wire_json(self) -> str:
        """The ``codex/event`` params as JSON text."""
        body = self.msg_json or self.msg.to_wire_json()
        return (
            f'{{"conversationId":{json.dumps(self.conversation_id)},'
            f'"submissionId":{json.dumps(self.submission_id)},"msg":{body}}}'
        )

    def to_wire(self) -> dict[str, Any]:
        """The ``codex/event`` params as a dict."""
        return {
            "conversationId": self.conversation_id,
            "submissionId": self.submission_id,
            "msg": self.msg.to_wire(),
        }
