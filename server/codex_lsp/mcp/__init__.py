"""MCP: a client manager for the servers in ``[mcp_servers]`` (their tools and resources offered
to the model). The ``mcp`` SDK is imported only when a server is configured: it costs ~0.9 s."""
