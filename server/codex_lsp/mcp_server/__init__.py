"""``codex-lsp mcp-server``: the agent served to other agents over MCP (stdio)."""
