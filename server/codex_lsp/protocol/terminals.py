"""Params and results of the terminal requests: the commands ``exec_command`` left running."""

from pydantic import Field

from codex_lsp.protocol.base import WireModel
from codex_lsp.protocol.conversations import ConversationScoped
from codex_lsp.protocol.limits import Identifier


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
