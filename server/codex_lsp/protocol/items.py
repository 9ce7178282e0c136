"""User input items, turn items and the small shared types they are made of."""

from enum import StrEnum
from typing import Annotated, Any, Literal, Self

from pydantic import AfterValidator, Field, model_validator

from codex_lsp.protocol.base import WireModel
from codex_lsp.protocol.limits import (
    IMAGE_URL_MAX_CHARS,
    IMAGE_URL_SCHEMES,
    INPUT_ITEMS_MAX,
    INPUT_TEXT_MAX_CHARS,
    NAME_MAX_CHARS,
    PATH_MAX_CHARS,
    REVIEW_BODY_MAX_CHARS,
    REVIEW_FINDINGS_MAX,
    REVIEW_TITLE_MAX_CHARS,
    WirePathText,
)

# ---------------------------------------------------------------- user input (Op payload)


UserText = Annotated[str, Field(max_length=INPUT_TEXT_MAX_CHARS)]
"""Text a user sends (bounded; a constrained string also refuses lone surrogates)."""


def _image_url(url: str) -> str:
    if not url.startswith(IMAGE_URL_SCHEMES):
        raise ValueError(
            "an image URL must be https: or data:image/...; send a file of this machine as a "
            "localImage item (its path) instead"
        )
    return url


class TextInput(WireModel):
    """Plain text typed by the user."""

    type: Literal["text"] = "text"
    text: UserText


class ImageInput(WireModel):
    """An image given by URL: ``https:``, or a ``data:image/...`` URL (a local file is a
    ``localImage``)."""

    type: Literal["image"] = "image"
    image_url: Annotated[str, Field(max_length=IMAGE_URL_MAX_CHARS), AfterValidator(_image_url)]


class LocalImageInput(WireModel):
    """An image file on the user's machine; the server reads and attaches it."""

    type: Literal["localImage"] = "localImage"
    path: WirePathText


class MentionInput(WireModel):
    """A file the user @-mentioned; its content is given to the model with the message."""

    type: Literal["mention"] = "mention"
    path: WirePathText
    name: str | None = Field(default=None, max_length=NAME_MAX_CHARS)


class ContextInput(WireModel):
    """Editor context the user attached by name (``@selection``, ``@problems``…): given to the
    model with the message, shown to the user by its name only."""

    type: Literal["context"] = "context"
    name: str = Field(min_length=1, max_length=64)
    text: UserText


class SkillInput(WireModel):
    """A skill the user invoked by name (as ``$name`` in the text does): its SKILL.md is given
    to the model with the message."""

    type: Literal["skill"] = "skill"
    name: str = Field(min_length=1, max_length=64)


UserInputItem = Annotated[
    TextInput | ImageInput | LocalImageInput | MentionInput | ContextInput | SkillInput,
    Field(discriminator="type"),
]


def _bounded_text(items: list[UserInputItem]) -> list[UserInputItem]:
    total = sum(len(i.text) for i in items if isinstance(i, TextInput | ContextInput))
    if total > INPUT_TEXT_MAX_CHARS:
        raise ValueError(
            f"the message has {total} characters of text; at most {INPUT_TEXT_MAX_CHARS} are "
            "accepted. Shorten it, or @-mention the file it comes from instead"
        )
    return items


UserInputItems = Annotated[
    list[UserInputItem],
    Field(min_length=1, max_length=INPUT_ITEMS_MAX),
    AfterValidator(_bounded_text),
]
"""The items of one user message (at least one; its text bounded as a whole)."""

# ---------------------------------------------------------------- shared small types


class PlanStatus(StrEnum):
    """The state of one plan step (camelCase, as every value the protocol defines; the model's
    ``update_plan`` tool keeps Codex's ``in_progress``)."""

    PENDING = "pending"
    IN_PROGRESS = "inProgress"
    COMPLETED = "completed"


class PlanItem(WireModel):
    """One step of the agent's plan."""

    step: str
    status: PlanStatus


class ParsedRead(WireModel):
    """The command reads a file (``cat foo.py``, ``sed -n 1,20p foo.py``)."""

    type: Literal["read"] = "read"
    cmd: str
    name: str
    path: str


class ParsedListFiles(WireModel):
    """The command lists files (``ls``, ``find``, ``rg --files``)."""

    type: Literal["listFiles"] = "listFiles"
    cmd: str
    path: str | None = None


class ParsedSearch(WireModel):
    """The command searches file contents (``rg``, ``grep``)."""

    type: Literal["search"] = "search"
    cmd: str
    query: str | None = None
    path: str | None = None


