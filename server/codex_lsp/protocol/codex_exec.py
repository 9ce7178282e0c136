"""The JSONL lines ``codex exec --json`` prints (Codex CLI 0.169), which ``codex-lsp exec --json
--json-format codex`` prints too, so a script written for Codex reads them unchanged.

These are Codex's shapes, in Codex's spelling (snake_case, ``null`` kept): not this server's
protocol, which is camelCase (:mod:`codex_lsp.protocol.base`)."""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

ItemState = Literal["in_progress", "completed", "failed", "declined"]


class CodexLine(BaseModel):
    """One line of the stream."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    def to_line(self) -> str:
        """The line as Codex prints it (compact JSON, ``null`` fields kept)."""
        return self.model_dump_json()


class AgentMessage(CodexLine):
    """The agent's message (a JSON text when an output schema was asked for)."""

    id: str
    type: Literal["agent_message"] = "agent_message"
    text: str


class Reasoning(CodexLine):
    """The model's reasoning summary."""

    id: str
    type: Literal["reasoning"] = "reasoning"
    text: str


class CommandExecution(CodexLine):
    """A command the agent ran: started when it is spawned, completed when it exits."""

    id: str
    type: Literal["command_execution"] = "command_execution"
    command: str
    aggregated_output: str
    exit_code: int | None
    status: ItemState


class FileUpdate(CodexLine):
    """One file of a file change."""

    path: str
    kind: Literal["add", "delete", "update"]


class FileChange(CodexLine):
    """A patch the agent applied."""

    id: str
    type: Literal["file_change"] = "file_change"
    changes: list[FileUpdate]
    status: Literal["in_progress", "completed", "failed"]


class McpResult(CodexLine):
    """What an MCP tool returned."""

    content: list[Any]
    structured_content: Any | None


class Message(CodexLine):
    """An error's text."""

    message: str


class McpToolCall(CodexLine):
    """A call to a tool of an MCP server."""

    id: str
    type: Literal["mcp_tool_call"] = "mcp_tool_call"
    server: str
    tool: str
    arguments: Any
    result: McpResult | None
    error: Message | None
    status: Literal["in_progress", "completed", "failed"]


class TodoItem(CodexLine):
    """One step of the agent's to-do list."""

    text: str
    completed: bool


class TodoList(CodexLine):
    """The agent's plan: started when first given, updated as steps change, completed when the
    turn ends."""

    id: str
    type: Literal["todo_list"] = "todo_list"
    items: list[TodoItem]


class ErrorItem(CodexLine):
    """A non-fatal error (a warning) shown as an item."""

    id: str
    type: Literal["error"] = "error"
    message: str


Item = AgentMessage | Reasoning | CommandExecution | FileChange | McpToolCall | TodoList | ErrorItem


class ThreadStarted(CodexLine):
    """The first line: the thread (conversation) id, for ``exec resume``."""

    type: Literal["thread.started"] = "thread.started"
    thread_id: str


class TurnStarted(CodexLine):
    """The turn began."""

    type: Literal["turn.started"] = "turn.started"


class Usage(CodexLine):
    """Tokens the turn used."""

    input_tokens: int
    cached_input_tokens: int
    cache_write_input_tokens: int = 0
    output_tokens: int
    reasoning_output_tokens: int


class TurnCompleted(CodexLine):
    """The turn ended with an answer."""

    type: Literal["turn.completed"] = "turn.completed"
    usage: Usage


class TurnFailed(CodexLine):
    """The turn ended with an error."""

    type: Literal["turn.failed"] = "turn.failed"
    error: Message


class ItemStarted(CodexLine):
    """An item began (a command, a patch, an MCP call, the to-do list)."""

    type: Literal["item.started"] = "item.started"
    item: Item


class ItemUpdated(CodexLine):
    """An item changed (the to-do list)."""

    type: Literal["item.updated"] = "item.updated"
    item: Item


class ItemCompleted(CodexLine):
    """An item reached its end state."""

    type: Literal["item.completed"] = "item.completed"
    item: Item


class StreamError(CodexLine):
    """An error of the turn, printed before its ``turn.failed``."""

    type: Literal["error"] = "error"
    message: str
