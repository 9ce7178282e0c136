"""Ops: what a user asks a conversation to do (Codex's submission queue).

Each Op also exists as the params of an LSP request ``codex/<opName>``: the Op's fields plus the
``conversationId`` it is for (see :mod:`codex_lsp.protocol.methods`).
"""

from typing import Annotated, Literal

from pydantic import Field

from codex_lsp.protocol.base import WireModel
from codex_lsp.protocol.items import ReviewRequest, UserInputItems
from codex_lsp.protocol.limits import Identifier, Name, OutputSchema, WirePath
from codex_lsp.protocol.policies import (
    AskForApproval,
    ReasoningEffort,
    ReasoningSummary,
    SandboxPolicy,
)


class TurnContextOverrides(WireModel):
    """Settings a user may change between turns; ``None`` keeps the current value."""

    cwd: WirePath | None = None
    model: Name | None = None
    effort: ReasoningEffort | None = None
    summary: ReasoningSummary | None = None
    approval_policy: AskForApproval | None = None
    sandbox_policy: SandboxPolicy | None = None


class UserInputOp(WireModel):
    """Send input. Starts a turn when idle; while a turn runs it is queued and given to the
    model at its next step (steering)."""

    type: Literal["userInput"] = "userInput"
    items: UserInputItems


class UserTurnOp(TurnContextOverrides):
    """Send input together with the settings to use from this turn on."""

    type: Literal["userTurn"] = "userTurn"
    items: UserInputItems
    output_schema: OutputSchema | None = Field(
        default=None,
        description="A JSON Schema the turn's final answer must match: sent to the provider as "
        "its structured output (Responses text.format, Chat response_format, Anthropic a "
        "forced tool); Codex's final_output_json_schema.",
    )


class OverrideTurnContextOp(TurnContextOverrides):
    """Change settings for the following turns without sending input."""

    type: Literal["overrideTurnContext"] = "overrideTurnContext"


class InterruptOp(WireModel):
    """Stop the running turn now: the stream and running tools are cancelled."""

    type: Literal["interrupt"] = "interrupt"


class CompactOp(WireModel):
    """Summarise the history to free context."""

    type: Literal["compact"] = "compact"


class ReviewOp(WireModel):
    """Review code (uncommitted changes, a branch, a commit, or custom instructions)."""

    type: Literal["review"] = "review"
    review_request: ReviewRequest


class UndoTurnOp(WireModel):
    """Restore the files the last ``numTurns`` turns changed (no git needed)."""

    type: Literal["undoTurn"] = "undoTurn"
    num_turns: int = Field(default=1, ge=1, le=100)
    turn_id: Identifier | None = Field(
        default=None,
        description="Undo this turn and every later one instead of the last numTurns.",
    )


class RewindConversationOp(WireModel):
    """Drop turn ``turnId`` and every later one from the history (the model no longer sees
    them), optionally restoring the files they changed."""

    type: Literal["rewindConversation"] = "rewindConversation"
    turn_id: Identifier
    restore_files: bool = Field(
        default=False,
        description="Also take back the files those turns changed (as codex/undoTurn does).",
    )


class ShutdownOp(WireModel):
    """Stop the conversation after cancelling its work; answered by ``shutdownComplete``."""

    type: Literal["shutdown"] = "shutdown"


Op = Annotated[
    UserInputOp
    | UserTurnOp
    | OverrideTurnContextOp
    | InterruptOp
    | CompactOp
    | ReviewOp
    | UndoTurnOp
    | RewindConversationOp
    | ShutdownOp,
    Field(discriminator="type"),
]
