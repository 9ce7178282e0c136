"""A real MCP server (the official SDK) offering prompts, for the slash-command tests:
``review`` (a required and an optional argument) and ``hello`` (none)."""

from __future__ import annotations

from mcp.server.mcpserver import MCPServer

app = MCPServer("prompts")


@app.prompt(description="Review a file for bugs")
def review(path: str, focus: str = "correctness") -> str:
    """The review request for ``path``."""
    return f"Review {path} for {focus}. Report each bug with its line."


@app.prompt(description="Greet the team")
def hello() -> str:
    """A greeting."""
    return "Say hello to the team in French."


if __name__ == "__main__":
    app.run()
