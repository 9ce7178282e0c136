"""The MCP server the round-trip benchmark calls (the official SDK, stdio)."""

from __future__ import annotations

from mcp.server.mcpserver import MCPServer

app = MCPServer("bench")


@app.tool()
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


if __name__ == "__main__":
    app.run()
