"""The two tools the MCP server offers, with Codex's names and argument names (so clients of
``codex mcp-server`` work unchanged)."""

from __future__ import annotations

from typing import Any

CODEX_TOOL = "codex"
REPLY_TOOL = "codex-reply"

_POLICIES = ["untrusted", "on-failure", "on-request", "never"]
_SANDBOXES = ["read-only", "workspace-write", "danger-full-access"]

CODEX_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "prompt": {"type": "string", "description": "The first message of the conversation."},
        "model": {"type": "string", "description": "Model override, e.g. gpt-5-codex."},
        "profile": {"type": "string", "description": "A [profiles.<name>] of config.toml."},
        "cwd": {"type": "string", "description": "Working directory (default: the server's)."},
        "approval-policy": {"type": "string", "enum": _POLICIES},
        "sandbox": {"type": "string", "enum": _SANDBOXES},
        "config": {
            "type": "object",
            "description": "Config overrides, dotted keys allowed (as with -c).",
            "additionalProperties": True,
        },
        "base-instructions": {"type": "string", "description": "Replace the instructions."},
    },
    "required": ["prompt"],
    "additionalProperties": False,
}

REPLY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "conversationId": {"type": "string", "description": "From the codex tool's result."},
        "prompt": {"type": "string", "description": "The next message."},
    },
    "required": ["conversationId", "prompt"],
    "additionalProperties": False,
}

DECISION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "decision": {
            "type": "string",
            "enum": ["approved", "approvedForSession", "denied", "abort"],
            "description": "approved: this once; approvedForSession: for this conversation; "
            "denied: the model is told no; abort: stop the turn.",
        }
    },
    "required": ["decision"],
}

CODEX_DESCRIPTION = (
    "Run a codex-lsp conversation: the agent reads and edits files and runs commands in cwd "
    "under the sandbox and approval policy, and returns its final message. Events stream as "
    "progress notifications; approvals are asked through elicitation. Continue it with "
    "codex-reply and the returned conversationId."
)
REPLY_DESCRIPTION = "Continue a codex-lsp conversation (by conversationId) with another prompt."
