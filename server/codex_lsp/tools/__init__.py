"""Tools the model can call: a registry plus one module per tool family."""

from codex_lsp.tools.registry import (
    ToolInvocation,
    ToolOutput,
    ToolRegistry,
    ToolSession,
    TurnAbortRequested,
)

__all__ = ["ToolInvocation", "ToolOutput", "ToolRegistry", "ToolSession", "TurnAbortRequested"]