class ParsedUnknown(WireModel):
    """Any other command."""

    type: Literal["unknown"] = "unknown"
    cmd: str


ParsedCommand = Annotated[
    ParsedRead | ParsedListFiles | ParsedSearch | ParsedUnknown, Field(discriminator="type")
]


class StopReason(StrEnum):
    """Why the model stopped other than by finishing its answer."""

    MAX_TOKENS = "maxTokens"
    """It reached its output token limit (the answer is cut off)."""
    REFUSAL = "refusal"
    """It declined to continue (a refusal or a content filter)."""


class ExecOutputStream(StrEnum):
    """Which output stream a chunk came from."""

    STDOUT = "stdout"
    STDERR = "stderr"


class ItemStatus(StrEnum):
    """How a command, patch or tool call item ended (or that it is still running)."""

    IN_PROGRESS = "inProgress"
    COMPLETED = "completed"
    FAILED = "failed"
    DECLINED = "declined"


class AddFile(WireModel):
    """A file the patch creates."""

    type: Literal["add"] = "add"
    content: str


class DeleteFile(WireModel):
    """A file the patch deletes."""

    type: Literal["delete"] = "delete"
    content: str


class UpdateFile(WireModel):
    """A file the patch changes (and maybe moves)."""

    type: Literal["update"] = "update"
    unified_diff: str
    move_path: str | None = None


FileChange = Annotated[AddFile | DeleteFile | UpdateFile, Field(discriminator="type")]


class McpInvocation(WireModel):
    """Which MCP tool was called, with what."""

    server: str
    tool: str
    arguments: Any = None


class McpServerStatus(WireModel):
    """A configured MCP server: ``starting``, ``ready``, ``failed`` (with ``reason``) or
    ``stopped``, and the tools it offers the model."""

    name: str
    state: Literal["starting", "ready", "failed", "stopped"]
    reason: str | None = None
    tools: list[str] = []


class TokenUsage(WireModel):
    """Token counts of one model response, or a running total."""

    input_tokens: int = 0
    cached_input_tokens: int = 0
    output_tokens: int = 0
    reasoning_output_tokens: int = 0
    total_tokens: int = 0

    def __add__(self, other: "TokenUsage") -> "TokenUsage":
        """Both usages counted together, field by field."""
        return TokenUsage(
            input_tokens=self.input_tokens + other.input_tokens,
            cached_input_tokens=self.cached_input_tokens + other.cached_input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            reasoning_output_tokens=self.reasoning_output_tokens + other.reasoning_output_tokens,
            total_tokens=self.total_tokens + other.total_tokens,
        )


class TokenUsageInfo(WireModel):
    """The conversation's total usage, the last response's usage, and the context window."""

    total_token_usage: TokenUsage
    last_token_usage: TokenUsage
    model_context_window: int | None = None
    context_tokens: int = Field(
        default=0, description="Tokens in the context after the last response."
    )
    context_left_percent: int | None = Field(
        default=None, description="How much of the context window is still free, 0-100."
    )
    cost_usd: float | None = Field(
        default=None,
        description="What the conversation has cost so far in USD, when the model's price is "
        "known (config model_price, or the built-in table).",
    )
    auto_compact_token_limit: int | None = Field(
        default=None,
        description="The context size at which the history is compacted automatically.",
    )

    @classmethod
    def after(
        cls,
        total: TokenUsage,
        last: TokenUsage,
        context_window: int | None,
        cost_usd: float | None = None,
        auto_compact_token_limit: int | None = None,
    ) -> "TokenUsageInfo":
        """The usage after a response: the context now holds its input and output."""
        in_context = last.input_tokens + last.output_tokens
        left = None
        if context_window:
            left = max(0, min(100, round(100 * (context_window - in_context) / context_window)))
        return cls(
            total_token_usage=total,
            last_token_usage=last,
            model_context_window=context_window,
            context_tokens=in_context,
            context_left_percent=left,
            cost_usd=cost_usd,
            auto_compact_token_limit=auto_compact_token_limit,
        )


def _revision(value: str | None) -> str | None:
    """A branch or commit as git reads it: never an option (``--output=…`` would write a file)."""
    if value is not None and (value.startswith("-") or not value.isprintable() or " " in value):
        raise ValueError("must be a branch name or commit, not an option or text with spaces")
    return value


Revision = Annotated[
    str | None, Field(default=None, max_length=NAME_MAX_CHARS), AfterValidator(_revision)
]


