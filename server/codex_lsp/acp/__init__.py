"""The Agent Client Protocol (ACP) front end: ``codex-lsp acp`` serves the same core as the
language server and ``exec`` to ACP clients (Zed, JetBrains, Emacs agent-shell, Neovim plugins)
over newline-delimited JSON-RPC on stdio. Only this package imports the ACP SDK (``acp``), and
only :mod:`codex_lsp.acp.core_adapter` talks to the core."""
