"""codex-lsp: a Codex-style AI coding agent served over the Language Server Protocol."""

__version__ = "0.1.0"
