"""Method names alone, importable without pydantic, so the language server can register its
handlers before the protocol models are loaded. ``methods.METHODS`` uses these constants, and
a test checks the two lists agree."""

from __future__ import annotations

NEW_CONVERSATION = "codex/newConversation"
RESUME_CONVERSATION = "codex/resumeConversation"
FORK_CONVERSATION = "codex/forkConversation"
LIST_CONVERSATIONS = "codex/listConversations"
ARCHIVE_CONVERSATION = "codex/archiveConversation"
RENAME_CONVERSATION = "codex/renameConversation"
DELETE_CONVERSATION = "codex/deleteConversation"
FUZZY_FILE_SEARCH = "codex/fuzzyFileSearch"
GET_CONFIG = "codex/getConfig"
LIST_MODELS = "codex/listModels"
LIST_SKILLS = "codex/listSkills"
LIST_MCP_PROMPTS = "codex/listMcpPrompts"
LIST_MODES = "codex/listModes"
SET_MODE = "codex/setMode"
DOCTOR = "codex/doctor"
LIST_MCP_SERVERS = "codex/listMcpServers"
RESTART_MCP_SERVER = "codex/restartMcpServer"
MCP_SERVER_STATUS = "codex/mcpServerStatus"
LIST_TERMINALS = "codex/listTerminals"
KILL_TERMINAL = "codex/killTerminal"
USER_INPUT = "codex/userInput"
USER_TURN = "codex/userTurn"
OVERRIDE_TURN_CONTEXT = "codex/overrideTurnContext"
INTERRUPT = "codex/interrupt"
COMPACT = "codex/compact"
REVIEW = "codex/review"
UNDO_TURN = "codex/undoTurn"
REWIND_CONVERSATION = "codex/rewindConversation"
SHUTDOWN = "codex/shutdown"
EVENT = "codex/event"
EXEC_APPROVAL = "codex/execApproval"
PATCH_APPROVAL = "codex/patchApproval"
REQUEST_USER_INPUT = "codex/requestUserInput"

UNKNOWN_CONVERSATION_CODE = -32004
"""The JSON-RPC error code of a request naming a conversation this server does not have (never
started, closed, deleted, or open in a server that has since restarted)."""
ERROR_CODES: dict[str, int] = {"unknownConversation": UNKNOWN_CONVERSATION_CODE}
"""codex-lsp's own JSON-RPC error codes, by the name clients use (generated into TypeScript)."""

COMMANDS: tuple[str, ...] = (
    "codex-lsp.newConversation",
    "codex-lsp.sendPrompt",
    "codex-lsp.interrupt",
    "codex-lsp.compact",
    "codex-lsp.undoTurn",
    "codex-lsp.listConversations",
    "codex-lsp.approve",
    "codex-lsp.deny",
    "codex-lsp.runCodeAction",
    "codex-lsp.openChangedFiles",
)
"""``workspace/executeCommand`` commands, for clients without a codex-lsp plugin."""

CLIENT_REQUESTS: tuple[str, ...] = (
    NEW_CONVERSATION,
    RESUME_CONVERSATION,
    FORK_CONVERSATION,
    LIST_CONVERSATIONS,
    ARCHIVE_CONVERSATION,
    RENAME_CONVERSATION,
    DELETE_CONVERSATION,
    FUZZY_FILE_SEARCH,
    GET_CONFIG,
    LIST_MODELS,
    LIST_SKILLS,
    LIST_MCP_PROMPTS,
    LIST_MODES,
    SET_MODE,
    DOCTOR,
    LIST_MCP_SERVERS,
    RESTART_MCP_SERVER,
    LIST_TERMINALS,
    KILL_TERMINAL,
    USER_INPUT,
    USER_TURN,
    OVERRIDE_TURN_CONTEXT,
    INTERRUPT,
    COMPACT,
    REVIEW,
    UNDO_TURN,
    REWIND_CONVERSATION,
    SHUTDOWN,
)
