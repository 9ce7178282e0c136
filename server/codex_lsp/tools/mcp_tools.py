"""MCP tools offered to the model: every ready server's tools as ``<server>__<tool>``, plus
``list_mcp_resources``, ``list_mcp_resource_templates`` and ``read_mcp_resource`` when a server
has resources. Calls are checked against the tool's schema, follow the approval policy, and are
reported as ``mcpToolCallBegin`` / ``mcpToolCallEnd`` with the item events around them (the
calls: :mod:`codex_lsp.tools.mcp_calls`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from codex_lsp.mcp.manager import McpManager
from codex_lsp.protocol.tool_specs import FunctionToolSpec
from codex_lsp.tools.registry import Handler

if TYPE_CHECKING:
    from codex_lsp.mcp.connection import ElicitAnswer
    from codex_lsp.tools.mcp_calls import McpCalls

_RESOURCE_SPECS = {
    "list_mcp_resources": FunctionToolSpec(
        "list_mcp_resources",
        "List the resources (files, documents, records) that MCP servers offer.",
        {"type": "object", "properties": {"server": {"type": "string"}}},
    ),
    "list_mcp_resource_templates": FunctionToolSpec(
        "list_mcp_resource_templates",
        "List the URI templates of parameterised MCP resources.",
        {"type": "object", "properties": {"server": {"type": "string"}}},
    ),
    "read_mcp_resource": FunctionToolSpec(
        "read_mcp_resource",
        "Read one MCP resource by server name and URI.",
        {
            "type": "object",
            "properties": {"server": {"type": "string"}, "uri": {"type": "string"}},
            "required": ["server", "uri"],
        },
    ),
}


class McpToolSource:
    """The registry's view of the MCP manager (tools change as servers come and go). The
    calls themselves (:mod:`codex_lsp.tools.mcp_calls`) load with the first one."""

    def __init__(self, manager: McpManager) -> None:
        self.manager = manager
        self._calls: McpCalls | None = None

    def specs(self) -> list[FunctionToolSpec]:
        """What the model is offered now."""
        specs = [
            FunctionToolSpec(name, t.tool.description, t.parameters)
            for name, t in self.manager.tools().items()
        ]
        if self.manager.has_resources():
            specs += _RESOURCE_SPECS.values()
        return specs

    def lookup(self, name: str) -> Handler | None:
        """The handler of ``name`` when it is an MCP tool."""
        tool = self.manager.tools().get(name)
        if tool is None and not (name in _RESOURCE_SPECS and self.manager.has_resources()):
            return None
        return self._calling().handler(name, tool)

    async def elicit(
        self, server: str, message: str, schema: dict[str, Any], url: str | None = None
    ) -> ElicitAnswer:
        """A server asks the user something during a call (see :meth:`McpCalls.elicit`)."""
        return await self._calling().elicit(server, message, schema, url)

    def _calling(self) -> McpCalls:
        if self._calls is None:
            from codex_lsp.tools.mcp_calls import McpCalls

            self._calls = McpCalls(self.manager)
        return self._calls
