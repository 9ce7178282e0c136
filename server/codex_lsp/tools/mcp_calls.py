"""The calls of MCP tools and resources the model makes (:class:`McpCalls`), and the
elicitations servers send during them: loaded with the first such call (or a server's first
elicitation), not with every conversation."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import Field

from codex_lsp.errors import McpError
from codex_lsp.exec.safety import McpToolCall, decide_approval
from codex_lsp.mcp.connection import ElicitAnswer
from codex_lsp.mcp.manager import McpManager, McpTool
from codex_lsp.mcp.schema import argument_problems
from codex_lsp.protocol.events import (
    RequestUserInputEvent,
    WarningEvent,
)
from codex_lsp.protocol.items import McpInvocation
from codex_lsp.tools.elicitation import (
    InvalidAnswer,
    content_from,
    is_web_link,
    questions_for,
    url_accepted,
    url_question,
)
from codex_lsp.tools.lifecycle import ToolCallLife
from codex_lsp.tools.mcp_item import CallOutcome, run_as_mcp_item
from codex_lsp.tools.registry import (
    Handler,
    ToolArgs,
    ToolInvocation,
    ToolInvocationError,
    ToolOutput,
    ToolSession,
    json_arguments,
    parse_arguments,
)
from codex_lsp.tools.truncation import truncate_middle


class _ServerArgs(ToolArgs):
    server: str | None = Field(default=None, description="Only this server's (all when absent).")


class _ReadArgs(ToolArgs):
    server: str
    uri: str


class McpCalls:
    """Runs the model's calls of MCP tools and resources, and remembers which conversation
    is calling each server, so an elicitation it sends meanwhile asks there."""

    def __init__(self, manager: McpManager) -> None:
        self.manager = manager
        self._callers: dict[str, list[ToolSession]] = {}

    def handler(self, name: str, tool: McpTool | None) -> Handler | None:
        """The handler of ``tool``, or of the resource tool ``name``."""
        if tool is not None:
            return lambda session, invocation: self._call(session, invocation, tool)
        return {
            "list_mcp_resources": self._list_resources,
            "list_mcp_resource_templates": self._list_templates,
            "read_mcp_resource": self._read_resource,
        }.get(name)

    async def _call(
        self, session: ToolSession, invocation: ToolInvocation, tool: McpTool
    ) -> ToolOutput:
        arguments = json_arguments(invocation)
        problems = argument_problems(tool.tool.input_schema or {"type": "object"}, arguments)
        if problems:
            raise ToolInvocationError(f"invalid arguments for {invocation.name}: {problems}")
        item_id = session.new_item_id()
        life = ToolCallLife(session, ("mcp", tool.server, tool.tool.name))
        denied = await _approve(life, invocation, tool, arguments, item_id)
        if denied is not None:
            return denied
        called = McpInvocation(server=tool.server, tool=tool.tool.name, arguments=arguments)

        async def call() -> CallOutcome:
            callers = self._callers.setdefault(tool.server, [])
            callers.append(session)
            try:
                connection = self.manager.connection(tool.server)
                answer = await connection.call_tool(tool.tool.name, arguments)
            except McpError as exc:
                return CallOutcome(ToolOutput(exc.message, success=False), error=exc.message)
            finally:
                callers.remove(session)
            result = answer.model_dump(mode="json", by_alias=True, exclude_none=True)
            output = _to_output(session, f"{tool.server}/{tool.tool.name}", answer)
            return CallOutcome(output, result)

        return await run_as_mcp_item(life, invocation, item_id, called, call)

    async def elicit(
        self, server: str, message: str, schema: dict[str, Any], url: str | None = None
    ) -> ElicitAnswer:
        """A server asks the user something during a call: its form's fields are asked in the
        conversation that made the call (:mod:`codex_lsp.tools.elicitation`) and the typed
        answers sent back; a dismissed form cancels, a declined confirmation or an answer the
        field does not allow declines (the user is told which). A url-mode elicitation asks
        whether to open the link, and the editor opens it (``window/showDocument``)."""
        callers = self._callers.get(server)
        if not callers:
            return "decline", None
        session = callers[-1]
        if url and not is_web_link(url):
            session.emit(
                WarningEvent(
                    message=f"MCP server {server} asked to open {url[:200]!r}, "
                    "which is not an http(s) link; declined"
                )
            )
            return "decline", None
        request = RequestUserInputEvent(
            turn_id=session.turn_id,
            item_id=session.new_item_id(),
            call_id=f"elicitation-{session.new_item_id()}",
            questions=url_question(server, message, url)
            if url
            else questions_for(server, message, schema),
        )
        result = await session.request_user_input(request)
        if result is None or not result.answers:
            return "cancel", None
        if url:
            if not url_accepted(result):
                return "decline", None
            opened = await session.open_url(url)
            return ("accept", None) if opened else ("cancel", None)
        try:
            return content_from(schema, result)
        except InvalidAnswer as exc:
            session.emit(WarningEvent(message=f"not sent to MCP server {server}: {exc}"))
            return "decline", None

    async def _list_resources(self, session: ToolSession, invocation: ToolInvocation) -> ToolOutput:
        args = parse_arguments(_ServerArgs, invocation)
        return await self._gather(args.server, lambda c: c.list_resources(), "resources")

    async def _list_templates(self, session: ToolSession, invocation: ToolInvocation) -> ToolOutput:
        args = parse_arguments(_ServerArgs, invocation)
        return await self._gather(
            args.server, lambda c: c.list_resource_templates(), "resourceTemplates"
        )

    async def _gather(
        self, server: str | None, fetch: Callable[[Any], Awaitable[list[dict[str, Any]]]], key: str
    ) -> ToolOutput:
        names = [server] if server else [s.name for s in self.manager.statuses()]
        found: dict[str, Any] = {}
        for name in names:
            try:
                found[name] = await fetch(self.manager.connection(name))
            except McpError as exc:
                if server:
                    return ToolOutput(exc.message, success=False)
                found[name] = {"error": exc.message}
        return ToolOutput(json.dumps({key: found}))

    async def _read_resource(self, session: ToolSession, invocation: ToolInvocation) -> ToolOutput:
        args = parse_arguments(_ReadArgs, invocation)
        try:
            contents = await self.manager.connection(args.server).read_resource(args.uri)
        except McpError as exc:
            return ToolOutput(exc.message, success=False)
        return ToolOutput(
            truncate_middle(json.dumps({"contents": contents}), session.tool_output_max_bytes)
        )


async def _approve(
    life: ToolCallLife, invocation: ToolInvocation, tool: McpTool, arguments: Any, item_id: str
) -> ToolOutput | None:
    """Ask the user when the policy says so; ``None`` means go ahead."""
    session = life.session
    call = McpToolCall(
        tool.server,
        tool.tool.name,
        read_only=tool.tool.read_only,
        approved_for_session=life.approved_for_session,
    )
    decision = decide_approval(session.approval_policy, session.sandbox_policy, call)
    return await life.ask_unless_run(
        decision,
        invocation,
        item_id,
        [invocation.name, json.dumps(arguments)],
        f"the user denied calling {invocation.name}; do not retry it as is",
    )


def _to_output(session: ToolSession, label: str, answer: Any) -> ToolOutput:
    """A tool result for the model: text parts as text, images shown to it, embedded
    resources as their text (or URI), structured content as JSON when there is no text."""
    parts: list[str] = []
    for block in answer.content or []:
        kind = getattr(block, "type", "")
        if kind == "text":
            parts.append(block.text)
        elif kind == "image":
            session.attach_image(label, f"data:{block.mime_type};base64,{block.data}")
            parts.append(f"[image {block.mime_type}: shown to you below]")
        elif kind == "resource":
            resource = block.resource
            text = getattr(resource, "text", None)
            parts.append(text if text is not None else f"[resource {resource.uri}]")
        elif kind == "resource_link":
            parts.append(f"[resource {block.uri}]")
        elif kind == "audio":
            parts.append(f"[audio {block.mime_type}: not shown]")
    if not parts and answer.structured_content is not None:
        parts.append(json.dumps(answer.structured_content))
    text = truncate_middle("\n".join(parts), session.tool_output_max_bytes)
    return ToolOutput(text or "(no output)", success=not answer.is_error)