class ReviewTarget(WireModel):
    """What a review looks at: ``uncommittedChanges``, ``baseBranch``, ``commit`` or ``custom``."""

    type: Literal["uncommittedChanges", "baseBranch", "commit", "custom"]
    branch: Revision = None
    sha: Revision = None
    title: str | None = None
    instructions: str | None = None

    @model_validator(mode="after")
    def _commit_has_sha(self) -> Self:
        if self.type == "commit" and not self.sha:
            raise ValueError("a commit review needs sha (the commit to review)")
        return self


class ReviewRequest(WireModel):
    """A request to review code."""

    target: ReviewTarget
    user_facing_hint: str | None = None


class ReviewLineRange(WireModel):
    """Lines of a file, 1-based and inclusive."""

    start: int = Field(ge=1)
    end: int = Field(ge=1)


class ReviewFinding(WireModel):
    """One issue a review found: where, how urgent (``priority`` 0 = P0, drop everything, to
    3 = P3, nice to have), a one-line title and the explanation."""

    title: str = Field(max_length=REVIEW_TITLE_MAX_CHARS)
    body: str = Field(max_length=REVIEW_BODY_MAX_CHARS)
    priority: int = Field(ge=0, le=3)
    file: str = Field(
        max_length=PATH_MAX_CHARS,
        description="The file, relative to the conversation's cwd when it is inside it.",
    )
    line_range: ReviewLineRange
    confidence_score: float | None = Field(default=None, ge=0, le=1)


class ReviewOutput(WireModel):
    """A review's structured result."""

    findings: list[ReviewFinding] = Field(max_length=REVIEW_FINDINGS_MAX)
    overall_correctness: Literal["patchIsCorrect", "patchIsIncorrect"]
    overall_explanation: str = Field(max_length=REVIEW_BODY_MAX_CHARS)
    overall_confidence_score: float | None = Field(default=None, ge=0, le=1)


# ---------------------------------------------------------------- turn items


class UserMessageItem(WireModel):
    """What the user sent."""

    type: Literal["userMessage"] = "userMessage"
    id: str
    content: list[UserInputItem]


class AgentMessageItem(WireModel):
    """A message from the agent."""

    type: Literal["agentMessage"] = "agentMessage"
    id: str
    text: str


class ReasoningItem(WireModel):
    """The model's reasoning: summary paragraphs and, where the provider gives it, raw text."""

    type: Literal["reasoning"] = "reasoning"
    id: str
    summary_text: list[str] = []
    raw_content: list[str] = []


class CommandExecutionItem(WireModel):
    """A command the agent ran."""

    type: Literal["commandExecution"] = "commandExecution"
    id: str
    command: list[str]
    cwd: str
    parsed_cmd: list[ParsedCommand] = []
    status: ItemStatus = ItemStatus.IN_PROGRESS
    aggregated_output: str | None = None
    exit_code: int | None = None
    duration_ms: int | None = None
    terminal_id: int | None = None
    """Set for a terminal of ``exec_command`` (``codex/listTerminals``)."""


class FileChangeItem(WireModel):
    """A patch the agent applied."""

    type: Literal["fileChange"] = "fileChange"
    id: str
    changes: dict[str, FileChange]
    status: ItemStatus = ItemStatus.IN_PROGRESS


class McpToolCallItem(WireModel):
    """A call to a tool of an MCP server."""

    type: Literal["mcpToolCall"] = "mcpToolCall"
    id: str
    server: str
    tool: str
    arguments: Any = None
    status: ItemStatus = ItemStatus.IN_PROGRESS
    result: Any = None
    error: str | None = None
    duration_ms: int | None = None


class WebSearchItem(WireModel):
    """A web search the provider ran with its hosted tool (Responses ``web_search_call``)."""

    type: Literal["webSearch"] = "webSearch"
    id: str
    query: str


class PlanUpdateItem(WireModel):
    """The agent's plan as it stood after an ``update_plan`` call."""

    type: Literal["plan"] = "plan"
    id: str
    explanation: str | None = None
    plan: list[PlanItem]


class ContextCompactionItem(WireModel):
    """The history was summarised to free context; ``summary`` is the handoff summary the
    model continues from (absent while it is being written)."""

    type: Literal["contextCompaction"] = "contextCompaction"
    id: str
    summary: str | None = None


TurnItem = Annotated[
    UserMessageItem
    | AgentMessageItem
    | ReasoningItem
    | CommandExecutionItem
    | FileChangeItem
    | McpToolCallItem
    | WebSearchItem
    | PlanUpdateItem
    | ContextCompactionItem,
    Field(discriminator="type"),
]
